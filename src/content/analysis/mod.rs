//! Text analysis of a post: sentiment, key phrases, language, readability,
//! counts, entities, and whether it fits each target platform.
//!
//! Everything runs in process from data compiled into the binary (lexicons,
//! stop words, trigram profiles); nothing is downloaded. Analysis runs on
//! every save, so the expensive tables are built once per process.

mod entities;
mod graphemes;
mod keywords;
mod language;
mod platforms;
mod readability;
mod sentiment;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use keywords::Keyword;
pub use language::Language;
pub use platforms::{PlatformCheck, Warning};
pub use readability::{Counts, Readability};
pub use sentiment::{Sentiment, SentimentLabel};

use crate::domain::post::Platform;

/// Everything known about a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Analysis {
    pub sentiment: Sentiment,
    /// Up to 10 key phrases, most relevant first.
    pub keywords: Vec<Keyword>,
    /// Absent when the text is too short or has no letters to tell.
    pub language: Option<Language>,
    pub readability: Readability,
    pub counts: Counts,
    /// Hashtags without `#`, in order of appearance, duplicates (ignoring case) removed.
    pub hashtags: Vec<String>,
    /// Mentions without the leading `@` (`alice`, `alice@mastodon.social`, `alice.bsky.social`).
    pub mentions: Vec<String>,
    /// `http(s)://` and `www.` links, in order of appearance.
    pub links: Vec<String>,
    /// One check per requested platform, in request order.
    pub platforms: Vec<PlatformCheck>,
}

/// Analyses texts; holds what differs between deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analyzer {
    mastodon_limit: usize,
}

impl Analyzer {
    /// `mastodon_limit` is the character limit of the instance posts go to
    /// (500 on mastodon.social).
    pub fn new(mastodon_limit: usize) -> Analyzer {
        Analyzer { mastodon_limit }
    }

    /// Analyses `text` (leading and trailing whitespace ignored) and checks
    /// it against each of `platforms`.
    pub fn analyze(&self, text: &str, platforms: &[Platform]) -> Analysis {
        let text = text.trim();
        let scan = entities::scan(text);
        let prose = scan.without_links();
        let language = language::detect(&scan.for_language());
        let code = language.as_ref().map(|language| language.code.as_str());
        let segmented = readability::Segmented::of(&prose);
        let mut targets: Vec<Platform> = Vec::with_capacity(platforms.len());
        for &platform in platforms {
            if !targets.contains(&platform) {
                targets.push(platform);
            }
        }
        Analysis {
            sentiment: sentiment::score(&prose, &segmented.bounds),
            keywords: keywords::extract(&scan.for_keywords(), code),
            readability: readability::readability(&segmented, code == Some("en")),
            counts: readability::counts(text, &segmented, scan.links.len()),
            hashtags: scan.hashtag_names(),
            mentions: scan.mention_names(),
            links: scan.link_urls(),
            platforms: targets.into_iter().map(|p| platforms::check(&scan, p, self.mastodon_limit)).collect(),
            language,
        }
    }

    /// Whether `text` fits `platform`, by how much it does not, and what the
    /// platform will handle badly.
    pub fn check_platform(&self, text: &str, platform: Platform) -> PlatformCheck {
        platforms::check(&entities::scan(text.trim()), platform, self.mastodon_limit)
    }

    /// Whether `text` fits `platform` (the check's `fits`, without its warnings).
    pub fn fits(&self, text: &str, platform: Platform) -> bool {
        platforms::fits(&entities::scan(text.trim()), platform, self.mastodon_limit)
    }

    /// The platform's length limit in its own counting rule, if it has one.
    pub fn limit(&self, platform: Platform) -> Option<usize> {
        platforms::limit(platform, self.mastodon_limit)
    }

    /// `text` unchanged if it fits `platform`; otherwise shortened by whole
    /// sentences from the end (keeping a closing line of hashtags when
    /// possible), or, when not even the first sentence fits, cut before a
    /// word and ended with "…".
    pub fn trim_to_fit(&self, text: &str, platform: Platform) -> String {
        let fits = |candidate: &str| self.fits(candidate, platform);
        if fits(text) {
            return text.to_owned();
        }
        platforms::trim(text, fits)
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "Herald 1.0 is out! It is a self-hosted backend for blog and social posts, \
        written in Rust, and we are really happy with how fast it turned out. Read the release notes \
        at https://example.com/herald/1.0 and tell @alice@mastodon.social what you think.\n\n#rust #selfhosted";

    #[test]
    fn analyses_a_post() {
        let analysis = Analyzer::new(500).analyze(POST, &[Platform::X, Platform::Bluesky, Platform::X]);
        assert_eq!(analysis.sentiment.label, SentimentLabel::Positive);
        assert_eq!(analysis.language.as_ref().map(|l| l.code.as_str()), Some("en"));
        assert!(analysis.readability.flesch_reading_ease.is_some());
        assert_eq!(analysis.hashtags, ["rust", "selfhosted"]);
        assert_eq!(analysis.mentions, ["alice@mastodon.social"]);
        assert_eq!(analysis.links, ["https://example.com/herald/1.0"]);
        assert!(!analysis.keywords.is_empty());
        assert_eq!(analysis.counts.sentences, 4);
        let platforms: Vec<&str> = analysis.platforms.iter().map(|c| c.platform.as_str()).collect();
        assert_eq!(platforms, ["x", "bluesky"]);
    }

    #[test]
    fn analysis_round_trips_through_json() {
        let analysis = Analyzer::new(500).analyze(POST, Platform::ALL);
        let json = serde_json::to_string(&analysis).unwrap();
        let back: Analysis = serde_json::from_str(&json).unwrap();
        assert_eq!(back, analysis);
        assert!(json.contains(r#""label":"positive""#), "{json}");
    }

    #[test]
    fn empty_text_is_analysed_without_panicking() {
        let analysis = Analyzer::new(500).analyze("   ", Platform::ALL);
        assert_eq!(analysis.language, None);
        assert_eq!(analysis.counts.words, 0);
        assert!(analysis.platforms.iter().all(|check| check.fits));
    }

    #[test]
    fn mastodon_limit_is_the_configured_one() {
        let text = "a".repeat(600);
        assert!(!Analyzer::new(500).check_platform(&text, Platform::Mastodon).fits);
        assert!(Analyzer::new(1_000).check_platform(&text, Platform::Mastodon).fits);
    }

    #[test]
    fn trim_to_fit_returns_fitting_text_unchanged() {
        let analyzer = Analyzer::new(500);
        assert_eq!(analyzer.trim_to_fit("  Short. ", Platform::X), "  Short. ");
    }

    #[test]
    fn trimmed_text_fits() {
        let analyzer = Analyzer::new(500);
        for platform in Platform::ALL.iter().copied() {
            let trimmed = analyzer.trim_to_fit(&POST.repeat(40), platform);
            assert!(analyzer.check_platform(&trimmed, platform).fits, "{platform}: {trimmed}");
        }
        assert_eq!(analyzer.trim_to_fit(POST, Platform::X), POST, "260 weighted characters fit");
        let longer = POST.replace(
            "what you think.",
            "what you think, because every piece of feedback helps us decide what to build next.",
        );
        assert_eq!(
            analyzer.trim_to_fit(&longer, Platform::X),
            "Herald 1.0 is out! It is a self-hosted backend for blog and social posts, written in Rust, \
             and we are really happy with how fast it turned out.\n\n#rust #selfhosted"
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_to(94.25, 1), 94.3);
        assert_eq!(round_to(-0.34125, 3), -0.341);
    }
}
