//! Key phrases with YAKE (`yake-rust`): statistical, unsupervised, one to
//! three words per phrase, with the stop words of the text's language.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{LazyLock, OnceLock};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yake_rust::{Config, StopWords};

const MAX_KEYWORDS: usize = 10;

/// The stop-word lists yake-rust ships (its own codes: Czech is `cz`).
const STOP_WORD_LANGUAGES: [&str; 34] = [
    "ar", "bg", "br", "cz", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "hi", "hr", "hu", "hy",
    "id", "it", "ja", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh",
];

/// Each list is parsed into a set on first use only: most deployments
/// write in one or two languages.
static STOP_WORDS: [OnceLock<Option<StopWords>>; STOP_WORD_LANGUAGES.len()] =
    [const { OnceLock::new() }; STOP_WORD_LANGUAGES.len()];

static CONFIG: LazyLock<Config> = LazyLock::new(Config::default);

/// A key phrase of the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Keyword {
    /// The phrase, lower-cased (1–3 words).
    pub phrase: String,
    /// YAKE score: the lower, the more relevant.
    pub score: f64,
}

/// Up to ten key phrases, most relevant first. `language` is an ISO 639-1
/// code; English stop words are used when it is unknown or has no list.
pub(super) fn extract(text: &str, language: Option<&str>) -> Vec<Keyword> {
    let Some(stop_words) = stop_words(language.map_or("en", yake_code)).or_else(|| stop_words("en")) else {
        return Vec::new();
    };
    // A statistical heuristic must never fail a post save; yake-rust has
    // unwraps on paths we cannot rule out for every input.
    let found =
        catch_unwind(AssertUnwindSafe(|| yake_rust::get_n_best(MAX_KEYWORDS, text, stop_words, &CONFIG)));
    match found {
        Ok(items) => items
            .into_iter()
            .filter(|item| item.score.is_finite())
            .map(|item| Keyword { phrase: item.keyword, score: significant(item.score) })
            .collect(),
        Err(_) => {
            tracing::warn!("keyword extraction panicked; no keywords for this text");
            Vec::new()
        }
    }
}

/// Five significant digits: enough to rank, and short enough that
/// serde_json's default (fast-path) float parsing reads back exactly the
/// value that was stored.
fn significant(score: f64) -> f64 {
    format!("{score:.4e}").parse().unwrap_or(score)
}

fn yake_code(iso639_1: &str) -> &str {
    match iso639_1 {
        "cs" => "cz",
        "nb" | "nn" => "no",
        other => other,
    }
}

fn stop_words(code: &str) -> Option<&'static StopWords> {
    let index = STOP_WORD_LANGUAGES.iter().position(|known| *known == code)?;
    STOP_WORDS[index].get_or_init(|| StopWords::predefined(code)).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUST: &str = "Rust is a systems programming language focused on safety and speed. \
        Rust prevents memory errors at compile time. Many teams adopt Rust for web services \
        and command line tools. The Rust compiler gives helpful error messages.";

    #[test]
    fn english_text_yields_its_key_phrase_first() {
        // The reference implementation (LIAAD/yake) ranks "weekly newsletter" first, at 0.0780.
        let text = "This is your weekly newsletter! Hundreds of great deals - everything from men's \
                    fashion to high-tech drones!";
        let keywords = extract(text, Some("en"));
        assert_eq!(keywords.first().map(|k| k.phrase.as_str()), Some("weekly newsletter"), "{keywords:?}");
        assert!((keywords[0].score - 0.078).abs() < 0.0005, "{keywords:?}");
    }

    #[test]
    fn keywords_are_at_most_ten_most_relevant_first() {
        let keywords = extract(RUST, Some("en"));
        assert!((1..=MAX_KEYWORDS).contains(&keywords.len()), "{keywords:?}");
        assert!(keywords.windows(2).all(|pair| pair[0].score <= pair[1].score), "{keywords:?}");
        assert!(keywords.iter().any(|k| k.phrase.contains("programming language")), "{keywords:?}");
    }

    #[test]
    fn stop_words_follow_the_language() {
        let text = "El gobierno anunció nuevas medidas para las familias. Las medidas llegan pero como \
                    siempre tarde para las familias desde el gobierno.";
        let keywords = extract(text, Some("es"));
        assert!(!keywords.is_empty());
        for keyword in &keywords {
            let words: Vec<&str> = keyword.phrase.split(' ').collect();
            for stop in ["para", "pero", "como", "desde", "las"] {
                assert_ne!(words.first(), Some(&stop), "{keywords:?}");
                assert_ne!(words.last(), Some(&stop), "{keywords:?}");
            }
        }
    }

    #[test]
    fn unknown_languages_fall_back_to_english() {
        assert!(stop_words(yake_code("xx")).is_none());
        assert!(!extract(RUST, Some("xx")).is_empty());
        assert!(!extract(RUST, None).is_empty());
        assert_eq!(yake_code("cs"), "cz");
    }

    #[test]
    fn scores_keep_five_significant_digits() {
        assert_eq!(significant(0.000_123_456_7), 0.000_123_46);
        assert_eq!(significant(2.5), 2.5);
    }

    #[test]
    fn empty_text_has_no_keywords() {
        assert!(extract("", Some("en")).is_empty());
    }
}
