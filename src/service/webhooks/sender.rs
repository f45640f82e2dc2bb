//! Sends one signed delivery over HTTP: Standard Webhooks headers, no
//! redirects, a timeout, the SSRF guard, and at most a kilobyte of the
//! answer kept for the log.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::target::{self, GuardedResolver, Refused};
use crate::config::WebhookSettings;
use crate::domain::webhook::{SigningSecret, signature_header};

/// How much of a receiver's answer is read (the rest is dropped unread).
const READ_LIMIT: usize = 64 * 1024;
/// How much of it the delivery log keeps.
const KEEP: usize = 1024;

/// The HTTP client deliveries go through.
#[derive(Debug)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

/// What one attempt came to.
#[derive(Debug)]
pub struct Sent {
    pub status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
    pub response_body: Option<String>,
    /// The target was refused by the SSRF guard (never worth retrying).
    pub refused: bool,
}

impl Sent {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One delivery, ready to sign and send.
#[derive(Debug)]
pub struct Message<'a> {
    pub url: &'a str,
    /// The event id: stable across attempts, so receivers can de-duplicate.
    pub id: &'a str,
    pub body: &'a str,
    pub secrets: &'a [SigningSecret],
    pub now: DateTime<Utc>,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> anyhow::Result<Sender> {
        crate::tls::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("Herald-Webhooks/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if !settings.allow_private_targets {
            builder = builder.dns_resolver(GuardedResolver);
        }
        Ok(Sender { client: builder.build()?, allow_private: settings.allow_private_targets })
    }

    pub async fn send(&self, message: &Message<'_>) -> Sent {
        let started = Instant::now();
        let failed = |error: String, refused: bool| Sent {
            status: None,
            latency: started.elapsed(),
            error: Some(error),
            response_body: None,
            refused,
        };
        let url = match reqwest::Url::parse(message.url) {
            Ok(url) => url,
            Err(err) => return failed(format!("invalid URL: {err}"), true),
        };
        if !self.allow_private
            && let Some(ip) = literal_ip(&url)
            && let Some(reason) = target::forbidden(ip)
        {
            return failed(Refused { addr: ip, reason }.to_string(), true);
        }
        let timestamp = message.now.timestamp();
        let secrets: Vec<&SigningSecret> = message.secrets.iter().collect();
        let signature = signature_header(&secrets, message.id, timestamp, message.body.as_bytes());
        let request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body.to_owned());
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                let refused = refusal(&err);
                let error = match &refused {
                    Some(refused) => refused.clone(),
                    None if err.is_timeout() => "no answer within the timeout".to_owned(),
                    None => format!("could not connect: {}", error_chain(err)),
                };
                return failed(error, refused.is_some());
            }
        };
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let mut error = None;
        while body.len() < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(err) => {
                    error = Some(if err.is_timeout() {
                        "the answer did not finish within the timeout".to_owned()
                    } else {
                        format!("the answer broke off: {}", error_chain(err))
                    });
                    break;
                }
            }
        }
        body.truncate(KEEP);
        // PostgreSQL text cannot hold NUL; a receiver's answer may.
        let text = String::from_utf8_lossy(&body).replace('\0', "");
        let error = error
            .or_else(|| (!(200..300).contains(&status)).then(|| format!("the receiver answered {status}")));
        Sent {
            status: Some(status),
            latency: started.elapsed(),
            error,
            response_body: (!text.is_empty()).then_some(text),
            refused: false,
        }
    }
}

/// The host, when it is an address rather than a name (IPv6 in brackets).
fn literal_ip(url: &reqwest::Url) -> Option<std::net::IpAddr> {
    url.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// The SSRF guard's refusal, if that is why the request failed.
fn refusal(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<Refused>() {
            return Some(refused.to_string());
        }
        source = current.source();
    }
    None
}

/// The error and its causes, without the URL (which may carry a token in
/// its path) and without NUL characters.
fn error_chain(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(current) = source {
        text.push_str(": ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text.replace('\0', "")
}
