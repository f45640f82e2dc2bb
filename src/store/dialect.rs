//! The few SQL fragments that differ between SQLite and PostgreSQL.

use super::Tx;

/// Row lock for read-modify-write inside a transaction. SQLite needs none:
/// its single writer connection already serialises write transactions.
pub(super) fn for_update(tx: &Tx) -> &'static str {
    match tx {
        Tx::Sqlite(_) => "",
        Tx::Postgres(_) => " FOR UPDATE",
    }
}
