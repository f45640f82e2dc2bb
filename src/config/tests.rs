#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Sources {
    Sources {
        env: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        ..Sources::default()
    }
}

fn file_with(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    file
}

#[test]
fn with_nothing_configured_herald_serves_sqlite_on_localhost_8080() {
    let (settings, _) = Settings::load(&Sources::default()).unwrap();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    match settings.database.backend {
        DbBackend::Sqlite { path } => assert_eq!(path, PathBuf::from("./data/herald.db")),
        other => panic!("expected sqlite, got {other:?}"),
    }
    assert!(settings.redis_url.is_none());
}

#[test]
fn the_pool_is_two_readers_per_core_on_sqlite_ten_on_postgresql_unless_set() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let (sqlite, _) = Settings::load(&Sources::default()).unwrap();
    assert_eq!(sqlite.database.max_connections as usize, 2 * cores);
    let (postgres, _) =
        Settings::load(&env(&[("HERALD_DATABASE_URL", "postgres://herald@localhost/herald")])).unwrap();
    assert_eq!(postgres.database.max_connections, 10);
    let (set, _) = Settings::load(&env(&[("HERALD_DATABASE_MAX_CONNECTIONS", "7")])).unwrap();
    assert_eq!(set.database.max_connections, 7, "a configured size is kept");
}

#[test]
fn herald_env_beats_conventional_env_which_beats_the_file() {
    let file = file_with("database_url = \"sqlite:from-file.db\"\nlisten = \"127.0.0.1:9000\"\n");
    let mut sources = env(&[("DATABASE_URL", "sqlite:conventional.db")]);
    sources.explicit_file = Some(file.path().to_path_buf());
    let (settings, resolved) = Settings::load(&sources).unwrap();
    assert!(
        matches!(settings.database.backend, DbBackend::Sqlite { ref path } if path == &PathBuf::from("conventional.db"))
    );
    assert_eq!(settings.listen.port(), 9000, "file value kept when env is silent");
    assert_eq!(resolved.get("database_url").unwrap().1, &Origin::Env("DATABASE_URL"));

    sources.env.insert("HERALD_DATABASE_URL".into(), "sqlite:herald.db".into());
    let (settings, _) = Settings::load(&sources).unwrap();
    assert!(
        matches!(settings.database.backend, DbBackend::Sqlite { ref path } if path == &PathBuf::from("herald.db"))
    );
}

#[test]
fn a_flag_beats_every_other_layer() {
    let mut sources = env(&[("HERALD_LISTEN", "127.0.0.1:1")]);
    sources.flags.push(("listen", "127.0.0.1:2".into(), "--listen"));
    let (settings, _) = Settings::load(&sources).unwrap();
    assert_eq!(settings.listen.port(), 2);
}

