//! Hashtags, @mentions, links and emoji in a text.
//!
//! Entities are found with their byte ranges, not just their text, because
//! platforms count them specially (a link is 23 characters on X and Mastodon
//! whatever its length) and the other analyses need the prose without them.
//! Links are `http(s)://…`, `www.…` and, as twitter-text does, bare domains
//! whose top-level domain is a common one (`example.com/docs`, `x.com`), so
//! X's 23-character rule applies to them too; `node.js` or `e.g.` are not links.

use std::collections::HashSet;
use std::ops::Range;

/// A link, without the punctuation that usually follows one in prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    pub range: Range<usize>,
    /// `false` for `www.` links, which Mastodon does not shorten.
    pub has_scheme: bool,
}

/// `@user`, `@user@instance.social` (Mastodon) or `@handle.bsky.social`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mention {
    /// From the `@` to the end of the instance, if any.
    pub range: Range<usize>,
    /// End of the `@user` part: Mastodon counts only that much of a remote mention.
    pub local_end: usize,
}

/// The entities of one text. Ranges are byte offsets into `text`; no two overlap.
#[derive(Debug, Clone)]
pub(super) struct Scan<'a> {
    pub text: &'a str,
    pub links: Vec<Link>,
    pub mentions: Vec<Mention>,
    /// Each from the `#` to the end of the tag.
    pub hashtags: Vec<Range<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Link,
    Mention,
    Hashtag,
}

pub(super) fn scan(text: &str) -> Scan<'_> {
    let links = find_links(text);
    let mut mentions = Vec::new();
    let mut hashtags = Vec::new();
    // Links are in text order, so one cursor finds the link (if any) around
    // each `#`/`@` without rescanning them all (long texts stay linear).
    let mut next_link = 0;
    for (i, c) in text.char_indices() {
        if !matches!(c, '#' | '@') {
            continue;
        }
        while links.get(next_link).is_some_and(|link| link.range.end <= i) {
            next_link += 1;
        }
        if links.get(next_link).is_some_and(|link| link.range.contains(&i)) {
            continue;
        }
        if c == '#' {
            hashtags.extend(hashtag_at(text, i).map(|end| i..end));
        } else {
            mentions.extend(mention_at(text, i));
        }
    }
    Scan { text, links, mentions, hashtags }
}

impl<'a> Scan<'a> {
    /// Tags without `#`, first spelling kept, duplicates (ignoring case) dropped.
    pub(super) fn hashtag_names(&self) -> Vec<String> {
        let text = self.text;
        unique_ignoring_case(self.hashtags.iter().map(|range| &text[range.start + 1..range.end]))
    }

    /// Mentions without the leading `@`, duplicates (ignoring case) dropped.
    pub(super) fn mention_names(&self) -> Vec<String> {
        let text = self.text;
        unique_ignoring_case(self.mentions.iter().map(|m| &text[m.range.start + 1..m.range.end]))
    }

    /// Links as written, exact duplicates dropped.
    pub(super) fn link_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = Vec::new();
        for link in &self.links {
            let url = &self.text[link.range.clone()];
            if !urls.iter().any(|seen| seen == url) {
                urls.push(url.to_owned());
            }
        }
        urls
    }

    /// The text with links blanked out: URLs carry no sentiment and no
    /// readable words.
    pub(super) fn without_links(&self) -> String {
        self.rewrite(|kind, entity| if kind == Kind::Link { " " } else { entity })
    }

    /// The text with every entity blanked out: handles and tags are not
    /// sentences of any language and mislead the detector.
    pub(super) fn for_language(&self) -> String {
        self.rewrite(|_, _| " ")
    }

    /// The text with links and mentions replaced by a comma (so that no
    /// key phrase spans the gap) and hashtags reduced to their word.
    pub(super) fn for_keywords(&self) -> String {
        self.rewrite(|kind, entity| match kind {
            Kind::Hashtag => &entity[1..],
            Kind::Link | Kind::Mention => " , ",
        })
    }

    fn rewrite(&self, replace: impl Fn(Kind, &'a str) -> &'a str) -> String {
        let text: &'a str = self.text;
        let mut spans: Vec<(Range<usize>, Kind)> = self
            .links
            .iter()
            .map(|link| (link.range.clone(), Kind::Link))
            .chain(self.mentions.iter().map(|m| (m.range.clone(), Kind::Mention)))
            .chain(self.hashtags.iter().map(|range| (range.clone(), Kind::Hashtag)))
            .collect();
        spans.sort_by_key(|(range, _)| range.start);
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (range, kind) in spans {
            out.push_str(&text[pos..range.start]);
            out.push_str(replace(kind, &text[range.clone()]));
            pos = range.end;
        }
        out.push_str(&text[pos..]);
        out
    }
}

