//! Markdown to safe HTML, and plain-text excerpts.
//!
//! pulldown-cmark renders CommonMark (with tables, strikethrough, task lists);
//! ammonia then removes everything that could run script or load content
//! unasked: `<script>`, event-handler attributes, `javascript:` and other
//! non-web URL schemes, `<iframe>`, `<style>`… Raw HTML in the Markdown goes
//! through the same filter.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

const EXCERPT_CHARS: usize = 280;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The sanitiser, configured once: building it allocates its allow-lists.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Renders Markdown to sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    SANITISER.clean(&html).to_string()
}

/// The text a reader sees, without Markdown syntax or HTML; a link whose
/// text is not its address keeps the address in parentheses.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    let mut link: Option<(String, usize)> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => {
                text.push_str("\n\n");
            }
            Event::Start(Tag::Link { dest_url, .. }) => link = Some((dest_url.to_string(), text.len())),
            Event::End(TagEnd::Link) => {
                if let Some((url, start)) = link.take()
                    && text.get(start..) != Some(url.as_str())
                {
                    text.push_str(&format!(" ({url})"));
                }
            }
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// The first ~280 characters of the text, cut at a word boundary, with
/// Markdown syntax and HTML removed.
pub fn excerpt(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => text.push(' '),
            Event::Start(Tag::CodeBlock(_)) => text.push(' '),
            _ => {}
        }
        if text.chars().count() > EXCERPT_CHARS * 2 {
            break;
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_dangerous_html_is_made_inert() {
        let html = to_safe_html(
            "# Title\n\n**bold** [ok](https://example.com) [bad](javascript:alert(1))\n\n\
             <script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n<a href=\"javascript:evil()\">y</a>\n\n\
             <iframe src=\"https://evil\"></iframe><style>body{}</style>",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        for forbidden in ["<script", "onerror", "javascript:", "<iframe", "<style", "alert('x')"] {
            assert!(!html.contains(forbidden), "{forbidden} survived: {html}");
        }
    }

    #[test]
    fn plain_text_keeps_words_and_link_addresses() {
        assert_eq!(
            plain_text("# Hi\n\nSee [the docs](https://x.dev) or <https://y.dev>.\n\n- one\n- two"),
            "Hi\n\nSee the docs (https://x.dev) or https://y.dev.\n\none\n\ntwo"
        );
    }

    #[test]
    fn excerpts_are_plain_text_cut_at_a_word() {
        assert_eq!(excerpt("# Hi\n\nSome *emphasis* and `code`."), "Hi Some emphasis and code.");
        let long = "word ".repeat(200);
        let e = excerpt(&long);
        assert!(e.ends_with('…') && e.chars().count() <= EXCERPT_CHARS + 1, "{e}");
        assert!(!e.contains("wor…"), "never mid-word: {e}");
    }
}
