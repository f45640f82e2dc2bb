//! Reports over the daily rollups: one post's series, the overview of an
//! author's (or, for editors, everyone's) posts, and the CSV export.
//! Authors see their own posts; editors and admins everyone's.

use futures_util::Stream;
use serde::Serialize;
use utoipa::ToSchema;

use super::super::{Actor, Error};
use crate::domain::engagement::{Day, DayRange, Totals};
use crate::domain::{PostId, Role, Scope};
use crate::service::Context;
use crate::store::analytics::{self as store, ExportRow, PostSums, StatsScope, TopBy};

/// One day of a series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DailyPoint {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Referrer {
    pub host: String,
    pub views: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformCounts {
    pub platform: String,
    pub shares: i64,
    pub clicks: i64,
}

/// `GET /posts/{id}/analytics`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostReport {
    #[schema(value_type = i64)]
    pub post_id: PostId,
    pub from: String,
    pub to: String,
    pub totals: Totals,
    /// Every day of the range, zeros included.
    pub daily: Vec<DailyPoint>,
    /// The top 10 referring hosts by views.
    pub referrers: Vec<Referrer>,
    /// Shares and clicks by the platform they were reported from.
    pub platforms: Vec<PlatformCounts>,
}

/// A post in a top list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopPost {
    #[schema(value_type = i64)]
    pub post_id: PostId,
    pub slug: String,
    pub title: String,
    pub views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    /// (likes + comments + shares) / views.
    pub engagement_rate: f64,
}

impl From<PostSums> for TopPost {
    fn from(p: PostSums) -> Self {
        let engaged = p.likes + p.comments + p.shares;
        #[allow(clippy::cast_precision_loss)]
        let engagement_rate = if p.views > 0 { engaged as f64 / p.views as f64 } else { 0.0 };
        TopPost {
            post_id: p.post_id,
            slug: p.slug,
            title: p.title,
            views: p.views,
            likes: p.likes,
            comments: p.comments,
            shares: p.shares,
            engagement_rate,
        }
    }
}

/// The change of each total against the previous period of the same length,
/// as a fraction (`0.25` = 25 % more); `null` where the previous was 0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    pub views: Option<f64>,
    pub visitors: Option<f64>,
    pub likes: Option<f64>,
    pub comments: Option<f64>,
    pub shares: Option<f64>,
    pub clicks: Option<f64>,
}

#[allow(clippy::cast_precision_loss)]
fn change(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 / before as f64)
}

/// `GET /analytics/overview`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    pub from: String,
    pub to: String,
    /// `own` for an author, `all` for editors and admins.
    pub scope: &'static str,
    pub totals: Totals,
    pub previous: Totals,
    pub change: Change,
    pub top_by_views: Vec<TopPost>,
    pub top_by_engagement: Vec<TopPost>,
    pub daily: Vec<DailyPoint>,
}

const TOP: i64 = 10;

/// The posts `actor` may see reports of: their own, or everyone's.
fn scope_of(actor: &Actor) -> Result<StatsScope, Error> {
    actor.require_scope(Scope::Read)?;
    if actor.role.can_manage_others_content() {
        Ok(StatsScope::All)
    } else if actor.role >= Role::Author {
        Ok(StatsScope::Author(actor.account_id))
    } else {
        Err(Error::Forbidden { reason: "analytics are for authors, editors and admins" })
    }
}

/// Every day of `range`, zeros where nothing was counted, and the sums.
async fn series(
    ctx: &Context,
    scope: StatsScope,
    range: DayRange,
) -> Result<(Totals, Vec<DailyPoint>), Error> {
    let rows = store::daily(&ctx.db, scope, range).await?;
    let mut rows = rows.into_iter().peekable();
    let mut totals = Totals::default();
    let mut daily = Vec::with_capacity(usize::try_from(range.days_count()).unwrap_or(0));
    for day in range.days() {
        let of_day = match rows.peek() {
            Some((d, _)) if *d == day.0 => rows.next().map(|(_, sums)| sums).unwrap_or_default(),
            _ => Totals::default(),
        };
        totals.add(of_day);
        daily.push(DailyPoint { date: day.to_string(), totals: of_day });
    }
    Ok((totals, daily))
}

