//! Search snippets: a few words of a post's body around what a search
//! matched, the matches marked.
//!
//! Both databases can make these (FTS5's `snippet()`, PostgreSQL's
//! `ts_headline`), but each re-reads and re-tokenizes the whole body of
//! every row on the page: `ts_headline` was 3.7 ms of a 20-row page at a
//! million posts. Here the page's bodies are scanned once, over a bounded
//! prefix, in one pass that only compares words; both databases give the
//! same snippet.
//!
//! Words are runs of letters and digits, compared without case or
//! diacritics, as SQLite's `unicode61 remove_diacritics 2` tokenizer (and,
//! for case, PostgreSQL's `simple` configuration) compare them.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words in a snippet (FTS5's `snippet()` was asked for as many).
pub const SNIPPET_WORDS: usize = 24;
/// How much of a body is searched for the matches, in bytes: the database
/// found the post, the snippet only shows where, so a match past this
/// shows the start instead; bounds a snippet's cost whatever the body's size.
pub const SCANNED_BYTES: usize = 32 * 1024;
/// A snippet starts this many words before its first match, for context.
const LEAD_WORDS: usize = 4;
/// Matches considered as a snippet's first: a common word matches
/// hundreds of times and the best window is among the first.
const ANCHORS: usize = 64;
/// Distinct search words told apart (more are still marked, not scored).
const SCORED_WORDS: usize = 32;

/// Marks the start and end of a match in a snippet; control characters
/// never pass through from the text, so renderers can replace them.
pub const MARK_START: char = '\u{1}';
pub const MARK_END: char = '\u{2}';

/// The words of a search, folded for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    /// The words of `query` (anything but letters and digits separates them).
    pub fn of(query: &str) -> SearchWords {
        let mut words: Vec<String> = Vec::new();
        for word in words_of(query) {
            let folded = fold(word);
            if !words.contains(&folded) {
                words.push(folded);
            }
        }
        SearchWords(words)
    }

    /// Which search word `word` is, if any.
    fn find(&self, word: &str, scratch: &mut String) -> Option<usize> {
        if word.is_ascii() {
            return self.0.iter().position(|w| w.eq_ignore_ascii_case(word));
        }
        scratch.clear();
        fold_into(word, scratch);
        self.0.iter().position(|w| w == scratch)
    }
}

/// About [`SNIPPET_WORDS`] words of `text` around the stretch with the most
/// different search words (the earliest of equals), matches between
/// [`MARK_START`] and [`MARK_END`], `…` where text was left out, runs of
/// white space as one space. Without a match, the text's first words.
pub fn snippet(text: &str, search: &SearchWords) -> String {
    let scanned = &text[..text.floor_char_boundary(SCANNED_BYTES)];
    let mut scratch = String::new();
    // (word index, search word) of every match, and the number of words.
    let mut matches: Vec<(usize, usize)> = Vec::new();
    let mut count = 0;
    for (i, (_, word)) in word_spans(scanned).enumerate() {
        count = i + 1;
        if let Some(found) = search.find(word, &mut scratch) {
            matches.push((i, found));
        }
    }
    let start = best_start(&matches);
    let end = (start + SNIPPET_WORDS).min(count);
    let mut out = String::with_capacity(SNIPPET_WORDS * 8);
    if start > 0 {
        out.push('…');
    }
    let mut last_end = None;
    for (i, (at, word)) in word_spans(scanned).enumerate().skip(start).take(end - start) {
        if let Some(previous) = last_end {
            push_between(&mut out, &scanned[previous..at]);
        }
        let marked = matches.binary_search_by_key(&i, |&(index, _)| index).is_ok();
        if marked {
            out.push(MARK_START);
        }
        out.push_str(word);
        if marked {
            out.push(MARK_END);
        }
        last_end = Some(at + word.len());
    }
    let rest = last_end.map_or(scanned, |at| &scanned[at..]);
    // Punctuation right after the last word belongs to it ("bins.").
    let trailing = rest.find(char::is_whitespace).unwrap_or(rest.len());
    push_between(&mut out, &rest[..trailing]);
    if end < count || scanned.len() < text.len() {
        out.push('…');
    }
    out
}

