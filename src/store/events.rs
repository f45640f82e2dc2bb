//! `event`: the outbox (undispatched events) and the audit log.

use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, bind_args};
use super::{Db, StoreError, Tx, args, defer, dialect, exec_on};
use crate::domain::event::{Event, EventType, NewEvent};
use crate::domain::{AccountId, PostId};

const COLUMNS: &str = "event_id, event_type, occurred_at, actor_id, subject_type, subject_id, post_id, payload, \
                       origin, dispatched_at, seq";

/// The advisory lock that orders dispatches across instances.
const DISPATCH_LOCK: i64 = 0x6865_7261_6c64;

/// Writes `event` inside the transaction of the change it describes.
pub async fn record(
    tx: &mut Tx,
    event_id: &str,
    event: &NewEvent,
    at: DateTime<Utc>,
    origin: &str,
) -> Result<(), StoreError> {
    let sql =
        "INSERT INTO event (event_id, event_type, occurred_at, actor_id, subject_type, subject_id, post_id,
                                  payload, origin)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let payload = event.payload.to_string();
    let subject = &event.subject;
    let values = args![
        event_id,
        event.event_type.as_str(),
        at,
        event.actor,
        subject.kind(),
        subject.id(),
        subject.post(),
        payload,
        origin
    ];
    defer(tx, sql, values);
    Ok(())
}

/// Up to `limit` undispatched events, oldest first.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<Event>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM event WHERE dispatched_at IS NULL ORDER BY event_id LIMIT $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?
    }))
}

/// When the oldest undispatched event happened (`None`: none is waiting).
pub async fn oldest_pending(db: &Db) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = "SELECT occurred_at FROM event WHERE dispatched_at IS NULL ORDER BY event_id LIMIT 1";
    Ok(on_pool!(db, read, |pool| sqlx::query_scalar(sql).fetch_optional(pool).await?))
}

/// Marks `event_ids` dispatched and numbers them (`seq`) in that order,
/// after every event numbered before. Dispatchers of all instances take
/// turns here, so numbers are gap-free and only ever grow. An event another
/// dispatcher already numbered keeps its number.
pub async fn mark_dispatched(
    tx: &mut Tx,
    event_ids: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(lock) = dialect::serialise(tx, DISPATCH_LOCK) {
        on_tx!(&mut *tx, |conn| sqlx::query(sqlx::AssertSqlSafe(lock)).execute(conn).await.map(|_| ())?);
    }
    for chunk in event_ids.chunks(200) {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM event";
        let last: i64 = on_tx!(&mut *tx, |conn| sqlx::query_scalar(sql).fetch_one(conn).await?);
        // One statement per chunk: the still unnumbered events of it,
        // numbered in id order after `last`.
        let mut sql = Sql::new("UPDATE event SET dispatched_at = ");
        sql.bind(Arg::Time(now));
        sql.push(", seq = ");
        sql.bind(Arg::Int(last));
        sql.push(
            " + numbered.n FROM (SELECT event_id, ROW_NUMBER() OVER (ORDER BY event_id) AS n FROM event \
             WHERE seq IS NULL AND event_id IN ",
        );
        sql.push_in(chunk.iter().map(|id| Arg::Text(id.clone())));
        sql.push(") AS numbered WHERE event.event_id = numbered.event_id");
        let (text, values) = sql.into_parts();
        on_tx!(&mut *tx, |conn| {
            bind_args!(sqlx::query(sqlx::AssertSqlSafe(text)), &values).execute(conn).await.map(|_| ())?;
        });
    }
    Ok(())
}

/// Dispatched events after `seq`, in stream order.
pub async fn after(db: &Db, seq: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM event WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql)).bind(seq).bind(limit).fetch_all(pool).await?
    }))
}

