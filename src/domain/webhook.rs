//! Webhook subscriptions: which events a subscription wants, its signing
//! secret, and the Standard Webhooks signature (standardwebhooks.com) that
//! lets a receiver check a delivery came from us, unchanged and recently.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::event::EventType;
use super::post::closed_set;
use super::{AccountId, DeliveryId, ValidationError, WebhookId};

/// Which events a subscription receives: exact types (`post.published`),
/// every type of a family (`comment.*`), or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    /// Parses the `events` field: non-empty, each pattern naming a known
    /// type or family.
    pub fn parse(field: &str, raw: &[String]) -> Result<EventFilter, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::new(field, "required", "list at least one event type, or \"*\""));
        }
        if raw.len() > 50 {
            return Err(ValidationError::new(field, "too_many", "at most 50 patterns"));
        }
        let mut patterns: Vec<String> = Vec::new();
        for pattern in raw.iter().map(|p| p.trim()) {
            let known = match pattern.strip_suffix(".*") {
                _ if pattern == "*" => true,
                Some(family) => EventType::ALL.iter().any(|t| t.as_str().split('.').next() == Some(family)),
                None => EventType::parse(field, pattern).is_ok(),
            };
            if !known {
                return Err(ValidationError::new(
                    field,
                    "invalid",
                    format!("unknown event type {pattern:?} (e.g. post.published, comment.*, *)"),
                ));
            }
            if !patterns.iter().any(|p| p == pattern) {
                patterns.push(pattern.to_owned());
            }
        }
        Ok(EventFilter(patterns))
    }

    /// Reads the stored form (a JSON array) back; unreadable means none.
    pub fn from_stored(json: &str) -> EventFilter {
        EventFilter(serde_json::from_str(json).unwrap_or_default())
    }

    pub fn to_stored(&self) -> String {
        serde_json::Value::from(self.0.clone()).to_string()
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }

    /// Whether an event of `event_type` goes to this subscription. Pings are
    /// addressed to one subscription and never match a filter.
    pub fn matches(&self, event_type: EventType) -> bool {
        if event_type == EventType::WebhookPing {
            return false;
        }
        let name = event_type.as_str();
        self.0.iter().any(|pattern| {
            pattern == "*"
                || pattern == name
                || pattern.strip_suffix(".*").is_some_and(|family| name.split('.').next() == Some(family))
        })
    }
}

/// The bytes a subscription's deliveries are signed with, shown to its
/// owner once as `whsec_<base64>`.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

const SECRET_PREFIX: &str = "whsec_";

impl SigningSecret {
    /// A new random secret (32 bytes, as the specification recommends 24–64).
    pub fn generate() -> SigningSecret {
        let bytes: [u8; 32] = rand::random();
        SigningSecret(format!("{SECRET_PREFIX}{}", BASE64.encode(bytes)))
    }

    /// A stored secret.
    pub fn from_stored(raw: String) -> SigningSecret {
        SigningSecret(raw)
    }

    /// The `whsec_…` form: stored, and shown to the owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> Vec<u8> {
        BASE64.decode(self.0.strip_prefix(SECRET_PREFIX).unwrap_or(&self.0)).unwrap_or_default()
    }

    /// One `v1,<base64>` signature over `<id>.<timestamp>.<body>`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key()) else {
            return String::new();
        };
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per active secret,
/// separated by spaces (two during a rotation's overlap).
pub fn signature_header(secrets: &[&SigningSecret], message_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(message_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

closed_set!(
    /// Where one event's delivery to one subscription stands.
    DeliveryState, "pending, succeeded, failed", {
        Pending => "pending", Succeeded => "succeeded", Failed => "failed",
    }
);

/// A stored subscription (its secrets stay inside the service layer, and
/// out of `Debug`).
#[derive(Clone, sqlx::FromRow)]
pub struct Webhook {
    pub webhook_id: WebhookId,
    pub url: String,
    /// JSON array of patterns; see `EventFilter`.
    pub events: String,
    pub description: String,
    pub active: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: Option<AccountId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("webhook_id", &self.webhook_id)
            .field("events", &self.events)
            .field("active", &self.active)
            .field("disabled_reason", &self.disabled_reason)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    pub fn filter(&self) -> EventFilter {
        EventFilter::from_stored(&self.events)
    }

    /// The secrets that sign a delivery at `now`: the current one, and the
    /// previous one while a rotation's overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<SigningSecret> {
        let mut secrets = vec![SigningSecret::from_stored(self.secret.clone())];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            secrets.push(SigningSecret::from_stored(previous.clone()));
        }
        secrets
    }
}

/// One event's delivery to one subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub delivery_id: DeliveryId,
    pub webhook_id: WebhookId,
    /// The event id: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    pub event_type: EventType,
    /// The JSON body sent, fixed when the delivery was created.
    pub body: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One attempt of a delivery, as the delivery log shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub delivery_id: DeliveryId,
    pub attempt: i64,
    pub attempted_at: DateTime<Utc>,
    /// `succeeded` or `failed`.
    pub outcome: String,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The first kilobyte of the receiver's answer.
    pub response_body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str]) -> Result<EventFilter, ValidationError> {
        EventFilter::parse("events", &patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn filters_take_exact_types_families_and_everything() {
        let f = filter(&["post.published", "comment.*"]).unwrap();
        assert!(f.matches(EventType::PostPublished));
        assert!(f.matches(EventType::CommentCreated));
        assert!(!f.matches(EventType::PostCreated));
        assert!(filter(&["*"]).unwrap().matches(EventType::UserRegistered));
        assert!(!filter(&["*"]).unwrap().matches(EventType::WebhookPing), "pings go to one subscription");
    }

    #[test]
    fn filters_refuse_unknown_types_and_empty_lists() {
        assert_eq!(filter(&[]).unwrap_err().code, "required");
        assert_eq!(filter(&["post.exploded"]).unwrap_err().code, "invalid");
        assert_eq!(filter(&["nothing.*"]).unwrap_err().code, "invalid");
        assert_eq!(filter(&["post.published", "post.published"]).unwrap().patterns().len(), 1);
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's published test vector.
        let secret = SigningSecret::from_stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_whsec_base64_and_never_printed() {
        let secret = SigningSecret::generate();
        assert!(secret.expose().starts_with("whsec_"));
        assert_eq!(secret.key().len(), 32);
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }
}
