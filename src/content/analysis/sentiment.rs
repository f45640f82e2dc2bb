//! Sentiment: VADER (`vader_sentiment`), which handles negation ("not
//! good"), intensifiers ("very"), capitals and `!`/`?` emphasis.
//!
//! The crate replaces emoji with their names only one code point at a time,
//! so sequences (`👍🏽`, `❤️`) are missed, and the names of several common
//! emoji carry no lexicon word (😡 is "pouting face"). Emoji are therefore
//! replaced here, per grapheme, first from a short table of words VADER
//! knows, then from the crate's emoji lexicon. Longer texts are scored
//! sentence by sentence and averaged, as VADER's authors advise: scored as
//! one, a single "but" anywhere would halve everything before it.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;
use vader_sentiment::SentimentIntensityAnalyzer;

use super::{entities, round_to};

/// Parsing the lexicons takes a few milliseconds: once per process.
static VADER: LazyLock<SentimentIntensityAnalyzer<'static>> = LazyLock::new(SentimentIntensityAnalyzer::new);

/// VADER's conventional cut-off between neutral and polar.
const THRESHOLD: f64 = 0.05;

/// Emoji whose names VADER scores as neutral (or, for 🔥, as negative) but
/// that say something clear in social posts, as lexicon words.
const EMOJI_WORDS: &[(char, &str)] = &[
    ('😡', "angry"),
    ('😠', "angry"),
    ('🤬', "furious"),
    ('😤', "annoyed"),
    ('😒', "annoyed"),
    ('🙄', "annoyed"),
    ('🤮', "disgusting"),
    ('👎', "bad"),
    ('💔', "heartbroken"),
    ('👍', "good"),
    ('👏', "applause"),
    ('🙏', "thanks"),
    ('🎉', "celebrate"),
    ('🥳', "celebrate"),
    ('🔥', "great"),
    ('💯', "perfect"),
    ('😍', "love"),
    ('🥰', "love"),
    ('❤', "love"),
    ('💕', "love"),
    ('💖', "love"),
    ('💙', "love"),
    ('💚', "love"),
    ('💛', "love"),
    ('💜', "love"),
    ('🧡', "love"),
];

/// How positive or negative a text reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sentiment {
    /// VADER compound score from -1 (most negative) to 1 (most positive).
    pub compound: f64,
    /// Share of the text that reads positive (0–1).
    pub positive: f64,
    /// Share of the text that reads neutral (0–1).
    pub neutral: f64,
    /// Share of the text that reads negative (0–1).
    pub negative: f64,
    /// `positive` when compound ≥ 0.05, `negative` when compound ≤ -0.05, else `neutral`.
    pub label: SentimentLabel,
}

/// Overall polarity of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
}

impl SentimentLabel {
    fn of(compound: f64) -> SentimentLabel {
        if compound >= THRESHOLD {
            SentimentLabel::Positive
        } else if compound <= -THRESHOLD {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        }
    }
}

/// Scores a text, given its pieces between sentence boundaries (segmented
/// once for the whole analysis); links should already be removed (they
/// only dilute).
pub(super) fn score(text: &str, pieces: &[&str]) -> Sentiment {
    // Emoji become words, which may move the boundaries; ASCII has none.
    let described;
    let resegmented: Vec<&str>;
    let pieces = if text.is_ascii() {
        pieces
    } else {
        described = describe_emoji(text);
        resegmented = described.split_sentence_bounds().collect();
        &resegmented
    };
    let mut sentences = 0_usize;
    let [mut compound, mut positive, mut neutral, mut negative] = [0.0; 4];
    for &sentence in pieces {
        let scores = VADER.polarity_scores(sentence);
        let get = |key: &str| scores.get(key).copied().unwrap_or(0.0);
        let (pos, neu, neg) = (get("pos"), get("neu"), get("neg"));
        // All zero means VADER found no token at all (whitespace, a lone letter).
        if pos + neu + neg == 0.0 {
            continue;
        }
        sentences += 1;
        compound += if compound_stands(sentence) { get("compound") } else { 0.0 };
        positive += pos;
        neutral += neu;
        negative += neg;
    }
    let n = sentences.max(1) as f64;
    let compound = round_to((compound / n).clamp(-1.0, 1.0), 4);
    Sentiment {
        compound,
        positive: round_to(positive / n, 3),
        neutral: round_to(neutral / n, 3),
        negative: round_to(negative / n, 3),
        label: SentimentLabel::of(compound),
    }
}