/// One post's report: its author and editors only (others: 403; posts the
/// actor cannot see: 404).
#[tracing::instrument(level = "debug", name = "service.analytics.post_report", skip_all)]
pub async fn post_report(
    ctx: &Context,
    actor: &Actor,
    post: PostId,
    range: DayRange,
) -> Result<PostReport, Error> {
    actor.require_scope(Scope::Read)?;
    let row = crate::service::posts::get(ctx, Some(actor), post).await?;
    if row.post.author_id != actor.account_id && !actor.role.can_manage_others_content() {
        return Err(Error::Forbidden { reason: "only the post's author and editors see its analytics" });
    }
    let (totals, daily) = series(ctx, StatsScope::Post(post), range).await?;
    let referrers = store::referrers(&ctx.db, post, range, TOP)
        .await?
        .into_iter()
        .map(|(host, views)| Referrer { host, views })
        .collect();
    let platforms = store::platforms(&ctx.db, post, range)
        .await?
        .into_iter()
        .map(|(platform, shares, clicks)| PlatformCounts { platform, shares, clicks })
        .collect();
    Ok(PostReport {
        post_id: post,
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals,
        daily,
        referrers,
        platforms,
    })
}

/// Totals, change against the previous period, top posts and the series.
#[tracing::instrument(level = "debug", name = "service.analytics.overview", skip_all)]
pub async fn overview(ctx: &Context, actor: &Actor, range: DayRange) -> Result<Overview, Error> {
    let scope = scope_of(actor)?;
    let (totals, daily) = series(ctx, scope, range).await?;
    let previous = store::daily(&ctx.db, scope, range.previous()).await?.into_iter().fold(
        Totals::default(),
        |mut sum, (_, day)| {
            sum.add(day);
            sum
        },
    );
    let top = |by| store::top_posts(&ctx.db, scope, range, by, TOP);
    let top_by_views = top(TopBy::Views).await?.into_iter().map(TopPost::from).collect();
    let top_by_engagement = top(TopBy::EngagementRate).await?.into_iter().map(TopPost::from).collect();
    Ok(Overview {
        from: range.from.to_string(),
        to: range.to.to_string(),
        scope: if scope == StatsScope::All { "all" } else { "own" },
        change: Change {
            views: change(totals.views, previous.views),
            visitors: change(totals.visitors, previous.visitors),
            likes: change(totals.likes, previous.likes),
            comments: change(totals.comments, previous.comments),
            shares: change(totals.shares, previous.shares),
            clicks: change(totals.clicks, previous.clicks),
        },
        totals,
        previous,
        top_by_views,
        top_by_engagement,
        daily,
    })
}

pub const CSV_HEADER: &str = "date,post_id,slug,title,views,visitors,likes,unlikes,comments,shares,clicks\n";
const EXPORT_PAGE: i64 = 1000;

/// A CSV field: quoted, quotes doubled, and a leading `= + - @` (which
/// spreadsheets would run as a formula) defused with a `'`.
fn csv_text(raw: &str) -> String {
    let defused =
        if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_owned() };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

fn csv_row(r: &ExportRow) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{},{}\n",
        Day(r.day),
        r.post_id,
        csv_text(&r.slug),
        csv_text(&r.title),
        r.views,
        r.visitors,
        r.likes,
        r.unlikes,
        r.comments,
        r.shares,
        r.clicks
    )
}

/// Checks that `actor` may export, before any byte is sent.
pub fn export_scope(actor: &Actor) -> Result<StatsScope, Error> {
    scope_of(actor)
}

/// The export as CSV chunks (the header, then a page of rows at a time),
/// read page by page as the client takes them, never held whole.
pub fn export(ctx: Context, scope: StatsScope, range: DayRange) -> impl Stream<Item = Result<String, Error>> {
    struct State {
        ctx: Context,
        after: Option<(i64, PostId)>,
        started: bool,
        done: bool,
    }
    let state = State { ctx, after: None, started: false, done: false };
    // Fused: a body may be polled again after its end (the compression
    // layer does), which an unfold stream must not be.
    let pages = futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        if !state.started {
            state.started = true;
            return Some((Ok(CSV_HEADER.to_owned()), state));
        }
        match store::export_page(&state.ctx.db, scope, range, state.after, EXPORT_PAGE).await {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => {
                state.done = i64::try_from(rows.len()).unwrap_or(0) < EXPORT_PAGE;
                state.after = rows.last().map(|r| (r.day, r.post_id));
                Some((Ok(rows.iter().map(csv_row).collect()), state))
            }
            Err(err) => {
                state.done = true;
                Some((Err(Error::from(err)), state))
            }
        }
    });
    futures_util::StreamExt::fuse(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("Hello, \"world\""), "\"Hello, \"\"world\"\"\"");
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_text("plain"), "\"plain\"");
    }

    #[test]
    fn change_is_a_fraction_of_the_previous_period() {
        assert_eq!(change(15, 10), Some(0.5));
        assert_eq!(change(5, 10), Some(-0.5));
        assert_eq!(change(5, 0), None);
    }
}
