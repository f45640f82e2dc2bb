//! Sentences and words, split without regular expressions.
//!
//! Herald's change to the crate: it split with segtok, whose backtracking
//! (fancy-regex) patterns took two thirds of the CPU of analysing a post.
//! Sentences here are Unicode sentence boundaries (UAX #29) within paragraphs,
//! with a few title abbreviations held together; words are whitespace-separated
//! chunks with their punctuation split off and English contractions detached,
//! which is what segtok's web tokenizer produced for ordinary prose.

use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations after which a full stop does not end the sentence.
const TITLES: [&str; 12] =
    ["mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "sr.", "jr.", "vs.", "e.g.", "i.e.", "no."];

/// Contraction endings detached from their word (`men's` → `men` `'s`).
const CONTRACTIONS: [&str; 6] = ["'s", "'m", "'d", "'re", "'ve", "'ll"];

pub fn split_into_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    for paragraph in paragraphs(text) {
        // Line breaks inside a paragraph are wrapping, not sentence ends.
        let joined = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut pending = String::new();
        for piece in joined.split_sentence_bounds() {
            pending.push_str(piece);
            let trimmed = pending.trim_end();
            let last_word = trimmed.rsplit(' ').next().unwrap_or_default().to_lowercase();
            if TITLES.contains(&last_word.as_str()) {
                continue;
            }
            let sentence = pending.trim();
            if !sentence.is_empty() {
                sentences.push(sentence.to_owned());
            }
            pending.clear();
        }
        let rest = pending.trim();
        if !rest.is_empty() {
            sentences.push(rest.to_owned());
        }
    }
    sentences
}

/// Runs of lines separated by blank lines; a list item (Markdown's `- `,
/// `* `, `+ `, `1. `), a quote or a table row starts a paragraph, and a
/// heading (`#`) is one.
fn paragraphs(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut lines = text.lines().peekable();
    std::iter::from_fn(move || {
        while lines.peek().is_some_and(|line| line.trim().is_empty()) {
            lines.next();
        }
        let mut paragraph = String::new();
        while let Some(line) =
            lines.next_if(|line| !line.trim().is_empty() && (paragraph.is_empty() || !opens_block(line)))
        {
            paragraph.push_str(line);
            paragraph.push('\n');
            // A heading is a line of its own.
            if line.trim_start().starts_with('#') {
                break;
            }
        }
        (!paragraph.is_empty()).then_some(paragraph)
    })
}

fn opens_block(line: &str) -> bool {
    let line = line.trim_start();
    let numbered =
        line.find(". ").is_some_and(|dot| dot > 0 && line[..dot].bytes().all(|b| b.is_ascii_digit()));
    line.starts_with(['#', '>', '|'])
        || line.starts_with("- ")
        || line.starts_with("* ")
        || line.starts_with("+ ")
        || numbered
}

pub fn split_into_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        split_chunk(chunk, &mut words);
    }
    words.retain(|word| !(word.is_empty() || word.len() > 1 && word.starts_with('\'')));
    words
}

/// A link or an address stays one word (less what trails it).
fn is_web(chunk: &str) -> bool {
    chunk.contains("://")
        || chunk.starts_with("www.")
        || chunk.find('@').is_some_and(|at| at > 0 && chunk[at..].contains('.'))
}

/// Characters that join the letters or digits on both sides into one word:
/// `high-tech`, `U.S.`, `1,200`, `o'clock`.
fn joins(ch: char) -> bool {
    matches!(ch, '-' | '.' | ',' | '\'' | '’' | '_' | '&')
}

