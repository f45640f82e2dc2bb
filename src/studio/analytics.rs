//! Analytics: the overview (totals against the previous period, the daily
//! chart, top posts by views and by engagement) and one post's report
//! (its chart, referrers and platforms), over a range of days.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::Studio;
use super::chart;
use super::render::{self, error_for, field_error};
use super::session::Session;
use crate::domain::engagement::{Day, DayRange, Totals};
use crate::domain::{PostId, ValidationError};
use crate::http::AppState;
use crate::http::extract::PathId;
use crate::service::analytics::reports::{self, TopPost};
use crate::service::{Error, posts};

#[derive(Debug, Deserialize)]
pub(super) struct Range {
    from: Option<String>,
    to: Option<String>,
}

impl Range {
    fn parse(&self, today: Day) -> Result<DayRange, Vec<ValidationError>> {
        let blank =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        DayRange::parse(blank(&self.from).as_deref(), blank(&self.to).as_deref(), today, 30)
    }
}

/// `GET /analytics`.
pub(super) async fn overview(
    State(state): State<AppState>,
    session: Session,
    Query(range): Query<Range>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let days = match range.parse(Day::of(ctx.clock.now())) {
        Ok(days) => days,
        Err(errors) => return invalid_range(&studio, &session, "/analytics", &range, &errors),
    };
    let report = match reports::overview(ctx, &session.actor, days).await {
        Ok(report) => report,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let p = studio.prefix;
    let body = html! {
        (range_form(&format!("{p}/analytics"), &range, &[]))
        p { "From " (report.from) " to " (report.to) (if report.scope == "own" { ", your posts" } else { ", all posts" }) "." }
        (totals(&report.totals, Some(&report.previous)))
        (chart::daily("Daily engagement", &report.daily))
        h2 { "Most viewed" }
        (top_table(p, &report.top_by_views, "top-views"))
        h2 { "Most engaging (likes, comments and shares per view)" }
        (top_table(p, &report.top_by_engagement, "top-engagement"))
    };
    render::html(StatusCode::OK, render::page(&studio, &session, "/analytics", "Analytics", &body))
}

/// `GET /posts/{id}/analytics`.
pub(super) async fn post(
    State(state): State<AppState>,
    session: Session,
    PathId(id): PathId<PostId>,
    Query(range): Query<Range>,
) -> Response {
    let studio = Studio::of(&state);
    let ctx = &state.services;
    let here = format!("{}/posts/{}/analytics", studio.prefix, id.get());
    let days = match range.parse(Day::of(ctx.clock.now())) {
        Ok(days) => days,
        Err(errors) => return invalid_range(&studio, &session, &here, &range, &errors),
    };
    let result = async {
        let post = posts::get(ctx, Some(&session.actor), id).await?;
        let report = reports::post_report(ctx, &session.actor, id, days).await?;
        Ok::<_, Error>((post, report))
    }
    .await;
    let (post, report) = match result {
        Ok(found) => found,
        Err(err) => return render::error_page(&studio, &session, &err),
    };
    let title = format!("Analytics: {}", post.post.fields.title);
    let body = html! {
        p { a href={(studio.prefix) "/posts/" (id.get())} { "Back to the post" } }
        (range_form(&here, &range, &[]))
        p { "From " (report.from) " to " (report.to) "." }
        (totals(&report.totals, None))
        (chart::daily("Daily views, visitors and engagement", &report.daily))
        div.columns {
            section {
                h2 { "Referrers" }
                @if report.referrers.is_empty() { p { "None in this range." } }
                @else { table { thead { tr { th scope="col" { "Site" } th scope="col" { "Views" } } }
                    tbody { @for r in &report.referrers { tr { td { (r.host) } td { (r.views) } } } } } }
            }
            section {
                h2 { "Platforms" }
                @if report.platforms.is_empty() { p { "No shares or clicks in this range." } }
                @else { table { thead { tr { th scope="col" { "Platform" } th scope="col" { "Shares" } th scope="col" { "Clicks" } } }
                    tbody { @for pl in &report.platforms { tr { td { (pl.platform) } td { (pl.shares) } td { (pl.clicks) } } } } } }
            }
        }
    };
    render::html(StatusCode::OK, render::page(&studio, &session, "/analytics", &title, &body))
}

fn invalid_range(
    studio: &Studio<'_>,
    session: &Session,
    here: &str,
    range: &Range,
    errors: &[ValidationError],
) -> Response {
    let body = range_form(here, range, errors);
    render::html(
        StatusCode::UNPROCESSABLE_ENTITY,
        render::page(studio, session, "/analytics", "Analytics", &body),
    )
}

fn range_form(action: &str, range: &Range, errors: &[ValidationError]) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            div {
                label for="from" { "From (UTC day)" }
                input #from type="date" name="from" value=[range.from.as_deref()] aria-describedby=[error_for(errors, "from").map(|_| "from-error")];
                (field_error("from", error_for(errors, "from")))
            }
            div {
                label for="to" { "To (included)" }
                input #to type="date" name="to" value=[range.to.as_deref()] aria-describedby=[error_for(errors, "to").map(|_| "to-error")];
                (field_error("to", error_for(errors, "to")))
            }
            div.actions { button type="submit" { "Show" } }
        }
    }
}

fn totals(now: &Totals, before: Option<&Totals>) -> Markup {
    let rows = [
        ("Views", now.views, before.map(|b| b.views)),
        ("Unique visitors", now.visitors, before.map(|b| b.visitors)),
        ("Likes", now.likes, before.map(|b| b.likes)),
        ("Comments", now.comments, before.map(|b| b.comments)),
        ("Shares", now.shares, before.map(|b| b.shares)),
        ("Clicks", now.clicks, before.map(|b| b.clicks)),
    ];
    html! {
        dl.totals {
            @for (label, value, previous) in rows {
                div {
                    dt { (label) }
                    dd data-total=(label) {
                        (value)
                        @if let Some(previous) = previous { small { " (previous period: " (previous) ")" } }
                    }
                }
            }
        }
    }
}

fn top_table(prefix: &str, posts: &[TopPost], id: &str) -> Markup {
    html! {
        @if posts.is_empty() { p id=(id) { "Nothing in this range." } }
        @else {
            table id=(id) {
                thead { tr {
                    th scope="col" { "Post" } th scope="col" { "Views" } th scope="col" { "Likes" }
                    th scope="col" { "Comments" } th scope="col" { "Shares" } th scope="col" { "Engagement" }
                } }
                tbody {
                    @for post in posts {
                        tr {
                            td { a href={(prefix) "/posts/" (post.post_id.get()) "/analytics"} { (post.title) } }
                            td { (post.views) } td { (post.likes) } td { (post.comments) } td { (post.shares) }
                            td { (format!("{:.1} %", post.engagement_rate * 100.0)) }
                        }
                    }
                }
            }
        }
    }
}
