//! Posts: the parsed forms of what authors write, and the publishing workflow.

use std::fmt;

use chrono::{DateTime, Utc};

use super::ValidationError;

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_EXCERPT_CHARS: usize = 1_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_SLUG_CHARS: usize = 200;

/// 1–300 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTitle(String);

impl PostTitle {
    pub fn parse(field: &str, raw: &str) -> Result<PostTitle, ValidationError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ValidationError::new(field, "required", "a title is required"));
        }
        if value.chars().count() > MAX_TITLE_CHARS {
            return Err(ValidationError::new(field, "too_long", "at most 300 characters"));
        }
        if value.chars().any(char::is_control) {
            return Err(ValidationError::new(field, "invalid", "control characters are not allowed"));
        }
        Ok(PostTitle(value.to_owned()))
    }
}

/// Markdown source, 1–100,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody(String);

impl PostBody {
    pub fn parse(field: &str, raw: &str) -> Result<PostBody, ValidationError> {
        if raw.trim().is_empty() {
            return Err(ValidationError::new(field, "required", "a body is required"));
        }
        if raw.chars().count() > MAX_BODY_CHARS {
            return Err(ValidationError::new(field, "too_long", "at most 100000 characters"));
        }
        Ok(PostBody(raw.to_owned()))
    }
}

/// A hand-written summary, at most 1,000 characters (empty means "derive it").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt(String);

impl Excerpt {
    pub fn parse(field: &str, raw: &str) -> Result<Excerpt, ValidationError> {
        let value = raw.trim();
        if value.chars().count() > MAX_EXCERPT_CHARS {
            return Err(ValidationError::new(field, "too_long", "at most 1000 characters"));
        }
        Ok(Excerpt(value.to_owned()))
    }
}

macro_rules! as_str {
    ($($name:ident),+) => {
        $(impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        })+
    };
}
as_str!(PostTitle, PostBody, Excerpt);

/// A URL slug: lower-case ASCII letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Accepts a slug a client chose; it must already be in canonical form.
    pub fn parse(field: &str, raw: &str) -> Result<Slug, ValidationError> {
        let value = raw.trim();
        let canonical = !value.is_empty()
            && value.len() <= MAX_SLUG_CHARS
            && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-')
            && !value.contains("--");
        if !canonical {
            return Err(ValidationError::new(
                field,
                "invalid",
                "use lower-case letters, digits and single hyphens (e.g. my-first-post)",
            ));
        }
        Ok(Slug(value.to_owned()))
    }

    /// Derives a slug from any title: letters of every script are
    /// transliterated (`Über Café` → `uber-cafe`, `Привет` → `privet`);
    /// a title with nothing sluggable (only punctuation) yields `post`.
    pub fn from_title(title: &str) -> Slug {
        let mut slug = slug::slugify(title);
        if slug.len() > MAX_SLUG_CHARS {
            let cut = slug[..MAX_SLUG_CHARS].rfind('-').unwrap_or(MAX_SLUG_CHARS);
            slug.truncate(cut);
        }
        if slug.is_empty() {
            slug = "post".to_owned();
        }
        Slug(slug)
    }

    /// The `n`-th alternative when the slug is taken: `slug-2`, `slug-3`, …
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(MAX_SLUG_CHARS - suffix.len());
        Slug(format!("{}{suffix}", base.trim_end_matches('-')))
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tags, normalised: trimmed, lower-cased, inner whitespace as `-`, no
/// duplicates, at most 20 of at most 50 characters (letters of any script,
/// digits, `-`, `_`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse(field: &str, raw: &[String]) -> Result<Tags, ValidationError> {
        let mut tags: Vec<String> = Vec::new();
        for (i, tag) in raw.iter().enumerate() {
            let normal = tag.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
            if normal.is_empty() {
                continue;
            }
            let ok = normal.chars().count() <= MAX_TAG_CHARS
                && normal.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(ValidationError::new(
                    format!("{field}[{i}]"),
                    "invalid",
                    "tags have at most 50 letters, digits, '-' or '_'",
                ));
            }
            if !tags.contains(&normal) {
                tags.push(normal);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(ValidationError::new(field, "too_many", "at most 20 tags"));
        }
        Ok(Tags(tags))
    }

    /// Tags made from free-form keywords (generation briefs), never failing:
    /// other characters become `-` (`node.js` → `node-js`, `C++` → `c`), and
    /// what is left empty or beyond the limits is dropped.
    pub fn from_keywords(keywords: &[String]) -> Tags {
        let mut tags: Vec<String> = Vec::new();
        for keyword in keywords {
            let mapped: String = keyword
                .to_lowercase()
                .chars()
                .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
                .collect();
            let tag: String = mapped.split('-').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("-");
            let tag: String = tag.chars().take(MAX_TAG_CHARS).collect();
            let tag = tag.trim_end_matches('-').to_owned();
            if !tag.is_empty() && !tags.contains(&tag) && tags.len() < MAX_TAGS {
                tags.push(tag);
            }
        }
        Tags(tags)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The stored form (`a,b,c`); tags never contain commas.
    pub fn joined(&self) -> String {
        self.0.join(",")
    }

    /// Tags as stored (already normalised when they were written).
    pub(super) fn from_stored(stored: &str) -> Result<Tags, std::convert::Infallible> {
        Ok(Tags(Tags::split_stored(stored)))
    }

    pub fn split_stored(stored: &str) -> Vec<String> {
        stored.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
    }
}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident, $field_hint:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(field: &str, raw: &str) -> Result<$name, ValidationError> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValidationError::new(field, "invalid", concat!("must be one of ", $field_hint))),
                }
            }
        }

        crate::domain::ids::text_codec!($name);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use closed_set;

