//! Extended grapheme clusters, as `unicode-segmentation` finds them, with
//! plain ASCII stepped over a byte at a time.
//!
//! Most posts are mostly ASCII, and segmenting every byte through the
//! Unicode tables was a fifth of a text's analysis. Between two ASCII
//! characters the only cluster is CR LF; everywhere else (a non-ASCII run,
//! with the ASCII character before it, which a keycap or a variation
//! selector can extend) the crate segments, and its cursor confirms that
//! the run ends on a boundary (an Arabic number sign joins the digit after it).

use unicode_segmentation::{GraphemeCursor, Graphemes, UnicodeSegmentation};

/// The grapheme clusters of `text`, in order: exactly `text.graphemes(true)`.
pub(super) fn graphemes(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut run: Option<Graphemes<'_>> = None;
    std::iter::from_fn(move || {
        if let Some(grapheme) = run.as_mut().and_then(Iterator::next) {
            return Some(grapheme);
        }
        let byte = *bytes.get(pos)?;
        let next = bytes.get(pos + 1).copied();
        let plain =
            byte.is_ascii() && next.is_none_or(|n| n.is_ascii()) && !(byte == b'\r' && next == Some(b'\n'));
        if plain {
            pos += 1;
            return Some(&text[pos - 1..pos]);
        }
        let start = pos;
        let mut end = run_end(bytes, pos + 1);
        while end < bytes.len()
            && !GraphemeCursor::new(end, text.len(), true).is_boundary(text, 0).unwrap_or(true)
        {
            end = run_end(bytes, end + 1);
        }
        pos = end;
        let mut segments = text[start..end].graphemes(true);
        let first = segments.next();
        run = Some(segments);
        first
    })
}

/// Where the non-ASCII run at or after `from` ends: the first ASCII byte
/// after at least one non-ASCII one, or the end.
fn run_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from.min(bytes.len());
    while at < bytes.len() && !bytes[at].is_ascii() {
        at += 1;
    }
    at
}

/// How many grapheme clusters `text` has.
pub(super) fn count(text: &str) -> usize {
    if text.is_ascii() {
        return text.len() - text.matches("\r\n").count();
    }
    graphemes(text).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_the_crate(text: &str) {
        let ours: Vec<&str> = graphemes(text).collect();
        let theirs: Vec<&str> = text.graphemes(true).collect();
        assert_eq!(ours, theirs, "{text:?}");
        assert_eq!(count(text), theirs.len(), "{text:?}");
    }

    #[test]
    fn clusters_are_exactly_the_crates() {
        for text in [
            "",
            "plain ascii, with CR LF\r\nand LF\n",
            "keycaps 1\u{fe0f}\u{20e3} #\u{fe0f}\u{20e3} after ascii",
            "families 👨‍👩‍👧 and skin tones 👍🏽 and flags 🇫🇷🇩🇪",
            "combining e\u{301} and a\u{308}, then ascii",
            "Arabic number sign \u{600}12 joins its digit",
            "中文，日本語とDeutsch: Grüße!",
            "\r\n\r\n",
            "🎉",
            "a\u{200d}b",
        ] {
            same_as_the_crate(text);
        }
    }
}
