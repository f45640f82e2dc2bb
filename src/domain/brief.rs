//! A generation brief: what a client asks Herald to write, parsed once at the
//! edge into a normalised value (the same brief always hashes the same).

use serde::Serialize;

use super::post::{Platform, closed_set, parse_list};
use super::{ValidationError, Validator};

const MAX_TOPIC_CHARS: usize = 500;
const MAX_AUDIENCE_CHARS: usize = 200;
const MAX_CTA_CHARS: usize = 300;
const MAX_KEYWORDS: usize = 20;
const MAX_KEYWORD_CHARS: usize = 60;
pub const MAX_VARIANTS: u8 = 5;

closed_set!(
    /// The voice of the generated posts.
    Tone, "professional, casual, friendly, enthusiastic, informative, persuasive", {
        Professional => "professional", Casual => "casual", Friendly => "friendly",
        Enthusiastic => "enthusiastic", Informative => "informative", Persuasive => "persuasive",
    }
);

closed_set!(
    /// How long the posts should be, within each platform's limit.
    LengthPreference, "short, medium, long", {
        Short => "short", Medium => "medium", Long => "long",
    }
);

/// What a client sent; every field optional so that all problems are reported together.
/// (`herald generate --brief FILE` reads it from JSON.)
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BriefInput {
    pub topic: Option<String>,
    pub audience: Option<String>,
    pub tone: Option<String>,
    pub platforms: Option<Vec<String>>,
    pub keywords: Option<Vec<String>>,
    pub call_to_action: Option<String>,
    pub length: Option<String>,
    pub language: Option<String>,
    pub variants: Option<i64>,
}

/// A valid, normalised brief. Serialised (in this field order) for hashing
/// and for storing the brief a draft was generated from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    pub topic: String,
    pub audience: Option<String>,
    #[serde(serialize_with = "as_str_tone")]
    pub tone: Tone,
    #[serde(serialize_with = "as_str_platforms")]
    pub platforms: Vec<Platform>,
    pub keywords: Vec<String>,
    pub call_to_action: Option<String>,
    #[serde(serialize_with = "as_str_length")]
    pub length: LengthPreference,
    /// ISO 639-1 code.
    pub language: String,
    pub variants: u8,
}

fn as_str_tone<S: serde::Serializer>(tone: &Tone, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tone.as_str())
}

fn as_str_length<S: serde::Serializer>(length: &LengthPreference, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(length.as_str())
}

fn as_str_platforms<S: serde::Serializer>(platforms: &[Platform], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(platforms.iter().map(|p| p.as_str()))
}