closed_set!(
    /// Where a post is meant to appear.
    Platform, "blog, facebook, linkedin, x, instagram, threads, mastodon, bluesky", {
        Blog => "blog", Facebook => "facebook", Linkedin => "linkedin", X => "x",
        Instagram => "instagram", Threads => "threads", Mastodon => "mastodon", Bluesky => "bluesky",
    }
);

closed_set!(
    /// What kind of content a post is.
    ContentType, "article, announcement, educational, promotional, update", {
        Article => "article", Announcement => "announcement", Educational => "educational",
        Promotional => "promotional", Update => "update",
    }
);

closed_set!(
    /// Where a post is in its workflow.
    PostStatus, "draft, scheduled, published, archived", {
        Draft => "draft", Scheduled => "scheduled", Published => "published", Archived => "archived",
    }
);

/// A workflow action, each an explicit endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Publish,
    Schedule(DateTime<Utc>),
    Unschedule,
    Archive,
    Restore,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Publish => "publish",
            Transition::Schedule(_) => "schedule",
            Transition::Unschedule => "unschedule",
            Transition::Archive => "archive",
            Transition::Restore => "restore",
        }
    }
}

impl PostStatus {
    /// The status after `transition`, or `None` if it is not allowed from here.
    /// draft → scheduled → published → archived → draft; draft or scheduled →
    /// published directly; scheduled → draft.
    pub fn apply(self, transition: Transition) -> Option<PostStatus> {
        use PostStatus as S;
        use Transition as T;
        match (self, transition) {
            (S::Draft | S::Scheduled, T::Publish) => Some(S::Published),
            (S::Draft, T::Schedule(_)) => Some(S::Scheduled),
            (S::Scheduled, T::Unschedule) => Some(S::Draft),
            (S::Published, T::Archive) => Some(S::Archived),
            (S::Archived, T::Restore) => Some(S::Draft),
            _ => None,
        }
    }
}

/// Parses a list of closed-set values, reporting the index of a bad one and
/// dropping duplicates.
pub fn parse_list<T: PartialEq + Copy>(
    field: &str,
    raw: &[String],
    parse: impl Fn(&str, &str) -> Result<T, ValidationError>,
) -> Result<Vec<T>, ValidationError> {
    let mut out = Vec::new();
    for (i, item) in raw.iter().enumerate() {
        let value = parse(&format!("{field}[{i}]"), item)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_valid_tags_or_are_dropped() {
        let keywords: Vec<String> = ["Node.js", "C++", "open  source", "***", "Rust", "rust"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let tags = Tags::from_keywords(&keywords);
        assert_eq!(tags.as_slice(), ["node-js", "c", "open-source", "rust"]);
        assert_eq!(Tags::parse("tags", tags.as_slice()).unwrap(), tags, "always valid tags");
    }

    #[test]
    fn slugs_are_derived_from_titles_in_any_script() {
        assert_eq!(Slug::from_title("Hello, World!").as_ref(), "hello-world");
        assert_eq!(Slug::from_title("Über Café Ñandú").as_ref(), "uber-cafe-nandu");
        assert_eq!(Slug::from_title("Привет мир").as_ref(), "privet-mir");
        assert_eq!(Slug::from_title("🎉").as_ref(), "tada", "emoji are spelled out");
        assert_eq!(Slug::from_title("?!…").as_ref(), "post");
        assert!(Slug::from_title(&"word ".repeat(100)).as_ref().len() <= MAX_SLUG_CHARS);
        assert_eq!(Slug::from_title("Hello").with_suffix(2).as_ref(), "hello-2");
    }

    #[test]
    fn client_slugs_must_be_canonical() {
        assert!(Slug::parse("slug", "my-post-2").is_ok());
        for bad in ["", "My-Post", "a--b", "-a", "a-", "a b", "ü"] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags_are_normalised_deduplicated_and_limited() {
        let raw: Vec<String> =
            ["  Rust ", "rust", "Web Dev", "", "ñandú"].iter().map(ToString::to_string).collect();
        assert_eq!(Tags::parse("tags", &raw).unwrap().as_slice(), ["rust", "web-dev", "ñandú"]);
        let bad = vec!["ok".to_owned(), "no,commas".to_owned()];
        assert_eq!(Tags::parse("tags", &bad).unwrap_err().field, "tags[1]");
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse("tags", &many).unwrap_err().code, "too_many");
    }

    #[test]
    fn titles_and_bodies_have_bounds() {
        assert!(PostTitle::parse("title", "  ").is_err());
        assert!(PostTitle::parse("title", &"x".repeat(301)).is_err());
        assert!(PostTitle::parse("title", &"é".repeat(300)).is_ok(), "characters, not bytes");
        assert!(PostBody::parse("body", &"x".repeat(100_001)).is_err());
        assert!(PostBody::parse("body", "").is_err());
    }

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        use PostStatus as S;
        let at = Utc::now();
        let allowed = [
            (S::Draft, Transition::Publish, S::Published),
            (S::Draft, Transition::Schedule(at), S::Scheduled),
            (S::Scheduled, Transition::Publish, S::Published),
            (S::Scheduled, Transition::Unschedule, S::Draft),
            (S::Published, Transition::Archive, S::Archived),
            (S::Archived, Transition::Restore, S::Draft),
        ];
        let all = [
            Transition::Publish,
            Transition::Schedule(at),
            Transition::Unschedule,
            Transition::Archive,
            Transition::Restore,
        ];
        for from in S::ALL {
            for t in all {
                let expected = allowed.iter().find(|(f, tr, _)| f == from && *tr == t).map(|(_, _, to)| *to);
                assert_eq!(from.apply(t), expected, "{from} --{}-->", t.name());
            }
        }
    }
}