/// Whether the sentence's compound score stands as VADER computed it.
/// vader_sentiment 0.1 applies `!`/`?` emphasis to a zero sum as if it were
/// negative ("Version 2 is out!" would score -0.07), where Python's VADER
/// leaves a zero sum at zero; without the marks such a sentence scores 0.
fn compound_stands(sentence: &str) -> bool {
    if !sentence.contains(['!', '?']) {
        return true;
    }
    let calm = VADER.polarity_scores(&sentence.replace(['!', '?'], " "));
    calm.get("compound").is_some_and(|&compound| compound != 0.0)
}

/// Replaces each emoji grapheme VADER can read with its words, spaced so
/// that they never glue onto a neighbouring word.
fn describe_emoji(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for grapheme in super::graphemes::graphemes(text) {
        match emoji_words(grapheme) {
            Some(words) => {
                out.push(' ');
                out.push_str(words);
                out.push(' ');
            }
            None => out.push_str(grapheme),
        }
    }
    out
}

fn emoji_words(grapheme: &str) -> Option<&'static str> {
    if !entities::is_emoji(grapheme) {
        return None;
    }
    let base = grapheme.chars().next()?;
    if let Some((_, words)) = EMOJI_WORDS.iter().find(|(emoji, _)| *emoji == base) {
        return Some(*words);
    }
    let lexicon = &*vader_sentiment::EMOJI_LEXICON;
    let mut buffer = [0; 4];
    let base: &str = base.encode_utf8(&mut buffer);
    lexicon
        .get(grapheme)
        .or_else(|| lexicon.get(grapheme.replace('\u{FE0F}', "").as_str()))
        .or_else(|| lexicon.get(base))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> Sentiment {
        super::score(text, &text.split_sentence_bounds().collect::<Vec<_>>())
    }

    #[test]
    fn negation_flips_polarity() {
        let sentiment = score("This is not good.");
        assert_eq!(sentiment.label, SentimentLabel::Negative);
        assert!(score("This is good.").compound > 0.4);
    }

    #[test]
    fn capitals_intensifiers_and_exclamation_marks_add_emphasis() {
        let plain = score("The book is good.");
        let emphatic = score("The book is VERY GOOD!!!");
        assert_eq!(plain.compound, 0.4404);
        assert!(emphatic.compound > plain.compound + 0.2, "{emphatic:?}");
        assert_eq!(emphatic.label, SentimentLabel::Positive);
    }

    #[test]
    fn exclamation_marks_alone_do_not_make_a_sentence_negative() {
        let sentiment = score("Version 2 is out!");
        assert_eq!((sentiment.compound, sentiment.label), (0.0, SentimentLabel::Neutral));
        assert!(score("This is great!").compound > score("This is great.").compound);
    }

    #[test]
    fn emoji_alone_carry_sentiment() {
        assert_eq!(score("😡").label, SentimentLabel::Negative);
        assert_eq!(score("😍").label, SentimentLabel::Positive);
        assert_eq!(score("👍🏽").label, SentimentLabel::Positive);
        assert_eq!(score("❤️").label, SentimentLabel::Positive);
        assert_eq!(score("😢").label, SentimentLabel::Negative);
    }

    #[test]
    fn emoji_between_words_do_not_glue_onto_them() {
        assert_eq!(describe_emoji("love😡it"), "love angry it");
    }

    #[test]
    fn neutral_and_empty_texts_are_neutral() {
        assert_eq!(score("The train leaves at nine.").label, SentimentLabel::Neutral);
        let empty = score("");
        assert_eq!((empty.compound, empty.label), (0.0, SentimentLabel::Neutral));
    }

    #[test]
    fn sentences_are_averaged() {
        let mixed = score("I love this phone. The battery is terrible.");
        let love = score("I love this phone.");
        assert!(mixed.compound < love.compound);
    }

    #[test]
    fn proportions_sum_to_one() {
        let s = score("What a wonderful, terrible, ordinary day.");
        assert!((s.positive + s.neutral + s.negative - 1.0).abs() < 0.01, "{s:?}");
    }
}