/// Collapses runs of whitespace so that briefs differing only in spacing are one brief.
fn normalise(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text(field: &str, raw: &str, max: usize, required: bool) -> Result<Option<String>, ValidationError> {
    let value = normalise(raw);
    if value.is_empty() {
        return if required {
            Err(ValidationError::new(field, "required", "must not be empty"))
        } else {
            Ok(None)
        };
    }
    if value.chars().count() > max {
        return Err(ValidationError::new(field, "too_long", format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "invalid", "must not contain control characters"));
    }
    Ok(Some(value))
}

impl Brief {
    /// Parses a brief; `prefix` names it in errors (`briefs[3].` in a batch).
    pub fn parse(input: &BriefInput, prefix: &str) -> Result<Brief, Vec<ValidationError>> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut v = Validator::new();
        let topic = match &input.topic {
            Some(raw) => v.check(text(&f("topic"), raw, MAX_TOPIC_CHARS, true)).flatten(),
            None => v.check(Err(ValidationError::new(f("topic"), "required", "a topic is required"))),
        };
        let audience = match &input.audience {
            Some(raw) => v.check(text(&f("audience"), raw, MAX_AUDIENCE_CHARS, false)),
            None => Some(None),
        };
        let call_to_action = match &input.call_to_action {
            Some(raw) => v.check(text(&f("call_to_action"), raw, MAX_CTA_CHARS, false)),
            None => Some(None),
        };
        let tone = match &input.tone {
            Some(raw) => v.check(Tone::parse(&f("tone"), raw)),
            None => Some(Tone::Professional),
        };
        let length = match &input.length {
            Some(raw) => v.check(LengthPreference::parse(&f("length"), raw)),
            None => Some(LengthPreference::Medium),
        };
        let platforms = match input.platforms.as_deref() {
            Some([]) | None => v.check(Err(ValidationError::new(
                f("platforms"),
                "required",
                "name at least one platform: blog, facebook, linkedin, x, instagram, threads, mastodon, bluesky",
            ))),
            Some(raw) => v.check(parse_list(&f("platforms"), raw, Platform::parse)),
        };
        let keywords = v.check(keywords(&f("keywords"), input.keywords.as_deref().unwrap_or_default()));
        let language = match input.language.as_deref().map(str::trim) {
            None | Some("") => Some("en".to_owned()),
            Some(raw) if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Some(raw.to_ascii_lowercase())
            }
            Some(_) => v.check(Err(ValidationError::new(
                f("language"),
                "invalid",
                "must be a two-letter ISO 639-1 code such as en, es, fr",
            ))),
        };
        let variants = match input.variants {
            None => Some(1),
            Some(n) if (1..=i64::from(MAX_VARIANTS)).contains(&n) => u8::try_from(n).ok(),
            Some(_) => v.check(Err(ValidationError::new(
                f("variants"),
                "out_of_range",
                format!("must be from 1 to {MAX_VARIANTS}"),
            ))),
        };
        v.finish(|| {
            Some(Brief {
                topic: topic?,
                audience: audience?,
                tone: tone?,
                platforms: platforms?,
                keywords: keywords?,
                call_to_action: call_to_action?,
                length: length?,
                language: language?,
                variants: variants?,
            })
        })
    }
}

/// Trimmed, whitespace-collapsed, without a leading `#`, deduplicated ignoring case.
fn keywords(field: &str, raw: &[String]) -> Result<Vec<String>, ValidationError> {
    if raw.len() > MAX_KEYWORDS {
        return Err(ValidationError::new(field, "too_many", format!("at most {MAX_KEYWORDS} keywords")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in raw.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let Some(keyword) = text(&field, item.trim_start_matches('#'), MAX_KEYWORD_CHARS, true)? else {
            continue;
        };
        if !out.iter().any(|k| k.to_lowercase() == keyword.to_lowercase()) {
            out.push(keyword);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BriefInput {
        BriefInput {
            topic: Some("  Rust   web services ".into()),
            platforms: Some(vec!["x".into(), "linkedin".into(), "x".into()]),
            keywords: Some(vec!["#Rust".into(), "rust".into(), "axum".into()]),
            ..BriefInput::default()
        }
    }

    #[test]
    fn a_brief_is_normalised_with_defaults() {
        let brief = Brief::parse(&input(), "").unwrap();
        assert_eq!(brief.topic, "Rust web services");
        assert_eq!(brief.platforms, vec![Platform::X, Platform::Linkedin]);
        assert_eq!(brief.keywords, vec!["Rust", "axum"]);
        assert_eq!(
            (brief.tone, brief.length, brief.language.as_str(), brief.variants),
            (Tone::Professional, LengthPreference::Medium, "en", 1)
        );
    }

    #[test]
    fn every_invalid_field_is_reported_with_its_path() {
        let bad = BriefInput {
            topic: Some("   ".into()),
            platforms: Some(vec!["x".into(), "myspace".into()]),
            tone: Some("angry".into()),
            variants: Some(6),
            language: Some("english".into()),
            ..BriefInput::default()
        };
        let errors = Brief::parse(&bad, "briefs[2].").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "briefs[2].topic",
                "briefs[2].tone",
                "briefs[2].platforms[1]",
                "briefs[2].language",
                "briefs[2].variants"
            ]
        );
        assert_eq!(errors[4].code, "out_of_range");
        let none = BriefInput { topic: Some("t".into()), platforms: Some(vec![]), ..BriefInput::default() };
        assert_eq!(Brief::parse(&none, "").unwrap_err()[0].field, "platforms");
    }
}
