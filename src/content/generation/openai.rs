//! Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI,
//! Ollama, vLLM, llama.cpp server). Each attempt has a timeout; 429, 5xx,
//! timeouts and connection failures are retried with exponential back-off
//! (honouring `Retry-After`); a circuit breaker stops calling an upstream
//! that keeps failing, so requests fall back or fail fast instead of queueing.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{BoxFuture, DraftRequest, Drafted, Provider, ProviderError, ProviderHealth, Usage, prompt};
use crate::cache::breaker::Breaker;
use crate::config::{ApiKeyHeader, LlmSettings};

/// Longest `Retry-After` Herald waits for; a longer one fails the call (and
/// falls back) rather than holding the client's request.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Upstream error bodies are quoted in logs, cut to this length.
const MAX_QUOTED: usize = 300;
/// Largest upstream answer read; a chat completion is a few KiB.
const MAX_RESPONSE_BYTES: usize = 4 << 20;

#[derive(Debug)]
pub struct OpenAiProvider {
    client: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: Option<SecretString>,
    key_header: ApiKeyHeader,
    temperature: f32,
    max_retries: u32,
    timeout: Duration,
    breaker: Breaker,
}

/// `base/chat/completions`, keeping a query string (Azure's `api-version`).
fn endpoint(base_url: &str) -> String {
    match base_url.split_once('?') {
        Some((path, query)) => format!("{}/chat/completions?{query}", path.trim_end_matches('/')),
        None => format!("{}/chat/completions", base_url.trim_end_matches('/')),
    }
}

impl OpenAiProvider {
    pub fn new(settings: &LlmSettings) -> anyhow::Result<OpenAiProvider> {
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OpenAiProvider {
            client,
            endpoint: endpoint(&settings.base_url),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
            key_header: settings.api_key_header,
            temperature: settings.temperature,
            max_retries: settings.max_retries,
            timeout: settings.timeout,
            breaker: Breaker::new(settings.breaker_failures, settings.breaker_cooldown),
        })
    }

    /// One HTTP exchange; the error says whether it is worth retrying and when.
    async fn attempt(&self, body: &serde_json::Value) -> Result<Drafted, Failure> {
        let mut request = self.client.post(&self.endpoint).json(body);
        // The upstream may join the trace (W3C traceparent).
        let mut trace_headers = reqwest::header::HeaderMap::new();
        crate::telemetry::traces::inject_current(&mut trace_headers);
        request = request.headers(trace_headers);
        if let Some(key) = &self.api_key {
            request = match self.key_header {
                ApiKeyHeader::Bearer => request.bearer_auth(key.expose_secret()),
                ApiKeyHeader::ApiKey => request.header("api-key", key.expose_secret()),
            };
        }
        let mut response = request.send().await.map_err(|err| self.transport_failure(err))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| self.transport_failure(err))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_RESPONSE_BYTES {
                return Err(Failure {
                    error: ProviderError::Malformed(format!(
                        "response larger than {MAX_RESPONSE_BYTES} bytes"
                    )),
                    retryable: false,
                    retry_after: None,
                });
            }
        }
        if !status.is_success() {
            let code = status.as_u16();
            return Err(Failure {
                error: ProviderError::Status { status: code, message: error_message(&bytes) },
                retryable: code == 429 || code >= 500,
                retry_after,
            });
        }
        let completion: Completion = serde_json::from_slice(&bytes).map_err(|err| Failure {
            error: ProviderError::Malformed(format!("not a chat completion ({err})")),
            retryable: false,
            retry_after: None,
        })?;
        let content = completion
            .choices
            .into_iter()
            .find_map(|c| c.message.content)
            .filter(|c| !c.trim().is_empty())
            .ok_or(Failure {
                error: ProviderError::Malformed("the completion has no message content".to_owned()),
                retryable: false,
                retry_after: None,
            })?;
        let texts = prompt::variants_in(&content);
        let usage = completion
            .usage
            .map(|u| Usage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens });
        Ok(Drafted { texts, usage })
    }

    fn transport_failure(&self, err: reqwest::Error) -> Failure {
        let error = if err.is_timeout() {
            ProviderError::Timeout(self.timeout)
        } else {
            // The source chain says why (refused, DNS, TLS…); reqwest's own
            // message alone is just "error sending request". The URL is left
            // out: it may carry credentials or an internal address.
            let err = err.without_url();
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            ProviderError::Connect(message)
        };
        Failure { error, retryable: true, retry_after: None }
    }

    async fn call(&self, request: DraftRequest<'_>) -> Result<Drafted, ProviderError> {
        let messages: Vec<serde_json::Value> = prompt::messages(&request)
            .into_iter()
            .map(|(role, content)| serde_json::json!({ "role": role, "content": content }))
            .collect();
        let body = serde_json::json!({
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
        });
        let mut retries = 0;
        loop {
            // Only the first attempt asks the breaker: a half-open trial's
            // retries belong to the trial.
            if retries == 0 && !self.breaker.allow() {
                metrics::counter!("herald_generation_upstream_failures_total", "provider" => "openai", "reason" => "breaker_open").increment(1);
                return Err(ProviderError::BreakerOpen);
            }
            let started = Instant::now();
            let span = tracing::debug_span!(
                "llm.chat_completions",
                otel.kind = "client",
                gen_ai.request.model = %self.model,
                attempt = retries + 1
            );
            let outcome = tracing::Instrument::instrument(self.attempt(&body), span).await;
            metrics::histogram!("herald_generation_upstream_duration_seconds", "provider" => "openai")
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Ok(drafted) => {
                    self.breaker.success();
                    if let Some(usage) = drafted.usage {
                        metrics::counter!("herald_generation_tokens_total", "provider" => "openai", "kind" => "prompt")
                            .increment(usage.prompt_tokens);
                        metrics::counter!("herald_generation_tokens_total", "provider" => "openai", "kind" => "completion")
                            .increment(usage.completion_tokens);
                    }
                    return Ok(drafted);
                }
                Err(failure) => {
                    metrics::counter!("herald_generation_upstream_failures_total", "provider" => "openai", "reason" => failure.error.kind())
                        .increment(1);
                    let detail = match &failure.error {
                        ProviderError::Status { message, .. } => message.as_str(),
                        _ => "",
                    };
                    tracing::warn!(error = %failure.error, detail, attempt = retries + 1, "chat-completions call failed");
                    let wait = backoff(retries, failure.retry_after);
                    if !failure.retryable || retries >= self.max_retries || wait > MAX_RETRY_WAIT {
                        // One failed call (not each attempt) counts towards the breaker.
                        if failure.error.is_upstream_fault() {
                            self.breaker.failure();
                        }
                        return Err(failure.error);
                    }
                    tokio::time::sleep(wait).await;
                    retries += 1;
                }
            }
        }
    }
}

