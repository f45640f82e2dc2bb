//! The opaque list cursor: base64url of a small JSON document naming the
//! order it belongs to and the position after the last row of a page
//! (the sort key and id, or for relevance an offset).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{PostId, PostOrder, PostSort, PostView};
use crate::store::post_views::{Cursor, CursorKey, cursor_of};

#[derive(Debug, Serialize, Deserialize)]
struct CursorDoc {
    s: String,
    d: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i: Option<PostId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    o: Option<i64>,
}

/// Where a cursor says the next page starts.
#[derive(Debug, PartialEq)]
pub(super) enum Position {
    After(Cursor),
    Offset(i64),
}

/// Reads a cursor of `order`; `None` when it is malformed or was made for
/// another order.
pub(super) fn decode(raw: &str, order: PostOrder) -> Option<Position> {
    let doc: CursorDoc = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw.as_bytes()).ok()?).ok()?;
    if doc.s != order.sort.as_str() || doc.d != order.descending {
        return None;
    }
    match (order.sort, doc.o, doc.t, doc.x, doc.i) {
        (PostSort::Relevance | PostSort::Popular, Some(offset), _, _, _) if offset >= 0 => {
            Some(Position::Offset(offset))
        }
        (PostSort::Title, _, _, Some(text), Some(id)) => {
            Some(Position::After(Cursor { key: CursorKey::Text(text), post_id: id }))
        }
        (PostSort::PublishedAt | PostSort::CreatedAt | PostSort::UpdatedAt, _, Some(time), _, Some(id)) => {
            Some(Position::After(Cursor { key: CursorKey::Time(time), post_id: id }))
        }
        _ => None,
    }
}

/// The cursor of the page after one that ended with `last` (relevance pages
/// by offset: `next_offset`).
pub(super) fn encode(order: PostOrder, last: Option<&PostView>, next_offset: i64) -> Option<String> {
    let mut doc = CursorDoc {
        s: order.sort.as_str().to_owned(),
        d: order.descending,
        t: None,
        x: None,
        i: None,
        o: None,
    };
    if matches!(order.sort, PostSort::Relevance | PostSort::Popular) {
        doc.o = Some(next_offset);
    } else {
        let last = cursor_of(last?, order.sort);
        match last.key {
            CursorKey::Time(t) => doc.t = Some(t),
            CursorKey::Text(x) => doc.x = Some(x),
        }
        doc.i = Some(last.post_id);
    }
    Some(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(sort: PostSort, descending: bool) -> PostOrder {
        PostOrder { sort, descending }
    }

    #[test]
    fn a_relevance_cursor_carries_the_next_offset() {
        let relevance = order(PostSort::Relevance, true);
        let raw = encode(relevance, None, 40).expect("a cursor");
        assert_eq!(decode(&raw, relevance), Some(Position::Offset(40)));
    }

    #[test]
    fn a_cursor_is_refused_by_another_order_or_when_tampered_with() {
        let relevance = order(PostSort::Relevance, true);
        let raw = encode(relevance, None, 20).expect("a cursor");
        assert_eq!(decode(&raw, order(PostSort::Relevance, false)), None, "other direction");
        assert_eq!(decode(&raw, order(PostSort::Title, true)), None, "other sort");
        assert_eq!(decode("not base64!", relevance), None);
        assert_eq!(
            decode(&URL_SAFE_NO_PAD.encode(b"{\"s\":\"title\",\"d\":true}"), order(PostSort::Title, true)),
            None
        );
    }

    #[test]
    fn time_and_title_cursors_name_the_last_row() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        let doc = CursorDoc {
            s: "created_at".into(),
            d: false,
            t: Some(at),
            x: None,
            i: Some(PostId::new(7)),
            o: None,
        };
        let raw = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap());
        let expected = Cursor { key: CursorKey::Time(at), post_id: PostId::new(7) };
        assert_eq!(decode(&raw, order(PostSort::CreatedAt, false)), Some(Position::After(expected)));
        let doc = CursorDoc {
            s: "title".into(),
            d: false,
            t: None,
            x: Some("Zebra".into()),
            i: Some(PostId::new(9)),
            o: None,
        };
        let raw = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&doc).unwrap());
        let expected = Cursor { key: CursorKey::Text("Zebra".into()), post_id: PostId::new(9) };
        assert_eq!(decode(&raw, order(PostSort::Title, false)), Some(Position::After(expected)));
    }
}
