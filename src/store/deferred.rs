//! Writes whose answer nobody reads (event rows, queued jobs, revisions, tag
//! rows) wait in their transaction and reach the database together: before
//! the transaction's next statement, or with its COMMIT.
//!
//! SQLite has one writer connection, which every write transaction holds in
//! turn while the others wait, and each statement is a hand-off to that
//! connection's thread and back (two thread switches, during which the
//! writer does nothing). A create was twelve such round trips; with its
//! trailing writes sent as one multi-statement batch ending in COMMIT it is
//! four. PostgreSQL's protocol has no multi-statement batch with
//! parameters, so there they become one statement of `WITH` clauses.
//!
//! A deferred statement's error surfaces from the statement or commit that
//! sends it, so only statements whose failure the caller handles like any
//! other database error may be deferred.

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

use super::query::{Arg, bind_args};
use super::{PoolTx, StoreError, Tx};

/// A statement waiting to be sent, with `$1`-numbered placeholders.
#[derive(Debug)]
pub(super) struct Deferred {
    sql: &'static str,
    args: Vec<Arg>,
}

/// Queues `sql` to run inside `tx` before its next statement or its commit.
pub(crate) fn defer(tx: &mut Tx, sql: &'static str, args: &[Arg]) {
    let deferred = Deferred { sql, args: args.to_vec() };
    match tx {
        Tx::Sqlite(tx) => tx.pending_mut().push(deferred),
        Tx::Postgres(tx) => tx.pending_mut().push(deferred),
    }
}

