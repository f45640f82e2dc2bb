//! The calendar: scheduled and published posts by week or by month (days in
//! UTC, times shown in the reader's zone), with the way to the previous and
//! next period.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use maud::{Markup, html};
use serde::Deserialize;

use super::Studio;
use super::render::{self, badge, time};
use super::session::Session;
use crate::domain::{PostListParams, PostView};
use crate::http::AppState;
use crate::service::{Context, Error, posts};

/// Posts one calendar page shows at most (five pages of the list).
const MAX_POSTS: usize = 500;

#[derive(Debug, Deserialize)]
pub(super) struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Week,
    Month,
}

/// `GET /calendar`.
pub(super) async fn calendar(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let view = if q.view.as_deref() == Some("week") { View::Week } else { View::Month };
    let today = ctx.clock.now().date_naive();
    let parsed = q.date.as_deref().map_or(Some(today), |raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok());
    // Far enough from chrono's limits that a month's or week's arithmetic cannot overflow.
    let Some(date) = parsed.filter(|d| (1900..=9999).contains(&d.year())) else {
        let body = render::alert(Some("That is not a date between the years 1900 and 9999 (YYYY-MM-DD)."));
        return render::html(
            StatusCode::UNPROCESSABLE_ENTITY,
            render::page(&studio, &session, "/calendar", "Calendar", &body),
        );
    };
    let (start, end) = period(view, date);
    let found = match posts_between(ctx, &session, start, end).await {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let p = studio.prefix;
    let link = |view: View, date: NaiveDate| {
        format!(
            "{p}/calendar?view={}&date={}",
            if view == View::Week { "week" } else { "month" },
            date.format("%Y-%m-%d")
        )
    };
    let (previous, next) = match view {
        View::Week => (start - Duration::days(7), end),
        View::Month => ((start - Duration::days(1)).with_day(1).unwrap_or(start), end),
    };
    let heading = match view {
        View::Week => format!("Week of {}", start.format("%-d %B %Y")),
        View::Month => start.format("%B %Y").to_string(),
    };
    let body = html! {
        nav.calendar-nav aria-label="Calendar periods" {
            a href=(link(view, previous)) rel="prev" { "Previous" }
            a href=(link(view, today)) { "Today" }
            a href=(link(view, next)) rel="next" { "Next" }
            span { "View: " }
            a href=(link(View::Month, date)) aria-current=[(view == View::Month).then_some("page")] { "Month" }
            a href=(link(View::Week, date)) aria-current=[(view == View::Week).then_some("page")] { "Week" }
        }
        h2 #period { (heading) }
        p.muted { "Days are UTC days; times are shown in your time zone. Scheduled and published posts only." }
        @if found.len() >= MAX_POSTS { (render::alert(Some("More than 500 posts in this period: showing the first 500. Use the week view."))) }
        (grid(p, view, start, end, today, &found))
    };
    render::html(StatusCode::OK, render::page(&studio, &session, "/calendar", "Calendar", &body))
}

/// The days a page shows: the week (Monday first) of `date`, or its month
/// (the end is exclusive).
fn period(view: View, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match view {
        View::Week => {
            let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            (start, start + Duration::days(7))
        }
        View::Month => {
            let start = date.with_day(1).unwrap_or(date);
            let next = if start.month() == 12 {
                NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
            };
            (start, next.unwrap_or(start + Duration::days(31)))
        }
    }
}

async fn posts_between(
    ctx: &Context,
    session: &Session,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<PostView>, Error> {
    let mut params = PostListParams {
        published_after: Some(start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        published_before: Some(end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        sort: Some("published_at".to_owned()),
        order: Some("asc".to_owned()),
        limit: Some(100),
        ..PostListParams::default()
    };
    let mut found = Vec::new();
    while found.len() < MAX_POSTS {
        let list = params.clone().parse().map_err(Error::Validation)?;
        let page = posts::list(ctx, Some(&session.actor), &list, false).await?;
        found.extend(page.items);
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor),
            None => break,
        }
    }
    found.truncate(MAX_POSTS);
    Ok(found)
}

fn grid(
    prefix: &str,
    view: View,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    posts: &[PostView],
) -> Markup {
    // Whole weeks, Monday first, around the period.
    let first = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
    let days: Vec<NaiveDate> =
        first.iter_days().take_while(|d| *d < end || d.weekday() != Weekday::Mon).collect();
    let when = |post: &PostView| post.post.fields.published_at.or(post.post.fields.publish_at);
    html! {
        table.calendar {
            caption.visually-hidden { "Posts by day" }
            thead { tr { @for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th scope="col" { (name) } } } }
            tbody {
                @for week in days.chunks(7) {
                    tr {
                        @for day in week {
                            @let outside = *day < start || *day >= end;
                            td.outside[outside].today[*day == today] data-day=(day.format("%Y-%m-%d")) {
                                span.day-number { (day.format("%-d")) @if view == View::Week || day.day() == 1 { " " (day.format("%b")) } }
                                @if !outside {
                                    ul {
                                        @for post in posts.iter().filter(|p| when(p).map(|at| at.with_timezone(&Utc).date_naive()) == Some(*day)) {
                                            li {
                                                a href={(prefix) "/posts/" (post.id().get())} { (post.post.fields.title) }
                                                " " (badge(post.post.fields.status.as_str()))
                                                @if let Some(at) = when(post) { " " (time(at)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        assert_eq!(period(View::Week, day("2026-12-10")), (day("2026-12-07"), day("2026-12-14")));
        assert_eq!(period(View::Month, day("2026-12-10")), (day("2026-12-01"), day("2027-01-01")));
        assert_eq!(period(View::Month, day("2027-02-28")), (day("2027-02-01"), day("2027-03-01")));
    }
}
