//! The few SQL fragments that differ between SQLite and PostgreSQL.

use super::{Db, Tx};

/// Row lock for read-modify-write inside a transaction. SQLite needs none:
/// its single writer connection already serialises write transactions.
pub(super) fn for_update(tx: &Tx) -> &'static str {
    match tx {
        Tx::Sqlite(_) => "",
        Tx::Postgres(_) => " FOR UPDATE",
    }
}

/// Claims rows other transactions have not locked, skipping the rest, so
/// concurrent workers take different jobs. SQLite's single writer already
/// serialises claims.
pub(super) fn skip_locked(db: &Db) -> &'static str {
    match db {
        Db::Sqlite { .. } => "",
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    }
}

/// A statement that serialises the transactions running it until they end
/// (a transaction-scoped advisory lock on PostgreSQL); SQLite's single
/// writer already does.
pub(super) fn serialise(tx: &Tx, key: i64) -> Option<String> {
    match tx {
        Tx::Sqlite(_) => None,
        Tx::Postgres(_) => Some(format!("SELECT pg_advisory_xact_lock({key})")),
    }
}
