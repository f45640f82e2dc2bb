//! Turning raw setting values into typed ones: the parser that collects
//! every problem with the setting's name and origin, the content section,
//! and the small value parsers the sections share.

use super::*;

pub(super) struct Parser<'a> {
    pub(super) resolved: &'a Resolved,
    pub(super) problems: &'a mut Vec<String>,
}

impl Parser<'_> {
    pub(super) fn parse<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.resolved.get(key) {
            Some((raw, origin)) => self.run(key, raw, origin, f),
            None => {
                self.problems.push(format!("{key}: is required"));
                None
            }
        }
    }

    /// `Some(None)` means validly unset; `None` means invalid.
    pub(super) fn parse_optional<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.resolved.get(key) {
            Some((raw, origin)) => self.run(key, raw, origin, f).map(Some),
            None => Some(None),
        }
    }

    pub(super) fn run<T>(
        &mut self,
        key: &'static str,
        raw: &str,
        origin: &Origin,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match f(raw.trim()) {
            Ok(value) => Some(value),
            Err(reason) => {
                let secret = defs::find(key).is_some_and(|d| d.secret);
                let shown = if secret { url::redact(raw) } else { raw.to_owned() };
                self.problems.push(format!("{key}: {shown:?} {reason} (from {origin})"));
                None
            }
        }
    }
}

pub(super) fn parse_content(p: &mut Parser<'_>) -> Option<ContentSettings> {
    let mastodon = p.parse(defs::MASTODON_MAX_CHARS, |s| int_in(s, 1, 1_000_000));
    let provider = p.parse(defs::GENERATION_PROVIDER, |s| match s {
        "template" => Ok(ProviderKind::Template),
        "openai" => Ok(ProviderKind::OpenAi),
        _ => Err("must be one of template, openai".to_owned()),
    });
    let fallback = p.parse(defs::GENERATION_FALLBACK, boolean);
    let cache_ttl = p.parse(defs::GENERATION_CACHE_TTL_SECS, |s| int_in(s, 0, 30 * 86_400));
    let concurrency = p.parse(defs::GENERATION_CONCURRENCY, |s| int_in(s, 1, 64));
    let base_url = p.parse_optional(defs::LLM_BASE_URL, |s| http_url(s, "http://127.0.0.1:11434/v1"));
    let model = p.parse_optional(defs::LLM_MODEL, |s| {
        if s.is_empty() { Err("must not be empty".to_owned()) } else { Ok(s.to_owned()) }
    });
    let api_key = p.parse_optional(defs::LLM_API_KEY, |s| Ok(SecretString::from(s.to_owned())));
    let key_header = p.parse(defs::LLM_API_KEY_HEADER, |s| match s {
        "authorization" => Ok(ApiKeyHeader::Bearer),
        "api-key" => Ok(ApiKeyHeader::ApiKey),
        _ => Err("must be one of authorization, api-key".to_owned()),
    });
    let timeout = p.parse(defs::LLM_TIMEOUT_SECS, |s| int_in(s, 1, 600));
    let retries = p.parse(defs::LLM_MAX_RETRIES, |s| int_in(s, 0, 10));
    let temperature = p.parse(defs::LLM_TEMPERATURE, |s| match s.parse::<f32>() {
        Ok(t) if (0.0..=2.0).contains(&t) => Ok(t),
        _ => Err("must be a number from 0 to 2".to_owned()),
    });
    let rate = p.parse(defs::LLM_RATE_LIMIT, |s| int_in(s, 1, 1_000_000));
    let breaker_failures = p.parse(defs::LLM_BREAKER_FAILURES, |s| int_in(s, 1, 1000));
    let breaker_cooldown = p.parse(defs::LLM_BREAKER_COOLDOWN_SECS, |s| int_in(s, 1, 86_400));

    let llm = match (base_url.clone()?, model.clone()?) {
        (Some(base_url), Some(model)) => Some(LlmSettings {
            base_url,
            model,
            api_key: api_key?,
            api_key_header: key_header?,
            timeout: Duration::from_secs(timeout?),
            max_retries: u32::try_from(retries?).ok()?,
            temperature: temperature?,
            breaker_failures: u32::try_from(breaker_failures?).ok()?,
            breaker_cooldown: Duration::from_secs(breaker_cooldown?),
        }),
        _ => None,
    };
    if provider == Some(ProviderKind::OpenAi) {
        for (key, value) in
            [(defs::LLM_BASE_URL, base_url.flatten().is_some()), (defs::LLM_MODEL, model.flatten().is_some())]
        {
            if !value {
                p.problems.push(format!("{key}: is required when generation_provider = openai"));
            }
        }
    }
    Some(ContentSettings {
        mastodon_max_chars: usize::try_from(mastodon?).ok()?,
        provider: provider?,
        llm,
        fallback: fallback?,
        cache_ttl: Duration::from_secs(cache_ttl?),
        concurrency: usize::try_from(concurrency?).ok()?,
        llm_rate_limit_per_minute: u32::try_from(rate?).ok()?,
    })
}

/// An `http://` or `https://` URL with something after the scheme, without
/// a trailing `/`; the error shows `example`.
pub(super) fn http_url(s: &str, example: &str) -> Result<String, String> {
    if (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len() {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err(format!("must be an http:// or https:// URL, e.g. {example}"))
    }
}

pub(super) fn parse_origins(s: &str) -> Result<CorsOrigins, String> {
    if s == "*" {
        return Ok(CorsOrigins::Any);
    }
    let origins: Vec<String> =
        s.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
    let valid = |o: &String| {
        (o.starts_with("http://") || o.starts_with("https://"))
            && !o.ends_with('/')
            && axum::http::HeaderValue::from_str(o).is_ok()
    };
    if origins.is_empty() || !origins.iter().all(valid) {
        return Err(
            "must be `*` or a comma-separated list of origins like https://app.example.com".to_owned()
        );
    }
    Ok(CorsOrigins::List(origins))
}

pub(super) fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    }
}

pub(super) fn int_in(s: &str, min: u64, max: u64) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}