#[test]
fn every_problem_is_reported_at_once_each_naming_its_setting() {
    let file = file_with("listen = \"0.0.0.0:abc\"\ncolour = \"blue\"\n");
    let mut sources = env(&[
        ("HERALD_DATABASE_URL", "mysql://root@localhost/herald"),
        ("HERALD_LOG_FORMAT", "xml"),
        ("HERALD_DATABASE_MAX_CONNECTIONS", "0"),
    ]);
    sources.explicit_file = Some(file.path().to_path_buf());
    let errors = Settings::load(&sources).unwrap_err().0;
    let expect = [
        ("listen:", "0.0.0.0:abc"),
        ("config file", "unknown key `colour`"),
        ("database_url:", "unsupported scheme `mysql`"),
        ("log_format:", "auto, json, pretty"),
        ("database_max_connections:", "from 1 to 1000"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for (prefix, fragment) in expect {
        assert!(
            errors.iter().any(|e| e.starts_with(prefix) && e.contains(fragment)),
            "no problem starting {prefix:?} containing {fragment:?} in {errors:#?}"
        );
    }
}

#[test]
fn a_malformed_file_is_reported_with_its_position_and_env_problems_still_show() {
    let file = file_with("listen = \n");
    let mut sources = env(&[("HERALD_LISTEN", "nope")]);
    sources.explicit_file = Some(file.path().to_path_buf());
    let errors = Settings::load(&sources).unwrap_err().0;
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("not valid TOML at line 1"), "{errors:#?}");
    assert!(errors[1].starts_with("listen:"), "{errors:#?}");
}

#[test]
fn an_explicit_config_file_must_exist_but_the_default_one_may_be_absent() {
    let missing = PathBuf::from("/nonexistent/herald.toml");
    let sources = Sources { explicit_file: Some(missing.clone()), ..Sources::default() };
    let errors = Settings::load(&sources).unwrap_err().0;
    assert!(errors[0].contains("cannot read"), "{errors:#?}");

    let sources = Sources { default_file: Some(missing), ..Sources::default() };
    assert!(Settings::load(&sources).is_ok());
}

#[test]
fn database_urls_choose_the_backend_and_refuse_anything_else() {
    assert!(matches!(DbBackend::parse("sqlite:x.db"), Ok(DbBackend::Sqlite { .. })));
    assert!(
        matches!(DbBackend::parse("sqlite://./x.db?mode=rwc"), Ok(DbBackend::Sqlite { path }) if path == Path::new("./x.db"))
    );
    assert!(matches!(DbBackend::parse("postgres://u:p@h/db"), Ok(DbBackend::Postgres { .. })));
    assert!(matches!(DbBackend::parse("postgresql://h/db"), Ok(DbBackend::Postgres { .. })));
    for bad in ["", "x.db", "postgre://h/db", "mysql://h/db", "sqlite:", "sqlite::memory:"] {
        assert!(DbBackend::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn secrets_never_appear_in_debug_errors_or_describe() {
    let sources = env(&[
        ("HERALD_DATABASE_URL", "postgres://herald:hunter2@db/herald"),
        ("HERALD_REDIS_URL", "redis://:s3cret@cache:6379"),
    ]);
    let (settings, resolved) = Settings::load(&sources).unwrap();
    let debug = format!("{settings:?}");
    let described = describe(&resolved);
    for text in [&debug, &described] {
        assert!(!text.contains("hunter2") && !text.contains("s3cret"), "{text}");
    }
    assert!(described.contains("postgres://herald:***@db/herald"), "{described}");

    let sources = env(&[("HERALD_REDIS_URL", "http://:s3cret@cache")]);
    let errors = Settings::load(&sources).unwrap_err().0;
    assert!(!errors[0].contains("s3cret"), "{errors:?}");
}

#[test]
fn describe_prints_valid_toml_that_loads_back_to_the_same_settings() {
    let sources = env(&[("HERALD_LISTEN", "127.0.0.1:7777")]);
    let (_, resolved) = Settings::load(&sources).unwrap();
    let text = describe(&resolved);
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(table["listen"].as_str(), Some("127.0.0.1:7777"));
    assert!(text.contains("# env HERALD_LISTEN"), "{text}");
}

#[test]
fn the_openai_provider_needs_a_base_url_and_a_model_and_keeps_its_key_secret() {
    let errors = Settings::load(&env(&[("HERALD_GENERATION_PROVIDER", "openai")])).unwrap_err();
    assert!(
        errors.0.iter().any(|e| e.starts_with("llm_base_url: is required when generation_provider = openai"))
    );
    assert!(errors.0.iter().any(|e| e.starts_with("llm_model: is required")));

    let bad = env(&[
        ("HERALD_LLM_BASE_URL", "ftp://x"),
        ("HERALD_LLM_TEMPERATURE", "3"),
        ("HERALD_GENERATION_PROVIDER", "gpt"),
    ]);
    let errors = Settings::load(&bad).unwrap_err();
    for key in ["llm_base_url:", "llm_temperature:", "generation_provider:"] {
        assert!(errors.0.iter().any(|e| e.starts_with(key)), "{key} in {errors}");
    }

    let (settings, _) = Settings::load(&env(&[
        ("HERALD_GENERATION_PROVIDER", "openai"),
        ("HERALD_LLM_BASE_URL", "http://127.0.0.1:11434/v1/"),
        ("HERALD_LLM_MODEL", "llama3.1"),
        ("HERALD_LLM_API_KEY", "sk-very-secret"),
    ]))
    .unwrap();
    let llm = settings.content.llm.as_ref().unwrap();
    assert_eq!((llm.base_url.as_str(), llm.model.as_str()), ("http://127.0.0.1:11434/v1", "llama3.1"));
    assert!(!format!("{settings:?}").contains("sk-very-secret"));
}