/// The stream position of the latest dispatched event (0: none yet).
pub async fn last_seq(db: &Db) -> Result<i64, StoreError> {
    let sql = "SELECT COALESCE(MAX(seq), 0) FROM event";
    Ok(on_pool!(db, read, |pool| sqlx::query_scalar(sql).fetch_one(pool).await?))
}

/// How far the consumer `name` has got (0: not started).
pub async fn cursor(db: &Db, name: &str) -> Result<i64, StoreError> {
    let sql = "SELECT position FROM stream_cursor WHERE name = $1";
    let found: Option<i64> =
        on_pool!(db, read, |pool| sqlx::query_scalar(sql).bind(name).fetch_optional(pool).await?);
    Ok(found.unwrap_or(0))
}

/// Moves consumer `name` from `from` to `to`; `false` when another
/// process moved it first.
pub async fn advance_cursor(db: &Db, name: &str, from: i64, to: i64) -> Result<bool, StoreError> {
    let sql = if from == 0 {
        "INSERT INTO stream_cursor (name, position) VALUES ($1, $3)
         ON CONFLICT (name) DO UPDATE SET position = $3 WHERE stream_cursor.position = $2"
    } else {
        "UPDATE stream_cursor SET position = $3 WHERE name = $1 AND position = $2"
    };
    Ok(exec_on(db, sql, args![name, from, to]).await? == 1)
}

/// Which events an audit query wants.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub types: Vec<EventType>,
    pub actor: Option<AccountId>,
    /// `(subject_type, subject_id)`.
    pub subject: Option<(String, String)>,
    pub post: Option<PostId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events older than this one (the cursor).
    pub before: Option<String>,
    pub limit: i64,
}

/// Events matching `q`, newest first.
pub async fn list(db: &Db, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM event WHERE 1 = 1"));
    if !q.types.is_empty() {
        sql.push(" AND event_type IN ");
        sql.push_in(q.types.iter().map(|t| Arg::Text(t.as_str().to_owned())));
    }
    if let Some(actor) = q.actor {
        sql.push(" AND actor_id = ");
        sql.bind(Arg::Int(actor.get()));
    }
    if let Some((kind, id)) = &q.subject {
        sql.push(" AND subject_type = ");
        sql.bind(Arg::Text(kind.clone()));
        sql.push(" AND subject_id = ");
        sql.bind(Arg::Text(id.clone()));
    }
    if let Some(post) = q.post {
        sql.push(" AND post_id = ");
        sql.bind(Arg::Int(post.get()));
    }
    if let Some(since) = q.since {
        sql.push(" AND occurred_at >= ");
        sql.bind(Arg::Time(since));
    }
    if let Some(until) = q.until {
        sql.push(" AND occurred_at < ");
        sql.bind(Arg::Time(until));
    }
    if let Some(before) = &q.before {
        sql.push(" AND event_id < ");
        sql.bind(Arg::Text(before.clone()));
    }
    sql.push(" ORDER BY event_id DESC LIMIT ");
    sql.bind(Arg::Int(q.limit));
    let (text, values) = sql.into_parts();
    Ok(on_pool!(db, read, |pool| {
        bind_args!(sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(text)), &values).fetch_all(pool).await?
    }))
}

pub async fn find(db: &Db, event_id: &str) -> Result<Option<Event>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM event WHERE event_id = $1");
    Ok(on_pool!(db, read, |pool| {
        sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_optional(pool).await?
    }))
}

/// Deletes dispatched events that happened before `before`; returns how many.
/// Two kinds stay whatever their age: the latest dispatched event, whose
/// `seq` the next one is numbered after (so positions never restart), and
/// events a stream consumer (the NATS fan-out) has not passed yet.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let sql = "DELETE FROM event
               WHERE occurred_at < $1 AND dispatched_at IS NOT NULL
                 AND seq < (SELECT MAX(seq) FROM event)
                 AND seq <= COALESCE((SELECT MIN(position) FROM stream_cursor), seq)";
    exec_on(db, sql, args![before]).await
}
