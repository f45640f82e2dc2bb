//! Charts drawn on the server as SVG: no chart library to ship, nothing
//! for the CSP to allow, and the numbers are in the page for screen readers
//! as a table beside the picture.

use maud::{Markup, html};

use crate::service::analytics::reports::DailyPoint;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;

/// Views per day as bars, visitors as a line, engagement (likes, comments,
/// shares) as dots; the same numbers follow in a collapsible table.
pub(super) fn daily(title: &str, points: &[DailyPoint]) -> Markup {
    let engagement = |p: &DailyPoint| p.totals.likes + p.totals.comments + p.totals.shares;
    let top = points
        .iter()
        .map(|p| p.totals.views.max(p.totals.visitors).max(engagement(p)))
        .max()
        .unwrap_or(0)
        .max(1);
    #[allow(clippy::cast_precision_loss)]
    let (top_f, n) = (top as f64, points.len().max(1) as f64);
    let slot = (WIDTH - LEFT) / n;
    #[allow(clippy::cast_precision_loss)]
    let y = |value: i64| (HEIGHT - BOTTOM) - (value as f64 / top_f) * (HEIGHT - BOTTOM - 8.0);
    #[allow(clippy::cast_precision_loss)]
    let x = |i: usize| LEFT + slot * (i as f64) + slot / 2.0;
    let line: Vec<String> =
        points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.totals.visitors))).collect();
    let total_views: i64 = points.iter().map(|p| p.totals.views).sum();
    let summary =
        format!("{title}: {total_views} views over {} days, at most {top} in one day.", points.len());
    html! {
        figure.chart {
            svg viewBox={"0 0 " (WIDTH) " " (HEIGHT)} role="img" aria-label=(summary) {
                line.axis x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH) y2=(HEIGHT - BOTTOM) {}
                text.label x="0" y="12" { (top) }
                text.label x="0" y=(HEIGHT - BOTTOM) { "0" }
                @for (i, p) in points.iter().enumerate() {
                    rect.views x=(format!("{:.1}", x(i) - slot * 0.35)) y=(format!("{:.1}", y(p.totals.views)))
                        width=(format!("{:.1}", slot * 0.7)) height=(format!("{:.1}", (HEIGHT - BOTTOM) - y(p.totals.views))) {}
                    @if engagement(p) > 0 {
                        circle.engagement cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(engagement(p)))) r="3" {}
                    }
                }
                polyline.visitors points=(line.join(" ")) {}
                @if let (Some(first), Some(last)) = (points.first(), points.last()) {
                    text.label x=(LEFT) y=(HEIGHT - 4.0) { (first.date) }
                    text.label.end x=(WIDTH) y=(HEIGHT - 4.0) { (last.date) }
                }
            }
            figcaption {
                span.key.key-views { "bars: views" } " "
                span.key.key-visitors { "line: unique visitors" } " "
                span.key.key-engagement { "dots: likes, comments and shares" }
            }
            details {
                summary { "The numbers" }
                table {
                    thead { tr {
                        th scope="col" { "Day" } th scope="col" { "Views" } th scope="col" { "Visitors" }
                        th scope="col" { "Likes" } th scope="col" { "Comments" } th scope="col" { "Shares" } th scope="col" { "Clicks" }
                    } }
                    tbody {
                        @for p in points {
                            tr data-day=(p.date) {
                                th scope="row" { (p.date) }
                                td data-views { (p.totals.views) } td { (p.totals.visitors) } td { (p.totals.likes) }
                                td { (p.totals.comments) } td { (p.totals.shares) } td { (p.totals.clicks) }
                            }
                        }
                    }
                }
            }
        }
    }
}
