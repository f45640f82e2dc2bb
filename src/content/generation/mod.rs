//! Writing posts from a brief. Providers sit behind one trait so the service
//! can swap them, fall back from one to another and test them alike:
//! `template` composes posts offline from the brief; `openai` asks any
//! OpenAI-compatible chat-completions endpoint.

pub mod openai;
mod prompt;
pub mod template;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

use crate::domain::{Brief, Platform};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One request to a provider: variants of a post for one platform.
#[derive(Debug, Clone, Copy)]
pub struct DraftRequest<'a> {
    pub brief: &'a Brief,
    pub platform: Platform,
    pub variants: usize,
    /// The platform's limit in its own counting rule, if it has one.
    pub limit: Option<usize>,
    /// Set when earlier drafts were too long: ask for clearly shorter text.
    pub shorter: bool,
}

/// Tokens an upstream call consumed, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        // Counts come from the upstream: never trust them not to overflow.
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_add(other.completion_tokens);
    }
}

/// What a provider wrote.
#[derive(Debug, Clone, Default)]
pub struct Drafted {
    pub texts: Vec<String>,
    pub usage: Option<Usage>,
}

/// Why a provider could not write; never a panic, never a 500.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("circuit breaker open after repeated upstream failures")]
    BreakerOpen,
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    /// `message` quotes the upstream's error for the logs; clients see only the status.
    #[error("upstream answered HTTP {status}")]
    Status { status: u16, message: String },
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The request's time budget ran out before the provider answered.
    #[error("no answer within the request's time budget")]
    Deadline,
}

impl ProviderError {
    /// A short, stable label for metrics.
    /// Whether the error says the upstream is unhealthy (and so counts
    /// towards opening the breaker). A 4xx other than 429 is about this
    /// request or the configuration, and a user's brief must not be able to
    /// open the breaker for everyone.
    pub fn is_upstream_fault(&self) -> bool {
        match self {
            ProviderError::Status { status, .. } => *status == 429 || *status >= 500,
            ProviderError::Timeout(_) | ProviderError::Connect(_) | ProviderError::Malformed(_) => true,
            ProviderError::BreakerOpen | ProviderError::Deadline => false,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::BreakerOpen => "breaker_open",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Connect(_) => "connect",
            ProviderError::Status { status: 429, .. } => "rate_limited",
            ProviderError::Status { status, .. } if *status >= 500 => "server_error",
            ProviderError::Status { .. } => "client_error",
            ProviderError::Malformed(_) => "malformed",
            ProviderError::Deadline => "deadline",
        }
    }
}

/// Whether a provider can be used right now (for `/health/ready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderHealth {
    Up,
    /// The breaker is open: requests fall back or fail fast.
    Degraded,
}

/// Something that writes post variants from a brief.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Stable name shown in responses and metrics (`template`, `openai`).
    fn name(&self) -> &'static str;
    fn model(&self) -> &str;
    /// Settings that change the output, for the result cache key.
    fn fingerprint(&self) -> String;
    /// Whether asking again for shorter text can help (an LLM can; a template cannot).
    fn can_rewrite(&self) -> bool;
    fn health(&self) -> ProviderHealth;
    fn draft<'a>(&'a self, request: DraftRequest<'a>) -> BoxFuture<'a, Result<Drafted, ProviderError>>;
}
