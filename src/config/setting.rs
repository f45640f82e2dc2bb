//! What the settings tables are made of.

/// One configurable value.
#[derive(Debug)]
pub struct SettingDef {
    /// Key in `herald.toml`.
    pub key: &'static str,
    /// Environment variables that set it, highest precedence first.
    pub env: &'static [&'static str],
    /// Built-in default, as text; `None` means "unset".
    pub default: Option<&'static str>,
    /// Whether the value holds credentials that must never be printed.
    pub secret: bool,
    /// One-line meaning, shown by `herald config --describe` and in the README.
    pub doc: &'static str,
}