/// Whether a grapheme cluster is an emoji or emoji sequence (ZWJ family,
/// flag, skin tone, keycap). Approximates Extended_Pictographic with the
/// blocks where emoji live; U+FE0F asks for emoji presentation of anything.
pub(super) fn is_emoji(grapheme: &str) -> bool {
    grapheme.chars().any(|c| {
        matches!(
            u32::from(c),
            0x1F000..=0x1FAFF
                | 0x2300..=0x23FF
                | 0x25FB..=0x25FE
                | 0x2600..=0x27BF
                | 0x2B00..=0x2BFF
                | 0x3030
                | 0x303D
                | 0x3297
                | 0x3299
                | 0xFE0F
                | 0x20E3
        )
    })
}

fn unique_ignoring_case<'s>(items: impl Iterator<Item = &'s str>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(item.to_lowercase())).map(str::to_owned).collect()
}

fn prev_char(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn find_links(text: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        match link_at(text, i) {
            Some(link) => {
                i = link.range.end;
                links.push(link);
            }
            None => i += c.len_utf8(),
        }
    }
    links
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn link_at(text: &str, i: usize) -> Option<Link> {
    let rest = &text[i..];
    let prefix_len = ["https://", "http://", "www."]
        .iter()
        .find(|prefix| starts_with_ignore_case(rest, prefix))
        .map(|prefix| prefix.len());
    let Some(prefix_len) = prefix_len else { return bare_domain_at(text, i) };
    // "awww.nope" or "x.www.y" are not links; "(https://…" and "<https://…" are.
    if prev_char(text, i).is_some_and(|p| p.is_alphanumeric() || "@.:/-".contains(p)) {
        return None;
    }
    let raw_len =
        rest.find(|c: char| c.is_whitespace() || "<>\"`{}|\\^«»“”‘’".contains(c)).unwrap_or(rest.len());
    let url = trim_url_end(&rest[..raw_len]);
    if url.len() <= prefix_len {
        return None;
    }
    let has_scheme = prefix_len != "www.".len();
    let host = url[prefix_len..].split(['/', '?', '#', ':']).next().unwrap_or("");
    let valid = host.starts_with(char::is_alphanumeric) && (has_scheme || host.contains('.'));
    valid.then_some(Link { range: i..i + url.len(), has_scheme })
}

/// Top-level domains that make a bare `name.tld` a link. twitter-text knows
/// every TLD; this keeps to common ones, so file names (`notes.md`) and
/// words joined by a dot (`hello.world`) stay text.
const KNOWN_TLDS: &[&str] = &[
    "com", "org", "net", "io", "dev", "app", "co", "ai", "edu", "gov", "me", "ly", "gl", "be", "to", "tv",
    "fm", "info", "biz", "xyz", "social", "uk", "de", "fr", "es", "it", "nl", "eu", "us", "ca", "au", "jp",
    "cn", "in", "br", "ru", "ch", "se", "no", "dk", "fi", "pl", "at", "pt", "ie", "nz", "tech", "blog",
];

/// A bare domain starting at `i` (`example.com`, `docs.rs/serde`), if one does.
fn bare_domain_at(text: &str, i: usize) -> Option<Link> {
    let rest = &text[i..];
    // Only at the start of a word: not inside an e-mail address, a path or a hashtag.
    if !rest.starts_with(|c: char| c.is_ascii_alphanumeric())
        || prev_char(text, i).is_some_and(|p| p.is_alphanumeric() || "@.:/-_#".contains(p))
    {
        return None;
    }
    let run = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(rest.len());
    let host = rest[..run].trim_end_matches(['.', '-']);
    let (_, tld) = host.rsplit_once('.')?;
    if host.split('.').any(str::is_empty) || !KNOWN_TLDS.contains(&tld.to_ascii_lowercase().as_str()) {
        return None;
    }
    let after = &rest[host.len()..];
    let path = if after.starts_with('/') {
        after.find(|c: char| c.is_whitespace() || "<>\"`{}|\\^«»“”‘’".contains(c)).unwrap_or(after.len())
    } else {
        0
    };
    let url = trim_url_end(&rest[..host.len() + path]);
    Some(Link { range: i..i + url.len(), has_scheme: false })
}

/// Drops what ends a sentence or closes a bracket around the link: `x.com/a).`
/// loses `).`, while `wiki/Rust_(language)` keeps its balanced parenthesis.
fn trim_url_end(url: &str) -> &str {
    // Brackets are counted once and the closers decremented as they go, so
    // a link followed by a long run of `)` is trimmed in linear time.
    let count = |c: char| url.chars().filter(|&x| x == c).count();
    let (open_paren, open_bracket) = (count('('), count('['));
    let (mut close_paren, mut close_bracket) = (count(')'), count(']'));
    let mut end = url.len();
    while let Some(last) = url[..end].chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '~' | '…' => true,
            ')' => close_paren > open_paren,
            ']' => close_bracket > open_bracket,
            _ => false,
        };
        if !strip {
            break;
        }
        match last {
            ')' => close_paren -= 1,
            ']' => close_bracket -= 1,
            _ => {}
        }
        end -= last.len_utf8();
    }
    &url[..end]
}