struct Failure {
    error: ProviderError,
    retryable: bool,
    retry_after: Option<Duration>,
}

/// The upstream's `Retry-After` if it gave one, else 250 ms · 2ⁿ with jitter.
fn backoff(retry: u32, retry_after: Option<Duration>) -> Duration {
    retry_after.unwrap_or_else(|| {
        let base = BACKOFF_BASE * 2u32.saturating_pow(retry.min(8));
        base + base.mul_f64(rand::random::<f64>() * 0.5)
    })
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The `error.message` of an OpenAI-style error body, else the body itself, cut short.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        message: String,
    }
    let text = serde_json::from_slice::<Body>(body)
        .map_or_else(|_| String::from_utf8_lossy(body).into_owned(), |b| b.error.message);
    let text = text.trim();
    if text.chars().count() > MAX_QUOTED {
        format!("{}…", text.chars().take(MAX_QUOTED).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<CompletionUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

#[derive(Deserialize)]
struct CompletionUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn fingerprint(&self) -> String {
        format!("openai:{}:{}:{}", self.endpoint, self.model, self.temperature)
    }

    fn can_rewrite(&self) -> bool {
        true
    }

    fn health(&self) -> ProviderHealth {
        if self.breaker.is_open() { ProviderHealth::Degraded } else { ProviderHealth::Up }
    }

    fn draft<'a>(&'a self, request: DraftRequest<'a>) -> BoxFuture<'a, Result<Drafted, ProviderError>> {
        Box::pin(self.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_keeps_a_query_string() {
        assert_eq!(endpoint("http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(
            endpoint("https://r.openai.azure.com/openai/deployments/d?api-version=2024-10-21"),
            "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn upstream_errors_are_quoted_from_their_message() {
        assert_eq!(
            error_message(br#"{"error":{"message":"model not found","type":"x"}}"#),
            "model not found"
        );
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
        assert_eq!(backoff(3, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert!(backoff(1, None) >= Duration::from_millis(500));
    }
}