/// The word a snippet starts at: a few words before the match that opens
/// the window with the most distinct search words, then the most matches.
fn best_start(matches: &[(usize, usize)]) -> usize {
    let mut best = (0, 0, 0);
    for (i, &(anchor, _)) in matches.iter().take(ANCHORS).enumerate() {
        let start = anchor.saturating_sub(LEAD_WORDS);
        let mut seen = 0_u32;
        let mut hits = 0;
        for &(_, word) in matches[i..].iter().take_while(|&&(index, _)| index < start + SNIPPET_WORDS) {
            seen |= 1 << word.min(SCORED_WORDS - 1);
            hits += 1;
        }
        let score = (seen.count_ones(), hits);
        if score > (best.0, best.1) {
            best = (score.0, score.1, start);
        }
    }
    best.2
}

/// Appends the text between two words: white space as one space, other
/// control characters dropped (they would read as match marks).
fn push_between(out: &mut String, between: &str) {
    let mut space = false;
    for c in between.chars() {
        if c.is_whitespace() {
            space = true;
        } else if !c.is_control() {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
}

/// Each word of `text` with its byte offset.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(move |word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    word_spans(text).map(|(_, word)| word)
}

fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// Lower case without diacritics (`Café` → `cafe`).
fn fold_into(word: &str, out: &mut String) {
    for c in word.nfd().filter(|c| !is_combining_mark(*c)) {
        out.extend(c.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, query: &str) -> String {
        snippet(text, &SearchWords::of(query)).replace(MARK_START, "[").replace(MARK_END, "]")
    }

    #[test]
    fn marks_every_match_without_case_or_diacritics() {
        assert_eq!(shown("Compost heaps: COMPOST bins.", "compost"), "[Compost] heaps: [COMPOST] bins.");
        assert_eq!(shown("Un café à Paris.", "CAFE paris"), "Un [café] à [Paris].");
        assert_eq!(shown("The other one.", "the"), "[The] other one.", "only whole words");
    }

    #[test]
    fn a_long_text_is_cut_around_the_match_with_a_little_before_it() {
        let text = format!("{} needle {}", "hay ".repeat(100), "straw ".repeat(100));
        let got = shown(&text, "needle");
        assert!(got.starts_with("…hay hay hay hay [needle] straw"), "{got}");
        assert!(got.ends_with('…'), "{got}");
        assert_eq!(got.split_whitespace().count(), SNIPPET_WORDS);
    }

    #[test]
    fn prefers_the_stretch_with_more_of_the_search_words() {
        let text = format!("kelp once. {} kelp forest here. {}", "filler ".repeat(60), "end ".repeat(60));
        let got = shown(&text, "kelp forest");
        assert!(got.contains("[kelp] [forest] here."), "{got}");
    }

    #[test]
    fn without_a_match_it_shows_the_start() {
        assert_eq!(shown("Tomatoes and beans.", "compost"), "Tomatoes and beans.");
        let long = "word ".repeat(50);
        let got = shown(&long, "compost");
        assert!(!got.starts_with('…') && got.ends_with('…'), "{got}");
    }

    #[test]
    fn white_space_is_collapsed_and_control_characters_dropped() {
        assert_eq!(shown("A\n\n  kelp\u{1}\tforest\u{2}.", "kelp"), "A [kelp] forest.");
    }

    #[test]
    fn only_a_bounded_prefix_is_searched() {
        let text = format!("{}needle", "a ".repeat(SCANNED_BYTES));
        let got = shown(&text, "needle");
        assert!(!got.contains('['), "a match past the scanned prefix is not looked for");
        assert!(got.ends_with('…'));
    }

    #[test]
    fn an_empty_text_has_an_empty_snippet() {
        assert_eq!(shown("", "kelp"), "");
        assert_eq!(shown("kelp", ""), "kelp");
    }
}
