//! The built-in, offline provider: composes posts from the brief with
//! templates chosen by tone, length and platform conventions. It is honest
//! about what it is (`template`, model `herald-templates-v1`) and writes
//! English only.

use super::{BoxFuture, DraftRequest, Drafted, Provider, ProviderError, ProviderHealth};
use crate::domain::{Brief, LengthPreference, Platform, Tone};

pub const MODEL: &str = "herald-templates-v1";

#[derive(Debug, Default)]
pub struct TemplateProvider;

impl Provider for TemplateProvider {
    fn name(&self) -> &'static str {
        "template"
    }

    fn model(&self) -> &str {
        MODEL
    }

    fn fingerprint(&self) -> String {
        format!("template:{MODEL}")
    }

    fn can_rewrite(&self) -> bool {
        false
    }

    fn health(&self) -> ProviderHealth {
        ProviderHealth::Up
    }

    fn draft<'a>(&'a self, request: DraftRequest<'a>) -> BoxFuture<'a, Result<Drafted, ProviderError>> {
        Box::pin(async move {
            let mut texts: Vec<String> = Vec::with_capacity(request.variants);
            // Each variant takes the next combination of phrasings; skip any
            // combination that happens to read the same as an earlier one.
            let mut k = 0;
            while texts.len() < request.variants && k < request.variants * 4 {
                let text = compose(request.brief, request.platform, k);
                if !texts.contains(&text) {
                    texts.push(text);
                }
                k += 1;
            }
            Ok(Drafted { texts, usage: None })
        })
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn sentence(s: &str) -> String {
    let s = capitalised(s.trim());
    if s.ends_with(['.', '!', '?', '…']) { s } else { format!("{s}.") }
}

/// "a", "a and b", "a, b and c".
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn hook(tone: Tone, topic: &str, k: usize) -> String {
    let t = topic;
    let options: [String; 3] = match tone {
        Tone::Professional => [
            format!("{} deserves a closer look.", capitalised(t)),
            format!("A practical look at {t}."),
            format!("What we have learned about {t}."),
        ],
        Tone::Casual => [
            format!("Let's talk about {t}."),
            format!("Quick thoughts on {t}."),
            format!("So, {t}. Here is the short version."),
        ],
        Tone::Friendly => [
            format!("We'd love to share a few thoughts on {t}."),
            format!("Hello! Today we're looking at {t}."),
            format!("Got a minute? Let's chat about {t}."),
        ],
        Tone::Enthusiastic => [
            format!("We're excited about {t}, and here's why!"),
            format!("Big news: {t}!"),
            format!("{} is worth your attention!", capitalised(t)),
        ],
        Tone::Informative => [
            format!("What you need to know about {t}."),
            format!("{}, explained.", capitalised(t)),
            format!("A short guide to {t}."),
        ],
        Tone::Persuasive => [
            format!("If {t} isn't on your list yet, it should be."),
            format!("Here's why {t} matters now."),
            format!("{} can change how you work.", capitalised(t)),
        ],
    };
    options[k % 3].clone()
}

fn for_audience(audience: &str, k: usize) -> String {
    match k % 3 {
        0 => format!("Made for {audience}."),
        1 => format!("Especially useful for {audience}."),
        _ => format!("{}, this one is for you.", capitalised(audience)),
    }
}

fn about_keywords(keywords: &[String], k: usize) -> String {
    let list = listed(keywords);
    match k % 3 {
        0 => format!("We cover {list}."),
        1 => format!("Key ideas: {list}."),
        _ => format!("It comes down to {list}."),
    }
}

fn closing(tone: Tone, k: usize) -> &'static str {
    let options: [&str; 2] = match tone {
        Tone::Professional | Tone::Informative => {
            ["The details are worth the few minutes they take.", "Here is what matters, without the noise."]
        }
        Tone::Casual | Tone::Friendly => ["No jargon, just the useful bits.", "Grab a coffee and dive in."],
        Tone::Enthusiastic => ["We can't wait to hear what you think!", "This is just the beginning!"],
        Tone::Persuasive => ["The sooner you start, the sooner it pays off.", "It is simpler than it looks."],
    };
    options[k % 2]
}

/// `rust async` → `RustAsync`: CamelCase keeps tags readable (and screen-reader friendly).
fn hashtag(keyword: &str) -> Option<String> {
    let tag: String =
        keyword.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(capitalised).collect();
    (!tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit())).then(|| format!("#{tag}"))
}

/// How many hashtags each platform's conventions welcome.
fn hashtag_budget(platform: Platform) -> usize {
    match platform {
        Platform::Blog => 0,
        Platform::Threads => 1,
        Platform::X | Platform::Bluesky | Platform::Facebook => 2,
        Platform::Mastodon | Platform::Linkedin => 3,
        Platform::Instagram => 10,
    }
}