fn split_chunk(chunk: &str, words: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = chunk.char_indices().collect();
    let is_word = |ch: char| ch.is_alphanumeric();
    // Leading punctuation, one symbol per token.
    let mut start = 0;
    while start < chars.len() && !is_word(chars[start].1) {
        words.push(chars[start].1.to_string());
        start += 1;
    }
    // Trailing punctuation, kept to be pushed after the word.
    let mut end = chars.len();
    while end > start && !is_word(chars[end - 1].1) {
        end -= 1;
    }
    if start < end {
        let body = &chunk[chars[start].0..chars.get(end).map_or(chunk.len(), |&(at, _)| at)];
        if is_web(body) {
            words.push(body.to_owned());
        } else {
            split_body(body, words);
        }
    }
    for &(_, ch) in &chars[end.max(start)..] {
        words.push(ch.to_string());
    }
}

/// A run that starts and ends with a letter or digit: split at symbols that
/// do not join, then detach contractions.
fn split_body(body: &str, words: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut from = 0;
    for (i, &(at, ch)) in chars.iter().enumerate() {
        if ch.is_alphanumeric() {
            continue;
        }
        let between_words = i > 0
            && chars[i - 1].1.is_alphanumeric()
            && chars.get(i + 1).is_some_and(|&(_, next)| next.is_alphanumeric());
        let joined = joins(ch) && between_words && (ch != ',' || digits_around(&chars, i));
        if !joined {
            push_word(&body[from..at], words);
            words.push(ch.to_string());
            from = at + ch.len_utf8();
        }
    }
    push_word(&body[from..], words);
}

fn digits_around(chars: &[(usize, char)], i: usize) -> bool {
    chars[i - 1].1.is_ascii_digit() && chars.get(i + 1).is_some_and(|&(_, next)| next.is_ascii_digit())
}

fn push_word(word: &str, words: &mut Vec<String>) {
    if word.is_empty() {
        return;
    }
    let normal = word.replace('’', "'");
    let lower = normal.to_lowercase();
    if lower.len() > 3 && lower.ends_with("n't") {
        let cut = normal.len() - 3;
        words.push(normal[..cut].to_owned());
        words.push(normal[cut..].to_owned());
        return;
    }
    for ending in CONTRACTIONS {
        if lower.len() > ending.len() && lower.ends_with(ending) {
            let cut = normal.len() - ending.len();
            words.push(normal[..cut].to_owned());
            words.push(normal[cut..].to_owned());
            return;
        }
    }
    words.push(word.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_hyphenated_sentence_into_words() {
        assert_eq!(split_into_words("Truly high-tech!"), ["Truly", "high-tech", "!"]);
    }

    #[test]
    fn punctuation_and_contractions_come_off_words() {
        assert_eq!(
            split_into_words("(Men's deals, 1,200 of them: don't wait) https://x.example/a?b=1."),
            [
                "(",
                "Men",
                "deals",
                ",",
                "1,200",
                "of",
                "them",
                ":",
                "do",
                "n't",
                "wait",
                ")",
                "https://x.example/a?b=1",
                "."
            ]
        );
    }

    #[test]
    fn split_sentences() {
        assert_eq!(
            split_into_sentences("One smartwatch. One phone. Many phones."),
            ["One smartwatch.", "One phone.", "Many phones."]
        );
    }

    #[test]
    fn wrapped_lines_are_one_sentence_and_blank_lines_end_one() {
        let text =
            "This is your weekly newsletter! Hundreds of great deals - everything from men's fashion\n\
            to high-tech drones!\n\nDr. Smith agrees\n\nwith the U.S. team";
        assert_eq!(
            split_into_sentences(text),
            [
                "This is your weekly newsletter!",
                "Hundreds of great deals - everything from men's fashion to high-tech drones!",
                "Dr. Smith agrees",
                "with the U.S. team",
            ]
        );
    }

    #[test]
    fn list_items_and_headings_are_sentences_of_their_own() {
        let text =
            "# Release notes\nWhat changed:\n- faster search\n- fewer\n  allocations\n2. smaller binary";
        assert_eq!(
            split_into_sentences(text),
            [
                "# Release notes",
                "What changed:",
                "- faster search",
                "- fewer allocations",
                "2. smaller binary"
            ]
        );
    }
}