/// Sends what `tx` has waiting in as few batches as the limits allow, the
/// last followed by `then` (COMMIT) when given.
pub(super) async fn flush_sqlite(
    tx: &mut PoolTx<SqliteConnection>,
    then: Option<&'static str>,
) -> Result<(), StoreError> {
    let pending = std::mem::take(tx.pending_mut());
    if pending.is_empty() {
        if let Some(sql) = then {
            sqlx::query(sql).execute(&mut **tx).await?;
        }
        return Ok(());
    }
    let parts = chunks(&pending);
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let (sql, args) = batch(part, then.filter(|_| i == last));
        bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Sends what `tx` has waiting as few statements as the limits allow: all
/// but the last of a chunk become data-modifying `WITH` clauses of the
/// last. They all see the snapshot the statement starts with (not each
/// other's rows) and run in no set order, which deferred statements never
/// need: each writes on its own.
pub(super) async fn flush_postgres(tx: &mut PoolTx<PgConnection>) -> Result<(), StoreError> {
    let pending = std::mem::take(tx.pending_mut());
    for part in chunks(&pending) {
        match part {
            [one] => {
                bind_args!(sqlx::query(one.sql), &one.args).execute(&mut **tx).await?;
            }
            _ => {
                let (sql, args) = with_clauses(part);
                bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// Bound values per statement sent, below SQLite's (32,766) and
/// PostgreSQL's (65,535) limits: publishing a backlog of scheduled posts
/// defers an event per post.
const MAX_ARGS: usize = 30_000;
/// Statements per batch, so the text stays small to parse.
const MAX_STATEMENTS: usize = 64;

/// `pending` cut into runs within `MAX_ARGS` and `MAX_STATEMENTS` (a
/// statement alone may exceed `MAX_ARGS`: it is sent alone).
fn chunks(pending: &[Deferred]) -> Vec<&[Deferred]> {
    let mut parts = Vec::new();
    let (mut start, mut args) = (0, 0);
    for (i, deferred) in pending.iter().enumerate() {
        if i > start && (args + deferred.args.len() > MAX_ARGS || i - start == MAX_STATEMENTS) {
            parts.push(&pending[start..i]);
            (start, args) = (i, 0);
        }
        args += deferred.args.len();
    }
    if start < pending.len() {
        parts.push(&pending[start..]);
    }
    parts
}

/// One multi-statement text and its arguments: each statement's `$n` is
/// renumbered past the arguments of the statements before it.
fn batch(pending: &[Deferred], then: Option<&str>) -> (String, Vec<Arg>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    for deferred in pending {
        renumber(deferred.sql, args.len(), &mut sql);
        sql.push_str(";\n");
        args.extend(deferred.args.iter().cloned());
    }
    if let Some(then) = then {
        sql.push_str(then);
    }
    (sql, args)
}

/// One statement: every deferred statement but the last as a `WITH` clause
/// of the last, placeholders renumbered as in `batch`.
fn with_clauses(pending: &[Deferred]) -> (String, Vec<Arg>) {
    let mut sql = String::from("WITH ");
    let mut args = Vec::new();
    let last = pending.len().saturating_sub(1);
    for (i, deferred) in pending.iter().enumerate() {
        if i == last {
            sql.push(' ');
        } else {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("d{i} AS ("));
        }
        renumber(deferred.sql, args.len(), &mut sql);
        if i < last {
            sql.push(')');
        }
        args.extend(deferred.args.iter().cloned());
    }
    (sql, args)
}

/// Appends `sql` to `out` with every `$n` placeholder shifted by `offset`.
/// Deferred statements are fixed texts without `$` in their literals.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_shifted_past_earlier_statements_arguments() {
        let pending = [
            Deferred { sql: "INSERT INTO a VALUES ($1, $2, $1)", args: vec![Arg::Int(1), Arg::Int(2)] },
            Deferred { sql: "UPDATE b SET x = $2 WHERE y = $1", args: vec![Arg::Int(3), Arg::Int(4)] },
            Deferred { sql: "DELETE FROM c WHERE z = $10", args: (0..10).map(Arg::Int).collect() },
        ];
        let (sql, args) = batch(&pending, Some("COMMIT"));
        assert_eq!(
            sql,
            "INSERT INTO a VALUES ($1, $2, $1);\nUPDATE b SET x = $4 WHERE y = $3;\n\
             DELETE FROM c WHERE z = $14;\nCOMMIT"
        );
        assert_eq!(args.len(), 14);
    }

    #[test]
    fn on_postgresql_earlier_statements_become_with_clauses_of_the_last() {
        let pending = [
            Deferred { sql: "INSERT INTO a VALUES ($1)", args: vec![Arg::Int(1)] },
            Deferred { sql: "INSERT INTO b VALUES ($1, $2)", args: vec![Arg::Int(2), Arg::Int(3)] },
            Deferred { sql: "DELETE FROM c WHERE z = $1", args: vec![Arg::Int(4)] },
        ];
        let (sql, args) = with_clauses(&pending);
        assert_eq!(
            sql,
            "WITH d0 AS (INSERT INTO a VALUES ($1)), d1 AS (INSERT INTO b VALUES ($2, $3)) \
             DELETE FROM c WHERE z = $4"
        );
        assert_eq!(args.len(), 4);
    }

    #[test]
    fn long_runs_are_cut_within_the_statement_and_value_limits() {
        let event = || Deferred { sql: "INSERT INTO e VALUES ($1)", args: vec![Arg::Int(0); 9] };
        let backlog: Vec<Deferred> = (0..200).map(|_| event()).collect();
        let sizes: Vec<usize> = chunks(&backlog).iter().map(|part| part.len()).collect();
        assert_eq!(sizes, [64, 64, 64, 8]);

        let wide = || Deferred { sql: "INSERT INTO w VALUES ($1)", args: vec![Arg::Int(0); 20_000] };
        let sizes: Vec<usize> = chunks(&[wide(), wide(), event()]).iter().map(|part| part.len()).collect();
        assert_eq!(sizes, [1, 2], "each part stays within the value limit");
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn a_dollar_without_digits_is_left_alone() {
        let mut out = String::new();
        renumber("SELECT '$' || $1", 5, &mut out);
        assert_eq!(out, "SELECT '$' || $6");
    }
}
