//! A small builder for SQL whose shape depends on the request (filters,
//! sorting, cursors): it numbers `$n` placeholders and keeps the values, which
//! are always bound, never spliced into the text.

use chrono::{DateTime, Utc};

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
}

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_owned(), args: Vec::new() }
    }

    /// Appends trusted SQL text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg` and returns its name (`$n`), so it can
    /// be repeated in the text without binding it twice.
    pub fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.text.push_str(&placeholder);
        placeholder
    }

    /// A placeholder for `arg` without appending it to the text.
    pub fn param(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub fn into_parts(self) -> (String, Vec<Arg>) {
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
            };
        }
        query
    }};
}
pub(crate) use bind_args;
