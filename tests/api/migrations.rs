//! The SQLite and PostgreSQL migration folders must never diverge.

use std::collections::BTreeSet;

#[test]
fn both_backends_have_the_same_migration_versions_and_names() {
    let [sqlite, postgres] = herald::store::migrate::embedded();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres differ");
}

#[test]
fn the_migration_folders_hold_the_same_file_names() {
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
