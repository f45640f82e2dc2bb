//! Settings of the built-in web interface: whether it is served, and under
//! which path.

use super::parse::{Parser, boolean};
use super::setting::SettingDef;

const STUDIO_ENABLED: &str = "studio_enabled";
const STUDIO_PREFIX: &str = "studio_prefix";

pub(super) const STUDIO_SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: STUDIO_ENABLED,
        env: &["HERALD_STUDIO_ENABLED"],
        default: Some("true"),
        secret: false,
        doc: "Serve Herald Studio, the built-in web interface (`false`: its paths are 404 and `/` redirects to `/docs`).",
    },
    SettingDef {
        key: STUDIO_PREFIX,
        env: &["HERALD_STUDIO_PREFIX"],
        default: Some("/studio"),
        secret: false,
        doc: "The path Studio is served under: `/` followed by lower-case letters, digits, `-` or `_` (one segment, not `api`, `docs` or `health`).",
    },
];

/// Where and whether Studio is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudioSettings {
    pub enabled: bool,
    /// `/studio` by default; never ends with `/`.
    pub prefix: String,
}

pub(super) fn parse_studio(p: &mut Parser<'_>) -> Option<StudioSettings> {
    let enabled = p.parse(STUDIO_ENABLED, boolean);
    let prefix = p.parse(STUDIO_PREFIX, parse_prefix);
    Some(StudioSettings { enabled: enabled?, prefix: prefix? })
}

fn parse_prefix(raw: &str) -> Result<String, String> {
    let segment = raw.strip_prefix('/').ok_or("must start with `/`")?;
    let valid = !segment.is_empty()
        && segment.len() <= 32
        && segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid {
        return Err(
            "must be `/` and one segment of 1 to 32 lower-case letters, digits, `-` or `_`".to_owned()
        );
    }
    if matches!(segment, "api" | "docs" | "health" | "metrics" | "openapi.json" | ".well-known") {
        return Err(format!("`/{segment}` is one of Herald's own paths"));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_prefix;

    #[test]
    fn a_prefix_is_one_lower_case_segment_that_is_not_herald_s_own() {
        assert_eq!(parse_prefix("/studio").as_deref(), Ok("/studio"));
        assert_eq!(parse_prefix("/admin_2").as_deref(), Ok("/admin_2"));
        for bad in ["studio", "/", "/Studio", "/a/b", "/studio/", "/api", "/docs", "/x y"] {
            assert!(parse_prefix(bad).is_err(), "{bad} must be refused");
        }
    }
}
