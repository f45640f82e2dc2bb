//! Per-platform length rules, limits and warnings, and trimming a text to fit.
//!
//! Each platform counts differently, and none of them counts bytes:
//!
//! - X (`weighted`): twitter-text v3. Code points in U+0000–U+10FF,
//!   U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, everything
//!   else 2 (CJK, `…`); an emoji sequence (family, flag, skin tone) weighs 2
//!   in total; a link weighs 23 whatever its length. twitter-text first
//!   normalises to NFC; we do not, so a decomposed `é` weighs 2 instead of 1.
//!   Bare domains (`example.com/x`) count 23 too, as in twitter-text, for
//!   common top-level domains (twitter-text knows them all).
//! - Bluesky, Threads, blog (`graphemes`): user-perceived characters.
//!   Bluesky's limit is defined in graphemes; Threads does not document its
//!   rule, and graphemes are what its users see.
//! - Mastodon (`graphemes_short_links`): graphemes, but every `http(s)://`
//!   link counts 23 and `@user@instance` counts as `@user`, as the server's
//!   `StatusLengthValidator` does. The limit is per instance (configured).
//! - LinkedIn, Instagram, Facebook (`utf16`): UTF-16 code units, what their
//!   JavaScript composers measure (an emoji counts 2). It is also the largest
//!   of the possible counts, so "fits" is never claimed too eagerly.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;

use super::entities::{self, Scan};
use crate::domain::post::Platform;

const LINK_LENGTH: usize = 23;
const BLUESKY_MAX_BYTES: usize = 3_000;

/// Whether a text fits one platform, by that platform's own counting rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlatformCheck {
    /// The platform (`x`, `bluesky`, `threads`, `mastodon`, `linkedin`, `instagram`, `facebook`, `blog`).
    pub platform: String,
    /// How `length` is counted: `weighted` (X: CJK and emoji 2, links 23), `graphemes`,
    /// `graphemes_short_links` (Mastodon: links 23, remote mentions as `@user`) or `utf16` (code units).
    pub counting: String,
    /// Length of the text by the platform's rule.
    pub length: usize,
    /// The platform's limit; absent when there is none (blog).
    pub limit: Option<usize>,
    /// Whether `length` is within `limit`.
    pub fits: bool,
    /// How much too long the text is (0 when it fits).
    pub over_by: usize,
    /// How much more text would still fit (0 when it does not fit or there is no limit).
    pub remaining: usize,
    /// Advice beyond length: too many hashtags, links that will not work, …
    pub warnings: Vec<Warning>,
}

/// Something about the text that the platform will handle badly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    /// Stable machine-readable code, e.g. `too_many_hashtags`, `links_not_clickable`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    Weighted,
    Graphemes,
    GraphemesShortLinks,
    Utf16,
}

impl Counting {
    fn name(self) -> &'static str {
        match self {
            Counting::Weighted => "weighted",
            Counting::Graphemes => "graphemes",
            Counting::GraphemesShortLinks => "graphemes_short_links",
            Counting::Utf16 => "utf16",
        }
    }
}

fn rule(platform: Platform, mastodon_limit: usize) -> (Counting, Option<usize>) {
    match platform {
        Platform::X => (Counting::Weighted, Some(280)),
        Platform::Bluesky => (Counting::Graphemes, Some(300)),
        Platform::Threads => (Counting::Graphemes, Some(500)),
        Platform::Mastodon => (Counting::GraphemesShortLinks, Some(mastodon_limit)),
        Platform::Linkedin => (Counting::Utf16, Some(3_000)),
        Platform::Instagram => (Counting::Utf16, Some(2_200)),
        Platform::Facebook => (Counting::Utf16, Some(63_206)),
        Platform::Blog => (Counting::Graphemes, None),
    }
}