fn hashtags(brief: &Brief, platform: Platform, k: usize) -> Vec<String> {
    let mut tags: Vec<String> = brief.keywords.iter().filter_map(|kw| hashtag(kw)).collect();
    if tags.is_empty() {
        tags.extend(hashtag(&brief.topic).filter(|t| t.len() <= 25));
    }
    if !tags.is_empty() {
        let shift = k % tags.len();
        tags.rotate_left(shift);
    }
    tags.truncate(hashtag_budget(platform));
    tags
}

/// Variant `k` of a post for `platform`.
pub fn compose(brief: &Brief, platform: Platform, k: usize) -> String {
    let mut sentences = vec![hook(brief.tone, &brief.topic, k)];
    let detailed = brief.length != LengthPreference::Short;
    if detailed {
        if let Some(audience) = &brief.audience {
            sentences.push(for_audience(audience, k + k / 3));
        }
        if !brief.keywords.is_empty() {
            sentences.push(about_keywords(&brief.keywords, k + k / 3 + 1));
        }
    }
    if brief.length == LengthPreference::Long {
        sentences.push(closing(brief.tone, k).to_owned());
    }
    let cta = brief.call_to_action.as_deref().map(sentence);
    let tags = hashtags(brief, platform, k);
    match platform {
        Platform::Blog => {
            let mut post = format!("# {}\n\n{}", capitalised(&brief.topic), sentences.join(" "));
            if let Some(cta) = cta {
                post.push_str(&format!("\n\n{cta}"));
            }
            post
        }
        Platform::Linkedin | Platform::Facebook | Platform::Instagram => {
            // A strong first line, then short paragraphs.
            let (first, rest) = sentences.split_at(1);
            let mut post = first.join(" ");
            if !rest.is_empty() {
                post.push_str(&format!("\n\n{}", rest.join(" ")));
            }
            if let Some(cta) = cta {
                let cta = if platform == Platform::Instagram { format!("{cta} Link in bio.") } else { cta };
                post.push_str(&format!("\n\n{cta}"));
            }
            if !tags.is_empty() {
                post.push_str(&format!("\n\n{}", tags.join(" ")));
            }
            post
        }
        Platform::X | Platform::Bluesky | Platform::Threads | Platform::Mastodon => {
            sentences.extend(cta);
            let mut post = sentences.join(" ");
            if !tags.is_empty() {
                post.push_str(&format!("\n\n{}", tags.join(" ")));
            }
            post
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::brief::BriefInput;

    fn brief(length: &str) -> Brief {
        Brief::parse(
            &BriefInput {
                topic: Some("observability for Rust services".into()),
                audience: Some("platform engineers".into()),
                tone: Some("casual".into()),
                platforms: Some(vec!["x".into()]),
                keywords: Some(vec!["tracing".into(), "open telemetry".into(), "metrics".into()]),
                call_to_action: Some("read the guide".into()),
                length: Some(length.into()),
                ..BriefInput::default()
            },
            "",
        )
        .unwrap()
    }

    #[test]
    fn posts_follow_the_brief_and_the_platform_conventions() {
        let post = compose(&brief("medium"), Platform::X, 0);
        assert_eq!(
            post,
            "Let's talk about observability for Rust services. Made for platform engineers. \
             Key ideas: tracing, open telemetry and metrics. Read the guide.\n\n#Tracing #OpenTelemetry"
        );
        let linkedin = compose(&brief("long"), Platform::Linkedin, 1);
        assert!(linkedin.starts_with("Quick thoughts on observability for Rust services.\n\n"), "{linkedin}");
        assert!(linkedin.ends_with("#OpenTelemetry #Metrics #Tracing"), "{linkedin}");
        let instagram = compose(&brief("short"), Platform::Instagram, 0);
        assert!(instagram.contains("Read the guide. Link in bio."), "{instagram}");
        assert!(
            compose(&brief("short"), Platform::Blog, 0).starts_with("# Observability for Rust services\n\n")
        );
    }

    #[tokio::test]
    async fn variants_differ() {
        let brief = brief("medium");
        let request = DraftRequest {
            brief: &brief,
            platform: Platform::Threads,
            variants: 5,
            limit: None,
            shorter: false,
        };
        let drafted = TemplateProvider.draft(request).await.unwrap();
        assert_eq!(drafted.texts.len(), 5);
        for (i, a) in drafted.texts.iter().enumerate() {
            assert!(drafted.texts[i + 1..].iter().all(|b| a != b), "duplicate variant {a}");
        }
    }
}
