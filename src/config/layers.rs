//! Layering: built-in defaults < `herald.toml` < conventional env (`DATABASE_URL`,
//! `REDIS_URL`, `RUST_LOG`) < `HERALD_*` env < command-line flags.
//!
//! Every layer is reduced to text per key so that one parser per setting serves
//! the file, the environment and the flags alike. Problems are collected, never
//! returned early, so an operator sees all of them in one run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::defs;

/// Where a resolved value came from, shown by `herald config` and in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(var) => write!(f, "env {var}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// What the caller hands to the loader: nothing is read from the process
/// environment directly, so tests can build any combination.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--config PATH` (or `HERALD_CONFIG`): must exist when given.
    pub explicit_file: Option<PathBuf>,
    /// Looked at when no explicit file is given; silently skipped if absent.
    pub default_file: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    /// Command-line overrides: (key, value, flag name).
    pub flags: Vec<(&'static str, String, &'static str)>,
}

impl Sources {
    /// Sources for a real process: its environment, `./herald.toml` as the
    /// optional default file, and `HERALD_CONFIG` when `--config` is absent.
    pub fn from_process(config_flag: Option<PathBuf>) -> Self {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let explicit_file = config_flag.or_else(|| env.get("HERALD_CONFIG").map(PathBuf::from));
        Sources { explicit_file, default_file: Some(PathBuf::from("herald.toml")), env, flags: Vec::new() }
    }
}

/// A value per key with its origin; keys without any value are absent.
#[derive(Debug, Default)]
pub struct Resolved {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl Resolved {
    pub fn get(&self, key: &str) -> Option<(&str, &Origin)> {
        self.values.get(key).map(|(value, origin)| (value.as_str(), origin))
    }

    fn set(&mut self, key: &'static str, value: String, origin: Origin) {
        self.values.insert(key, (value, origin));
    }
}

/// Applies every layer in order. Returns the resolved values and the problems
/// found while reading the layers (unreadable or malformed file, unknown keys).
pub(super) fn resolve(sources: &Sources) -> (Resolved, Vec<String>) {
    let mut resolved = Resolved::default();
    let mut problems = Vec::new();

    for def in defs::all() {
        if let Some(default) = def.default {
            resolved.set(def.key, default.to_owned(), Origin::Default);
        }
    }

    let file = match (&sources.explicit_file, &sources.default_file) {
        (Some(path), _) => Some((path.as_path(), true)),
        (None, Some(path)) => Some((path.as_path(), false)),
        (None, None) => None,
    };
    if let Some((path, required)) = file {
        apply_file(path, required, &mut resolved, &mut problems);
    }

    // Lowest-precedence env names first so HERALD_* overwrites DATABASE_URL & co.
    for def in defs::all() {
        for var in def.env.iter().rev() {
            if let Some(value) = sources.env.get(*var).filter(|v| !v.is_empty()) {
                resolved.set(def.key, value.clone(), Origin::Env(var));
            }
        }
    }

    for (key, value, flag) in &sources.flags {
        resolved.set(key, value.clone(), Origin::Flag(flag));
    }

    (resolved, problems)
}

fn apply_file(path: &Path, required: bool, resolved: &mut Resolved, problems: &mut Vec<String>) {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if !required && err.kind() == std::io::ErrorKind::NotFound => return,
        Err(err) => {
            problems.push(format!("config file {shown}: cannot read it: {err}"));
            return;
        }
    };
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            let reason = err.message().trim().to_owned();
            let place = err
                .span()
                .map(|span| line_col(&text, span.start))
                .map(|(line, col)| format!(" at line {line}, column {col}"))
                .unwrap_or_default();
            problems.push(format!("config file {shown}: not valid TOML{place}: {reason}"));
            return;
        }
    };
    for (key, value) in table {
        let Some(def) = defs::find(&key) else {
            problems.push(format!("config file {shown}: unknown key `{key}`"));
            continue;
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                problems.push(format!(
                    "{key}: expected a string, number or boolean in {shown}, found {}",
                    other.type_str()
                ));
                continue;
            }
        };
        resolved.set(def.key, text, Origin::File(path.to_path_buf()));
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