/// Checks the scanned text against one platform.
pub(super) fn check(scan: &Scan<'_>, platform: Platform, mastodon_limit: usize) -> PlatformCheck {
    let (counting, limit) = rule(platform, mastodon_limit);
    let length = measure(scan, counting);
    let (fits, over_by, remaining) = match limit {
        Some(limit) => (length <= limit, length.saturating_sub(limit), limit.saturating_sub(length)),
        None => (true, 0, 0),
    };
    PlatformCheck {
        platform: platform.as_str().to_owned(),
        counting: counting.name().to_owned(),
        length,
        limit,
        fits,
        over_by,
        remaining,
        warnings: warnings(scan, platform),
    }
}

/// The platform's limit in its own counting rule (`None`: no limit).
pub(super) fn limit(platform: Platform, mastodon_limit: usize) -> Option<usize> {
    rule(platform, mastodon_limit).1
}

/// `check(…).fits` without building the warnings.
pub(super) fn fits(scan: &Scan<'_>, platform: Platform, mastodon_limit: usize) -> bool {
    let (counting, limit) = rule(platform, mastodon_limit);
    limit.is_none_or(|limit| measure(scan, counting) <= limit)
}

fn measure(scan: &Scan<'_>, counting: Counting) -> usize {
    match counting {
        Counting::Weighted => {
            let links: Vec<_> = scan.links.iter().map(|link| (link.range.clone(), LINK_LENGTH)).collect();
            length_with(scan.text, &links, weighted)
        }
        Counting::Graphemes => graphemes(scan.text),
        Counting::GraphemesShortLinks => {
            let links = scan
                .links
                .iter()
                .filter(|link| link.has_scheme)
                .map(|link| (link.range.clone(), LINK_LENGTH));
            let remote_mentions = scan
                .mentions
                .iter()
                .filter(|m| m.local_end < m.range.end)
                .map(|m| (m.range.clone(), graphemes(&scan.text[m.range.start..m.local_end])));
            let mut fixed: Vec<_> = links.chain(remote_mentions).collect();
            fixed.sort_by_key(|(range, _)| range.start);
            length_with(scan.text, &fixed, graphemes)
        }
        Counting::Utf16 => scan.text.encode_utf16().count(),
    }
}

/// The length of `text` where each of the sorted, disjoint `fixed` ranges
/// counts as its given length and everything else as `plain` measures it.
fn length_with(text: &str, fixed: &[(Range<usize>, usize)], plain: impl Fn(&str) -> usize) -> usize {
    let mut length = 0;
    let mut pos = 0;
    for (range, counted) in fixed {
        length += plain(&text[pos..range.start]) + counted;
        pos = range.end;
    }
    length + plain(&text[pos..])
}

fn graphemes(text: &str) -> usize {
    super::graphemes::count(text)
}

/// twitter-text's weights with its scale of 100 divided out (100 → 1, 200 → 2).
fn weighted(text: &str) -> usize {
    // Every ASCII character weighs 1 (a CR LF cluster is two characters: 2).
    if text.is_ascii() {
        return text.len();
    }
    super::graphemes::graphemes(text)
        .map(|g| if entities::is_emoji(g) { 2 } else { g.chars().map(char_weight).sum::<usize>() })
        .sum()
}

