//! Counts (characters, words, sentences, reading time) and, for English,
//! Flesch reading ease and Flesch–Kincaid grade level.
//!
//! Words and sentences follow Unicode segmentation (UAX #29), so they work
//! for any script. The Flesch formulas were fitted on English syllable
//! counts, so other languages get none rather than a misleading number.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;

use super::round_to;

/// Average adult silent reading speed (Brysbaert, 2019).
const WORDS_PER_MINUTE: usize = 238;

/// How easy an English text is to read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Readability {
    /// Flesch reading ease: about 0 (very hard) to 100 (very easy), can fall outside; English only.
    pub flesch_reading_ease: Option<f64>,
    /// Flesch–Kincaid grade level (US school grade); English only.
    pub flesch_kincaid_grade: Option<f64>,
}

/// How long a text is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// User-perceived characters (grapheme clusters).
    pub characters: usize,
    /// Words; a link counts as one.
    pub words: usize,
    /// Sentences (at least 1 when there are words).
    pub sentences: usize,
    /// Reading time at 238 words per minute, rounded up.
    pub reading_time_seconds: usize,
}

/// The words and sentences of prose, segmented once for the counts, the
/// scores and sentiment (each segmented it on its own: a sixth of an
/// analysis's cost).
pub(super) struct Segmented<'a> {
    words: Vec<&'a str>,
    /// Every piece between sentence boundaries, white space included.
    pub(super) bounds: Vec<&'a str>,
    /// The pieces with a letter or digit (`unicode_sentences`).
    sentences: usize,
}

impl<'a> Segmented<'a> {
    pub(super) fn of(prose: &'a str) -> Segmented<'a> {
        let bounds: Vec<&str> = prose.split_sentence_bounds().collect();
        let sentences = bounds.iter().filter(|piece| piece.chars().any(char::is_alphanumeric)).count();
        Segmented { words: prose.unicode_words().collect(), bounds, sentences }
    }
}

/// `text` is the whole text, `prose` the same without its `links` links.
pub(super) fn counts(text: &str, prose: &Segmented<'_>, links: usize) -> Counts {
    let words = prose.words.len() + links;
    let sentences = if words == 0 { 0 } else { prose.sentences.max(1) };
    Counts {
        characters: super::graphemes::count(text),
        words,
        sentences,
        reading_time_seconds: (words * 60).div_ceil(WORDS_PER_MINUTE),
    }
}

/// Flesch scores of prose (links removed), or none when it is not English.
pub(super) fn readability(prose: &Segmented<'_>, english: bool) -> Readability {
    let (words, sentences) = (&prose.words, prose.sentences);
    if !english || words.is_empty() || sentences == 0 {
        return Readability::default();
    }
    let syllables: usize = words.iter().map(|word| syllables(word)).sum();
    let words_per_sentence = words.len() as f64 / sentences as f64;
    let syllables_per_word = syllables as f64 / words.len() as f64;
    Readability {
        flesch_reading_ease: Some(round_to(
            206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word,
            1,
        )),
        flesch_kincaid_grade: Some(round_to(
            0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59,
            1,
        )),
    }
}

/// English syllables by spelling: groups of vowels, less a silent final
/// `e` (make), `es` (makes) or `ed` (jumped), but not the `le` of table or
/// the `es`/`ed` heard after sibilants and t/d (boxes, wanted). A word
/// without letters (a number) counts one.
pub(super) fn syllables(word: &str) -> usize {
    let w: Vec<u8> = word.bytes().filter(u8::is_ascii_alphabetic).map(|b| b.to_ascii_lowercase()).collect();
    let n = w.len();
    if n <= 3 {
        return 1;
    }
    // A leading y is a consonant (yellow), elsewhere a vowel (lazy, syllable).
    let vowel = |i: usize| matches!(w[i], b'a' | b'e' | b'i' | b'o' | b'u') || (w[i] == b'y' && i > 0);
    let groups = (0..n).filter(|&i| vowel(i) && (i == 0 || !vowel(i - 1))).count();
    let silent = match (w[n - 2], w[n - 1]) {
        (b'l', b'e') => vowel(n - 3),
        (_, b'e') => !vowel(n - 2),
        (b'e', b's') => {
            !vowel(n - 3)
                && !matches!(w[n - 3], b's' | b'x' | b'z' | b'c' | b'g' | b'h')
                && (w[n - 3] != b'l' || vowel(n - 4))
        }
        (b'e', b'd') => !vowel(n - 3) && !matches!(w[n - 3], b't' | b'd'),
        _ => false,
    };
    groups.saturating_sub(usize::from(silent)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_common_words() {
        let expected = [
            ("the", 1),
            ("quick", 1),
            ("over", 2),
            ("lazy", 2),
            ("yellow", 2),
            ("table", 2),
            ("tables", 2),
            ("whale", 1),
            ("cake", 1),
            ("free", 1),
            ("makes", 1),
            ("boxes", 2),
            ("goes", 1),
            ("jumped", 1),
            ("wanted", 2),
            ("played", 1),
            ("syllable", 3),
            ("beautiful", 3),
            ("sentence", 2),
            ("Reading", 2),
            ("2024", 1),
        ];
        for (word, count) in expected {
            assert_eq!(syllables(word), count, "{word}");
        }
    }

    #[test]
    fn flesch_of_the_pangram() {
        // 9 words, 1 sentence, 11 syllables:
        // 206.835 - 1.015 * 9 - 84.6 * 11/9 = 94.3; 0.39 * 9 + 11.8 * 11/9 - 15.59 = 2.34
        let scores = readability(&Segmented::of("The quick brown fox jumps over the lazy dog."), true);
        assert_eq!(scores.flesch_reading_ease, Some(94.3));
        assert_eq!(scores.flesch_kincaid_grade, Some(2.3));
    }

    #[test]
    fn flesch_is_english_only() {
        assert_eq!(
            readability(&Segmented::of("El rápido zorro marrón salta sobre el perro perezoso."), false),
            Readability::default()
        );
        assert_eq!(readability(&Segmented::of(""), true), Readability::default());
    }

    #[test]
    fn counts_words_sentences_characters_and_reading_time() {
        let text = "Hello world. This is Herald! https://example.com";
        let prose = "Hello world. This is Herald!  ";
        // 5 words + 1 link; 6 words at 238 per minute take 1.5 s, rounded up.
        assert_eq!(
            counts(text, &Segmented::of(prose), 1),
            Counts { characters: 48, words: 6, sentences: 2, reading_time_seconds: 2 }
        );
        assert_eq!(
            counts("", &Segmented::of(""), 0),
            Counts { characters: 0, words: 0, sentences: 0, reading_time_seconds: 0 }
        );
        assert_eq!(counts("👍", &Segmented::of("👍"), 0).characters, 1);
    }
}
