//! `job`: the durable queue. Workers claim due jobs (and jobs whose lease
//! ran out) in one statement — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the
//! single writer on SQLite — so no two workers ever hold the same job.

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError, Tx, args, defer, dialect, exec, exec_on};
use crate::domain::job::{Job, JobKind, JobState, NewJob};

const COLUMNS: &str = "job_id, kind, payload, priority, state, run_at, attempts, max_attempts, last_error, \
                       lease_until, worker, unique_key, created_at, updated_at, finished_at";

/// The states in which a job still has work ahead of it.
const LIVE: &str = "('queued', 'running', 'failed')";

const ENQUEUE: &str = "INSERT INTO job (kind, payload, priority, state, run_at, max_attempts, unique_key, created_at, updated_at)
     VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $7)
     ON CONFLICT (unique_key) WHERE state IN ('queued', 'running', 'failed') DO NOTHING";

fn enqueue_args(job: &NewJob, now: DateTime<Utc>) -> [Arg; 7] {
    let payload = serde_json::to_string(&job.payload).unwrap_or_default();
    [
        Arg::Text(job.kind.as_str().to_owned()),
        Arg::Text(payload),
        Arg::Int(job.priority.rank()),
        Arg::Time(job.run_at),
        Arg::Int(job.max_attempts),
        Arg::OptText(job.unique_key.clone()),
        Arg::Time(now),
    ]
}

/// Queues `job` inside `tx`; `false` when a live job with its unique key
/// already exists (it stays as it is).
pub async fn enqueue(tx: &mut Tx, job: &NewJob, now: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(exec(tx, ENQUEUE, &enqueue_args(job, now)).await? == 1)
}

/// Queues `job` like `enqueue`, sent with the transaction's next statement
/// or its commit (see `deferred`), for callers that need not know whether
/// a live job with its key already existed.
pub fn enqueue_later(tx: &mut Tx, job: &NewJob, now: DateTime<Utc>) {
    defer(tx, ENQUEUE, &enqueue_args(job, now));
}

/// Cancels the live job with `unique_key`, if any.
pub async fn cancel_key(tx: &mut Tx, unique_key: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let sql = "UPDATE job SET state = 'cancelled', updated_at = $2, finished_at = $2, lease_until = NULL
               WHERE unique_key = $1 AND state IN ('queued', 'failed')";
    exec(tx, sql, args![unique_key, now]).await
}

/// Claims up to `limit` jobs for `worker`: due queued or failed jobs, and
/// running jobs whose lease expired, most urgent first.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Job>, StoreError> {
    // One statement on its own, not inside BEGIN ... COMMIT: it is atomic by
    // itself, and a worker polling an empty queue then costs the single
    // SQLite writer one hand-off instead of three.
    let skip_locked = dialect::skip_locked(db);
    let sql = format!(
        "UPDATE job SET state = 'running', attempts = attempts + 1, lease_until = $2, worker = $3, updated_at = $1
         WHERE job_id IN (
             SELECT job_id FROM job
             WHERE (state IN ('queued', 'failed') AND run_at <= $1) OR (state = 'running' AND lease_until < $1)
             ORDER BY priority, run_at LIMIT $4{skip_locked})
         RETURNING {COLUMNS}"
    );
    Ok(on_pool!(db, write, |conn| {
        sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(lease_until)
            .bind(worker)
            .bind(limit)
            .fetch_all(conn)
            .await?
    }))
}

/// Extends the lease of a job `worker` still holds; `false` if it lost it.
pub async fn renew(db: &Db, job_id: i64, worker: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "UPDATE job SET lease_until = $3 WHERE job_id = $1 AND worker = $2 AND state = 'running'";
    Ok(exec_on(db, sql, args![job_id, worker, until]).await? == 1)
}

/// Marks a job `worker` holds as done.
pub async fn succeed(db: &Db, job_id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "UPDATE job SET state = 'succeeded', lease_until = NULL, last_error = NULL, updated_at = $3,
                   finished_at = $3
               WHERE job_id = $1 AND worker = $2 AND state = 'running'";
    Ok(exec_on(db, sql, args![job_id, worker, now]).await? == 1)
}