/// End of the hashtag whose `#` is at `i`, if it is one: not `C#`, not `&#39;`,
/// not `#123`.
fn hashtag_at(text: &str, i: usize) -> Option<usize> {
    if prev_char(text, i).is_some_and(|p| is_tag_char(p) || "#&@/".contains(p)) {
        return None;
    }
    let start = i + 1;
    let len: usize = text[start..].chars().take_while(|&c| is_tag_char(c)).map(char::len_utf8).sum();
    let tag = &text[start..start + len];
    if tag.chars().all(|c| c.is_numeric() || c == '_') {
        return None;
    }
    Some(start + len)
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\u{200C}' || is_combining_mark(c)
}

/// Marks that `is_alphanumeric` misses but that belong inside a word
/// (accents in decomposed form, Indic viramas and nuktas, Thai vowel marks).
fn is_combining_mark(c: char) -> bool {
    matches!(
        u32::from(c),
        0x0300..=0x036F
            | 0x064B..=0x065F
            | 0x0670
            | 0x0900..=0x0963
            | 0x0966..=0x0DFF
            | 0x0E31..=0x0E4E
            | 0x1AB0..=0x1AFF
            | 0x1DC0..=0x1DFF
            | 0x20D0..=0x20FF
            | 0xFE20..=0xFE2F
    )
}

/// The mention whose `@` is at `i`, if it is one (not the `@` of an e-mail address).
fn mention_at(text: &str, i: usize) -> Option<Mention> {
    if prev_char(text, i).is_some_and(|p| p.is_alphanumeric() || "_@.-/+=".contains(p)) {
        return None;
    }
    let start = i + 1;
    let local_end = start + handle_len(&text[start..]);
    let local = &text[start..local_end];
    if !local.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let mut end = local_end;
    // A Bluesky handle is a domain already, so only plain users have an instance.
    if !local.contains('.') && text[local_end..].starts_with('@') {
        let domain_start = local_end + 1;
        let domain = &text[domain_start..domain_start + handle_len(&text[domain_start..])];
        if domain.contains('.') && domain.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            end = domain_start + domain.len();
        }
    }
    Some(Mention { range: i..end, local_end })
}

