//! The README documents every setting (key and environment variables).

#[test]
fn every_setting_is_documented_in_the_readme_with_its_env_vars_and_default() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for def in herald::config::all_settings() {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{}` |", def.key)))
            .unwrap_or_else(|| panic!("README has no configuration row for `{}`", def.key));
        for var in def.env {
            assert!(row.contains(&format!("`{var}`")), "README row for {} lacks {var}", def.key);
        }
        let default = def.default.map_or("unset".to_owned(), |d| format!("`{d}`"));
        assert!(row.contains(&default), "README row for {} lacks its default {default}", def.key);
    }
}
