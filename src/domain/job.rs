//! Durable background jobs: what kind of work, its payload, how urgent, and
//! where it stands.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::post::closed_set;
use super::{DeliveryId, PostId, ValidationError};

closed_set!(
    /// Where a job stands. `failed` will be retried; `dead` will not.
    JobState, "queued, running, succeeded, failed, dead, cancelled", {
        Queued => "queued", Running => "running", Succeeded => "succeeded", Failed => "failed",
        Dead => "dead", Cancelled => "cancelled",
    }
);

closed_set!(
    /// The kinds of work the queue runs.
    JobKind, "publish_post, analyse_post, deliver_webhook", {
        PublishPost => "publish_post", AnalysePost => "analyse_post", DeliverWebhook => "deliver_webhook",
    }
);

/// How urgent a job is; workers take more urgent work first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Critical = 0,
    High = 1,
    Normal = 2,
    Low = 3,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn from_rank(rank: i64) -> Priority {
        match rank {
            i64::MIN..=0 => Priority::Critical,
            1 => Priority::High,
            2 => Priority::Normal,
            _ => Priority::Low,
        }
    }

    pub fn rank(self) -> i64 {
        self as i64
    }
}

/// What a job carries, by kind (stored as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobPayload {
    Post { post_id: PostId },
    Delivery { delivery_id: DeliveryId },
}

/// A job about to be queued.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: JobPayload,
    pub priority: Priority,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i64,
    /// At most one live (queued, running or failed) job per key.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// Publishes a scheduled post at its time (one live job per post).
    pub fn publish_post(post_id: PostId, at: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: JobKind::PublishPost,
            payload: JobPayload::Post { post_id },
            priority: Priority::Critical,
            run_at: at,
            max_attempts: 10,
            unique_key: Some(publication_key(post_id)),
        }
    }
}

impl NewJob {
    /// Analyses a post's text (one live job per post).
    pub fn analyse_post(post_id: PostId, now: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: JobKind::AnalysePost,
            payload: JobPayload::Post { post_id },
            priority: Priority::Normal,
            run_at: now,
            max_attempts: 5,
            unique_key: Some(format!("analyse_post:{post_id}")),
        }
    }
}

impl NewJob {
    /// Sends one webhook delivery; `max_attempts` comes from the retry
    /// schedule. One live job per delivery, so a replay cannot overlap a
    /// retry.
    pub fn deliver_webhook(delivery_id: DeliveryId, run_at: DateTime<Utc>, max_attempts: i64) -> NewJob {
        NewJob {
            kind: JobKind::DeliverWebhook,
            payload: JobPayload::Delivery { delivery_id },
            priority: Priority::High,
            run_at,
            max_attempts,
            unique_key: Some(format!("deliver_webhook:{delivery_id}")),
        }
    }
}

/// The unique key of a post's publication job.
pub fn publication_key(post_id: PostId) -> String {
    format!("publish_post:{post_id}")
}

/// A stored job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub job_id: i64,
    pub kind: JobKind,
    /// JSON of `JobPayload`.
    pub payload: String,
    pub priority: i64,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub worker: Option<String>,
    pub unique_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    pub fn payload(&self) -> Result<JobPayload, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// The wait before retry `attempt` (1-based): exponential from 2 s, capped
/// at an hour, scaled by `jitter` in [0.5, 1.5) so failed jobs spread out.
pub fn backoff(attempt: i64, jitter: f64) -> chrono::Duration {
    let exponent = u32::try_from(attempt.clamp(1, 12)).unwrap_or(12);
    let base = (2_i64.pow(exponent)).min(3600) as f64;
    chrono::Duration::milliseconds((base * 1000.0 * jitter.clamp(0.5, 1.5)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_an_hour() {
        assert_eq!(backoff(1, 1.0), chrono::Duration::seconds(2));
        assert_eq!(backoff(3, 1.0), chrono::Duration::seconds(8));
        assert_eq!(backoff(30, 1.0), chrono::Duration::seconds(3600));
        assert_eq!(backoff(3, 0.5), chrono::Duration::seconds(4));
        assert_eq!(backoff(3, 1.49), chrono::Duration::milliseconds(11_920));
    }

    #[test]
    fn payloads_are_small_json() {
        let payload = JobPayload::Post { post_id: PostId::new(7) };
        assert_eq!(serde_json::to_string(&payload).unwrap(), r#"{"post_id":7}"#);
        assert_eq!(serde_json::from_str::<JobPayload>(r#"{"post_id":7}"#).unwrap(), payload);
    }
}
