//! The chat messages sent to an LLM for one platform.

use super::DraftRequest;
use crate::domain::{LengthPreference, Platform};

fn platform_rules(platform: Platform) -> &'static str {
    match platform {
        Platform::X => {
            "X (Twitter): at most 280 weighted characters (links count 23, emoji and CJK characters count 2); \
             one or two hashtags at most."
        }
        Platform::Bluesky => "Bluesky: at most 300 characters; plain text, one or two hashtags at most.",
        Platform::Threads => "Threads: at most 500 characters; conversational; at most one hashtag.",
        Platform::Mastodon => {
            "Mastodon: within the instance's character limit; CamelCase hashtags for screen readers; \
             no engagement bait."
        }
        Platform::Linkedin => {
            "LinkedIn: up to 3,000 characters; short paragraphs, a strong first line, three to five hashtags at the end."
        }
        Platform::Instagram => {
            "Instagram caption: up to 2,200 characters; links are not clickable (say 'link in bio'); \
             hashtags in a block at the end, at most 30."
        }
        Platform::Facebook => "Facebook: friendly, a few short paragraphs; hashtags sparingly.",
        Platform::Blog => "Blog post in Markdown: a title line starting with '# ', then several paragraphs.",
    }
}

fn length_hint(length: LengthPreference) -> &'static str {
    match length {
        LengthPreference::Short => "short: one or two sentences",
        LengthPreference::Medium => "medium: three to five sentences",
        LengthPreference::Long => "long: use most of the platform's limit",
    }
}

/// `[system, user]` messages asking for `variants` distinct posts as JSON.
pub(super) fn messages(request: &DraftRequest<'_>) -> [(&'static str, String); 2] {
    let brief = request.brief;
    let system = format!(
        "You are a social media copywriter. Write {n} distinct variants of one post. \
         Reply with JSON only, no prose and no code fences: {{\"variants\": [\"...\"]}} with exactly {n} strings. \
         Never invent facts, statistics, prices or quotes that are not in the brief. \
         Write in the language with ISO 639-1 code \"{lang}\".",
        n = request.variants,
        lang = brief.language,
    );
    let mut user = format!("Platform rules: {}\n", platform_rules(request.platform));
    if let Some(limit) = request.limit {
        user.push_str(&format!("Hard limit: {limit} characters per variant, hashtags included.\n"));
    }
    user.push_str(&format!("Topic: {}\n", brief.topic));
    if let Some(audience) = &brief.audience {
        user.push_str(&format!("Audience: {audience}\n"));
    }
    user.push_str(&format!("Tone: {}\n", brief.tone));
    if !brief.keywords.is_empty() {
        user.push_str(&format!("Keywords to include: {}\n", brief.keywords.join(", ")));
    }
    if let Some(cta) = &brief.call_to_action {
        user.push_str(&format!("Call to action: {cta}\n"));
    }
    user.push_str(&format!("Length: {}\n", length_hint(brief.length)));
    if request.shorter {
        user.push_str("Your previous variants were too long for the platform: write clearly shorter ones.\n");
    }
    [("system", system), ("user", user)]
}

/// The variants in a model's answer: the JSON asked for, tolerating code
/// fences and a bare array; failing that, one variant per `---` block.
pub(super) fn variants_in(content: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Variants {
        variants: Vec<String>,
    }
    let trimmed = content.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed)
        .trim();
    let parsed = serde_json::from_str::<Variants>(unfenced)
        .map(|v| v.variants)
        .or_else(|_| serde_json::from_str::<Vec<String>>(unfenced));
    let texts = match parsed {
        Ok(texts) => texts,
        Err(_) => unfenced.split("\n---\n").map(str::to_owned).collect(),
    };
    texts.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_read_from_json_fenced_json_arrays_or_plain_blocks() {
        assert_eq!(variants_in(r#"{"variants": ["a", " b "]}"#), ["a", "b"]);
        assert_eq!(variants_in("```json\n{\"variants\": [\"a\"]}\n```"), ["a"]);
        assert_eq!(variants_in(r#"["x", ""]"#), ["x"]);
        assert_eq!(variants_in("first post\n---\nsecond post"), ["first post", "second post"]);
    }
}