/// Length of the handle-like run (`[A-Za-z0-9_.-]`) at the start of `s`,
/// without the dots and hyphens that end the sentence around it.
fn handle_len(s: &str) -> usize {
    let run = s.find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c))).unwrap_or(s.len());
    s[..run].trim_end_matches(['.', '-']).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_are_unicode_aware_deduplicated_and_not_digits_urls_or_csharp() {
        let text =
            "Loving #Rust and #rust, #日本語 too. Not #123, not C# and not https://example.com/#anchor";
        assert_eq!(scan(text).hashtag_names(), ["Rust", "日本語"]);
    }

    #[test]
    fn hashtags_keep_combining_marks_and_skip_html_entities() {
        assert_eq!(scan("#हिन्दी &#39;quoted&#39;").hashtag_names(), ["हिन्दी"]);
    }

    #[test]
    fn mentions_cover_x_mastodon_and_bluesky_but_not_emails_or_urls() {
        let text = "Thanks @alice, @bob@mastodon.social and @carol.bsky.social! \
                    Mail dave@example.com or see https://mastodon.social/@erin.";
        assert_eq!(scan(text).mention_names(), ["alice", "bob@mastodon.social", "carol.bsky.social"]);
    }

    #[test]
    fn remote_mention_records_where_the_local_part_ends() {
        let found = scan("hi @bob@mastodon.social.");
        assert_eq!(found.mentions, [Mention { range: 3..23, local_end: 7 }]);
    }

    #[test]
    fn a_link_followed_by_a_long_run_of_closing_brackets_is_trimmed_to_the_link() {
        let text = format!("see https://a.example/x{} and #tag", ")".repeat(50_000));
        let scan = scan(&text);
        assert_eq!(scan.link_urls(), ["https://a.example/x"]);
        assert_eq!(scan.hashtag_names(), ["tag"]);
    }

    #[test]
    fn links_lose_trailing_punctuation_but_keep_balanced_parentheses() {
        let text = "See https://example.com/a_(b)). Also (www.rust-lang.org), http://x.y/z?q=1! \
                    and https:// alone, awww.nope";
        assert_eq!(
            scan(text).link_urls(),
            ["https://example.com/a_(b)", "www.rust-lang.org", "http://x.y/z?q=1"]
        );
    }

    #[test]
    fn bare_domains_with_a_common_tld_are_links_as_on_x() {
        let found = scan("Visit example.com/docs, x.com or Rust-Lang.ORG. Mail bob@example.com.");
        assert_eq!(found.link_urls(), ["example.com/docs", "x.com", "Rust-Lang.ORG"]);
        assert!(found.links.iter().all(|l| !l.has_scheme));
        for text in ["e.g. node.js and notes.md", "hello.world", "version 1.0.3", "#tag.com", "a..com"] {
            assert!(scan(text).links.is_empty(), "{text}");
        }
    }

    #[test]
    fn www_links_have_no_scheme() {
        let found = scan("www.example.com and HTTPS://Example.com");
        assert_eq!(
            found.links,
            [Link { range: 0..15, has_scheme: false }, Link { range: 20..39, has_scheme: true }]
        );
    }

    #[test]
    fn prose_variants_blank_out_entities() {
        let found = scan("Hi @ann, read https://x.com #rust");
        assert_eq!(found.without_links(), "Hi @ann, read   #rust");
        assert_eq!(found.for_language(), "Hi  , read    ");
        assert_eq!(found.for_keywords(), "Hi  , , read  ,  rust");
    }

    #[test]
    fn emoji_sequences_are_emoji_and_letters_are_not() {
        for emoji in ["👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", "☀"] {
            assert!(is_emoji(emoji), "{emoji}");
        }
        for other in ["a", "世", "é", "1", "…", "“"] {
            assert!(!is_emoji(other), "{other}");
        }
    }
}
