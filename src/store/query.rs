//! A small builder for SQL whose shape depends on the request (filters,
//! sorting, cursors): it numbers `$n` placeholders and keeps the values, which
//! are always bound, never spliced into the text.

use chrono::{DateTime, Utc};

use super::{Db, StoreError, Tx};
use crate::domain::{AccountId, ApiKeyId, BriefId, CategoryId, CommentId, DeliveryId, PostId, WebhookId};

/// A bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
    /// NULLs are typed, since PostgreSQL checks the type of every parameter.
    OptInt(Option<i64>),
    OptTime(Option<DateTime<Utc>>),
    OptText(Option<String>),
}

#[derive(Debug, Default)]
pub(super) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(super) fn new(text: &str) -> Sql {
        Sql { text: text.to_owned(), args: Vec::new() }
    }

    /// Appends trusted SQL text (never user input).
    pub(super) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg` and returns its name (`$n`), so it can
    /// be repeated in the text without binding it twice.
    pub(super) fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.text.push_str(&placeholder);
        placeholder
    }

    /// Appends `(<p1>, <p2>, …)` binding each of `args` (non-empty).
    pub(super) fn push_in(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        self.text.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(arg);
        }
        self.text.push(')');
        self
    }

    /// A placeholder for `arg` without appending it to the text.
    pub(super) fn param(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn into_parts(self) -> (String, Vec<Arg>) {
        (self.text, self.args)
    }
}

/// Binds every `Arg` to a sqlx query of either backend (a macro, because
/// the query type differs per backend).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::store::query::Arg::Int(v) => query.bind(*v),
                $crate::store::query::Arg::Text(v) => query.bind(v.clone()),
                $crate::store::query::Arg::Time(v) => query.bind(*v),
                $crate::store::query::Arg::Bool(v) => query.bind(*v),
                $crate::store::query::Arg::OptInt(v) => query.bind(*v),
                $crate::store::query::Arg::OptTime(v) => query.bind(*v),
                $crate::store::query::Arg::OptText(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

/// Values that bind as one `Arg`; `args![a, b]` lists them for `exec`.
pub(super) trait ToArg {
    fn to_arg(&self) -> Arg;
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg {
        (**self).to_arg()
    }
}

impl ToArg for i64 {
    fn to_arg(&self) -> Arg {
        Arg::Int(*self)
    }
}

impl ToArg for str {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.to_owned())
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.clone())
    }
}

impl ToArg for bool {
    fn to_arg(&self) -> Arg {
        Arg::Bool(*self)
    }
}

impl ToArg for DateTime<Utc> {
    fn to_arg(&self) -> Arg {
        Arg::Time(*self)
    }
}

impl ToArg for Option<DateTime<Utc>> {
    fn to_arg(&self) -> Arg {
        Arg::OptTime(*self)
    }
}

impl ToArg for Option<String> {
    fn to_arg(&self) -> Arg {
        Arg::OptText(self.clone())
    }
}

impl ToArg for Option<i64> {
    fn to_arg(&self) -> Arg {
        Arg::OptInt(*self)
    }
}

macro_rules! id_args {
    ($($id:ty),+) => {
        $(
            impl ToArg for $id {
                fn to_arg(&self) -> Arg {
                    Arg::Int(self.get())
                }
            }

            impl ToArg for Option<$id> {
                fn to_arg(&self) -> Arg {
                    Arg::OptInt(self.map(<$id>::get))
                }
            }
        )+
    };
}

id_args!(AccountId, PostId, CommentId, CategoryId, ApiKeyId, BriefId, WebhookId, DeliveryId);

/// The arguments of a statement, each through `ToArg`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::query::ToArg::to_arg(&$value)),*]
    };
}
pub(crate) use args;

/// Runs one write statement inside `tx`; returns the rows it touched.
pub(crate) async fn exec(tx: &mut Tx, sql: &'static str, args: &[Arg]) -> Result<u64, StoreError> {
    Ok(on_tx!(tx, |conn| bind_args!(sqlx::query(sql), args).execute(conn).await?.rows_affected()))
}

/// Runs one write statement on its own (the write pool); returns the rows
/// it touched.
pub(crate) async fn exec_on(db: &Db, sql: &'static str, args: &[Arg]) -> Result<u64, StoreError> {
    Ok(on_pool!(db, write, |pool| bind_args!(sqlx::query(sql), args).execute(pool).await?.rows_affected()))
}