/// Records a failure: `retry_at` schedules another attempt, `None` makes
/// the job dead.
pub async fn fail(
    db: &Db,
    job_id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = match retry_at {
        Some(at) => {
            let sql = "UPDATE job SET state = 'failed', run_at = $4, last_error = $3, lease_until = NULL, updated_at = $5
                       WHERE job_id = $1 AND worker = $2 AND state = 'running'";
            exec_on(db, sql, args![job_id, worker, error, at, now]).await?
        }
        None => {
            let sql = "UPDATE job SET state = 'dead', last_error = $3, lease_until = NULL, updated_at = $4,
                           finished_at = $4
                       WHERE job_id = $1 AND worker = $2 AND state = 'running'";
            exec_on(db, sql, args![job_id, worker, error, now]).await?
        }
    };
    Ok(updated == 1)
}

/// Hands a job back unfinished (graceful shutdown): queued again, at once,
/// the attempt not counted.
pub async fn release(db: &Db, job_id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "UPDATE job SET state = 'queued', attempts = attempts - 1, lease_until = NULL, worker = NULL,
                   updated_at = $3
               WHERE job_id = $1 AND worker = $2 AND state = 'running'";
    Ok(exec_on(db, sql, args![job_id, worker, now]).await? == 1)
}

/// Which jobs an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub states: Vec<JobState>,
    pub kind: Option<JobKind>,
    /// Only jobs with a smaller id (the cursor).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Jobs matching `q`, newest first.
pub async fn list(db: &Db, q: &JobQuery) -> Result<Vec<Job>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM job WHERE 1 = 1"));
    if !q.states.is_empty() {
        sql.push(" AND state IN ");
        sql.push_in(q.states.iter().map(|s| Arg::Text(s.as_str().to_owned())));
    }
    if let Some(kind) = q.kind {
        sql.push(" AND kind = ");
        sql.bind(Arg::Text(kind.as_str().to_owned()));
    }
    if let Some(before) = q.before {
        sql.push(" AND job_id < ");
        sql.bind(Arg::Int(before));
    }
    sql.push(" ORDER BY job_id DESC LIMIT ");
    sql.bind(Arg::Int(q.limit));
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

pub async fn find(db: &Db, job_id: i64) -> Result<Option<Job>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM job WHERE job_id = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql)).bind(job_id).fetch_optional(pool).await?
    }))
}

/// Moves a job from `from` states to `to` (an admin's retry or cancel);
/// `false` when it was in none of them.
pub async fn transition(
    db: &Db,
    job_id: i64,
    from: &[JobState],
    to: JobState,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let finished = if matches!(to, JobState::Cancelled) { "$3" } else { "NULL" };
    let sql = format!(
        "UPDATE job SET state = $2, updated_at = $3, finished_at = {finished}, lease_until = NULL,
             run_at = CASE WHEN $2 = 'queued' THEN $3 ELSE run_at END,
             attempts = CASE WHEN $2 = 'queued' THEN 0 ELSE attempts END
         WHERE job_id = $1 AND state IN ({})",
        allowed.join(", ")
    );
    let values = args![job_id, to.as_str(), now];
    let updated = on_pool!(db, write, |pool| {
        bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), values).execute(pool).await?.rows_affected()
    });
    Ok(updated == 1)
}

/// Jobs per kind and state, and for each kind the age of its oldest due
/// job (for metrics and readiness).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueStat {
    pub kind: String,
    pub state: String,
    pub jobs: i64,
    pub oldest_run_at: Option<DateTime<Utc>>,
}

pub async fn stats(db: &Db) -> Result<Vec<QueueStat>, StoreError> {
    let sql = format!(
        "SELECT kind, state, COUNT(*) AS jobs, MIN(run_at) AS oldest_run_at FROM job
         WHERE state IN {LIVE} OR state = 'dead' GROUP BY kind, state"
    );
    Ok(on_pool!(db, read, |pool| sqlx::query_as::<_, QueueStat>(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?))
}

/// Deletes jobs that finished (succeeded or cancelled) before `before`;
/// dead jobs stay until an admin retries or cancels them.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let sql = "DELETE FROM job WHERE state IN ('succeeded', 'cancelled') AND finished_at < $1";
    exec_on(db, sql, args![before]).await
}