fn char_weight(c: char) -> usize {
    match u32::from(c) {
        0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

fn warning(code: &str, message: String) -> Warning {
    Warning { code: code.to_owned(), message }
}

fn warnings(scan: &Scan<'_>, platform: Platform) -> Vec<Warning> {
    let hashtags = scan.hashtags.len();
    let links = scan.links.len();
    let mut found = Vec::new();
    if scan.text.trim().is_empty() {
        found.push(warning("empty", "the text is empty".to_owned()));
    }
    match platform {
        Platform::X => {
            if hashtags > 2 {
                found.push(warning(
                    "too_many_hashtags",
                    format!("{hashtags} hashtags: X advises at most 2, more reads as spam and lowers reach"),
                ));
            }
            if links > 1 {
                found.push(warning(
                    "multiple_links",
                    format!("{links} links: X shows a preview card for only one of them"),
                ));
            }
        }
        Platform::Instagram => {
            if hashtags > 30 {
                found.push(warning(
                    "too_many_hashtags",
                    format!("{hashtags} hashtags: Instagram rejects captions with more than 30"),
                ));
            }
            if links > 0 {
                found.push(warning(
                    "links_not_clickable",
                    "links in Instagram captions are not clickable; point readers to the link in the bio"
                        .to_owned(),
                ));
            }
        }
        Platform::Linkedin => {
            if hashtags > 5 {
                found.push(warning(
                    "too_many_hashtags",
                    format!("{hashtags} hashtags: LinkedIn advises at most 5, more reads as spam"),
                ));
            }
        }
        Platform::Threads => {
            if hashtags > 1 {
                found.push(warning(
                    "one_topic_only",
                    format!("{hashtags} hashtags: Threads turns only one per post into a topic tag"),
                ));
            }
            if links > 5 {
                found.push(warning("too_many_links", format!("{links} links: Threads allows at most 5")));
            }
        }
        Platform::Bluesky => {
            if scan.text.len() > BLUESKY_MAX_BYTES {
                found.push(warning(
                    "too_many_bytes",
                    format!("{} bytes: Bluesky also limits a post to 3000 bytes of UTF-8", scan.text.len()),
                ));
            }
        }
        Platform::Mastodon | Platform::Facebook | Platform::Blog => {}
    }
    found
}

/// Shortens `text` until `fits` accepts it. Whole sentences are dropped from
/// the end, keeping a closing line of hashtags when that is possible; only
/// when not even the first sentence fits is the text cut before a space and
/// marked with "…". A single word longer than the limit (a CJK sentence, a
/// huge URL) is cut at a word boundary, failing that at a grapheme boundary.
pub(super) fn trim(text: &str, fits: impl Fn(&str) -> bool) -> String {
    let text = text.trim();
    let (body, closing_tags) = split_closing_hashtags(text);
    let ends = sentence_ends(body);
    if let Some((gap, tags)) = closing_tags {
        let with_tags = |k: usize| format!("{}{gap}{tags}", &body[..ends[k]]);
        if let Some(k) = last_fitting(ends.len(), |k| fits(&with_tags(k))) {
            return with_tags(k);
        }
    }
    if let Some(k) = last_fitting(ends.len(), |k| fits(&body[..ends[k]])) {
        return body[..ends[k]].to_owned();
    }
    if let Some((gap, tags)) = closing_tags
        && let Some(cut) = cut_short(body, &format!("{gap}{tags}"), &fits)
    {
        return cut;
    }
    cut_short(body, "", &fits).unwrap_or_default()
}

/// Splits off a last line made only of hashtags, returning the body and the
/// whitespace before that line with the line itself.
fn split_closing_hashtags(text: &str) -> (&str, Option<(&str, &str)>) {
    let Some(newline) = text.rfind('\n') else {
        return (text, None);
    };
    let line = text[newline..].trim();
    let only_tags = !line.is_empty() && line.split_whitespace().all(|t| t.len() > 1 && t.starts_with('#'));
    let body = text[..newline].trim_end();
    if !only_tags || body.is_empty() {
        return (text, None);
    }
    let tags_start = text.len() - line.len();
    (body, Some((&text[body.len()..tags_start], line)))
}

/// Byte offsets where each sentence ends, trailing whitespace excluded.
fn sentence_ends(text: &str) -> Vec<usize> {
    text.split_sentence_bound_indices()
        .filter(|(_, sentence)| !sentence.trim().is_empty())
        .map(|(start, sentence)| start + sentence.trim_end().len())
        .collect()
}

/// The longest start of `text` that fits once "…" and `suffix` are appended.
fn cut_short(text: &str, suffix: &str, fits: &impl Fn(&str) -> bool) -> Option<String> {
    let candidate = |end: usize| {
        let kept =
            text[..end].trim_end().trim_end_matches([',', ';', ':', '-', '–', '—', '#', '@']).trim_end();
        (!kept.is_empty()).then(|| format!("{kept}…{suffix}"))
    };
    let links = entities::scan(text).links;
    let before_spaces: Vec<usize> =
        text.char_indices().filter(|&(i, c)| i > 0 && c.is_whitespace()).map(|(i, _)| i).collect();
    let at_words: Vec<usize> = text
        .split_word_bound_indices()
        .map(|(i, _)| i)
        .filter(|&i| i > 0 && !links.iter().any(|link| link.range.start < i && i < link.range.end))
        .collect();
    let at_graphemes: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).filter(|&i| i > 0).collect();
    [before_spaces, at_words, at_graphemes].iter().find_map(|cuts| {
        let k = last_fitting(cuts.len(), |k| candidate(cuts[k]).is_some_and(|c| fits(&c)))?;
        candidate(cuts[k])
    })
}

/// The largest `k < n` for which `fits(k)` holds, by binary search: longer
/// candidates (larger `k`) never fit when a shorter one does not.
fn last_fitting(n: usize, fits: impl Fn(usize) -> bool) -> Option<usize> {
    let (mut low, mut high) = (0, n);
    while low < high {
        let mid = low + (high - low) / 2;
        if fits(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(text: &str, platform: Platform) -> usize {
        check(&entities::scan(text), platform, 500).length
    }

    fn codes(text: &str, platform: Platform) -> Vec<String> {
        check(&entities::scan(text), platform, 500).warnings.into_iter().map(|w| w.code).collect()
    }

    #[test]
    fn x_weighs_cjk_and_emoji_two_and_any_url_23() {
        // "Hello " 6 + "世界" 4 + " " 1 + URL 23 + " " 1 + "👍" 2
        let text = "Hello 世界 https://example.com/a/very/long/path/that/is/long 👍";
        assert_eq!(length(text, Platform::X), 37);
    }

    #[test]
    fn x_counts_an_emoji_sequence_once_as_two() {
        assert_eq!(length("👨‍👩‍👧", Platform::X), 2);
        assert_eq!(length("🇫🇷", Platform::X), 2);
        assert_eq!(length("👍🏽", Platform::X), 2);
        // "Hi " 3 + family 2 + " " 1 + two flags 4
        assert_eq!(length("Hi 👨‍👩‍👧 🇫🇷🇩🇪", Platform::X), 10);
    }

    #[test]
    fn x_weighs_general_punctuation_ranges() {
        // Curly quotes (U+201C/D) weigh 1, the ellipsis (U+2026) weighs 2.
        assert_eq!(length("“Quotes” … ok", Platform::X), 14);
        assert_eq!(length("é", Platform::X), 1);
    }

    #[test]
    fn x_limit_is_280_weighted() {
        let at_limit = check(&entities::scan(&"a".repeat(280)), Platform::X, 500);
        assert_eq!((at_limit.fits, at_limit.over_by, at_limit.remaining), (true, 0, 0));
        let over = check(&entities::scan(&"a".repeat(281)), Platform::X, 500);
        assert_eq!((over.fits, over.over_by, over.remaining, over.limit), (false, 1, 0, Some(280)));
        let under = check(&entities::scan(&"世".repeat(135)), Platform::X, 500);
        assert_eq!((under.length, under.remaining), (270, 10));
    }

    #[test]
    fn bluesky_and_threads_count_graphemes() {
        // H, i, space, family, space, 🇫🇷, 🇩🇪
        assert_eq!(length("Hi 👨‍👩‍👧 🇫🇷🇩🇪", Platform::Bluesky), 7);
        assert_eq!(length("Hi 👨‍👩‍👧 🇫🇷🇩🇪", Platform::Threads), 7);
        let long_link = format!("https://example.com/{}", "a".repeat(100));
        assert_eq!(length(&long_link, Platform::Bluesky), 120);
    }

    #[test]
    fn mastodon_counts_links_23_and_remote_mentions_by_local_part() {
        // "Hi " 3 + "@alice" 6 + " see " 5 + link 23
        let text = "Hi @alice@example.social see https://example.com/a/very/long/path";
        assert_eq!(length(text, Platform::Mastodon), 37);
        // www. links are not shortened by Mastodon.
        assert_eq!(length("www.example.com/a/very/long/path", Platform::Mastodon), 32);
    }

    #[test]
    fn mastodon_limit_comes_from_configuration() {
        let check = check(&entities::scan(&"a".repeat(600)), Platform::Mastodon, 1_000);
        assert_eq!((check.limit, check.fits, check.remaining), (Some(1_000), true, 400));
    }

    #[test]
    fn linkedin_instagram_facebook_count_utf16_units() {
        for platform in [Platform::Linkedin, Platform::Instagram, Platform::Facebook] {
            assert_eq!(length("👍 ok", platform), 5);
        }
        let check = check(&entities::scan("x"), Platform::Facebook, 500);
        assert_eq!((check.counting.as_str(), check.limit), ("utf16", Some(63_206)));
    }

    #[test]
    fn blog_has_no_limit() {
        let check = check(&entities::scan(&"a".repeat(100_000)), Platform::Blog, 500);
        assert_eq!(
            (check.platform.as_str(), check.limit, check.fits, check.over_by),
            ("blog", None, true, 0)
        );
    }

    #[test]
    fn warnings_follow_platform_conventions() {
        let busy = "Read #one #two #three https://a.example https://b.example";
        assert_eq!(codes(busy, Platform::X), ["too_many_hashtags", "multiple_links"]);
        assert_eq!(codes(busy, Platform::Instagram), ["links_not_clickable"]);
        assert_eq!(codes(busy, Platform::Threads), ["one_topic_only"]);
        assert!(codes(busy, Platform::Linkedin).is_empty());
        let tags: String = (1..=31).map(|i| format!("#tag{i} ")).collect();
        assert_eq!(codes(&tags, Platform::Instagram), ["too_many_hashtags"]);
        assert_eq!(codes("", Platform::Facebook), ["empty"]);
    }

    fn x_fits(text: &str) -> bool {
        fits(&entities::scan(text.trim()), Platform::X, 500)
    }

    #[test]
    fn trim_drops_whole_sentences_from_the_end() {
        let text = format!("First sentence here. Second {}end.", "word ".repeat(60));
        assert_eq!(trim(&text, x_fits), "First sentence here.");
    }

    #[test]
    fn trim_keeps_a_closing_hashtag_line() {
        let text = format!("Short intro. Second {}end.\n\n#rust #dev", "word ".repeat(60));
        assert_eq!(trim(&text, x_fits), "Short intro.\n\n#rust #dev");
    }

    #[test]
    fn trim_cuts_one_long_sentence_before_a_space() {
        // 55 words are 274 characters, plus "…" weighing 2 on X: 276; 56 words would make 281.
        let text = "word ".repeat(100);
        assert_eq!(trim(&text, x_fits), format!("{}…", ["word"; 55].join(" ")));
    }

    #[test]
    fn trim_never_splits_a_grapheme() {
        let family = "👨‍👩‍👧";
        let text = family.repeat(400);
        let bluesky_fits = |t: &str| fits(&entities::scan(t.trim()), Platform::Bluesky, 500);
        assert_eq!(trim(&text, bluesky_fits), format!("{}…", family.repeat(299)));
    }

    #[test]
    fn last_fitting_finds_the_boundary() {
        assert_eq!(last_fitting(10, |k| k <= 6), Some(6));
        assert_eq!(last_fitting(10, |_| false), None);
        assert_eq!(last_fitting(10, |_| true), Some(9));
        assert_eq!(last_fitting(0, |_| true), None);
    }
}
