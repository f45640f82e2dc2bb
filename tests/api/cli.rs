//! The `herald` binary as an operator uses it: configuration errors, the
//! embedded default, `migrate`, `config`, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) fn herald(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    // A clean environment: only what each test sets counts.
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).current_dir(dir);
    cmd
}

#[test]
fn invalid_configuration_exits_2_naming_every_problem_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("herald.toml"), "listen = \"0.0.0.0:abc\"\nfavourite_colour = \"red\"\n")
        .unwrap();
    let output = herald(dir.path())
        .env("HERALD_DATABASE_URL", "mysql://root:pw@localhost/herald")
        .env("HERALD_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "listen:",
        "unknown key `favourite_colour`",
        "database_url:",
        "unsupported scheme `mysql`",
        "log_format:",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("pw@"), "the password leaked:\n{stderr}");
    assert!(!dir.path().join("data").exists(), "nothing may be created when the configuration is invalid");
}

#[test]
fn a_malformed_config_file_exits_2_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("custom.toml");
    std::fs::write(&file, "listen = [\n").unwrap();
    let output = herald(dir.path()).arg("--config").arg(&file).arg("config").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("custom.toml: not valid TOML at line"), "{stderr}");
}

#[test]
fn config_prints_the_effective_settings_with_sources_and_redacted_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let output = herald(dir.path())
        .env("DATABASE_URL", "postgres://herald:hunter2@db.internal/herald")
        .env("HERALD_LISTEN", "0.0.0.0:9999")
        .arg("config")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("listen = \"0.0.0.0:9999\"  # env HERALD_LISTEN"), "{stdout}");
    assert!(stdout.contains("postgres://herald:***@db.internal/herald"), "{stdout}");
    assert!(stdout.contains("request_timeout_secs = \"30\"  # default"), "{stdout}");
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn with_no_configuration_the_defaults_are_localhost_8080_and_an_embedded_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = herald(dir.path()).arg("config").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("listen = \"127.0.0.1:8080\"  # default"), "{stdout}");
    assert!(stdout.contains("database_url = \"sqlite:./data/herald.db\"  # default"), "{stdout}");
}

#[test]
fn help_describes_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = herald(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "config", "--listen", "--config"] {
        assert!(help.contains(command), "{command} missing from --help:\n{help}");
    }
    let output = herald(dir.path()).args(["migrate", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("Apply pending database migrations"));
}

#[test]
fn migrate_applies_pending_migrations_once_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = herald(dir.path()).arg("migrate").output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("applied 20261127000001 instance settings"), "{stdout}");
    assert!(dir.path().join("data/herald.db").exists());

    let second = herald(dir.path()).arg("migrate").output().unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("database is up to date (sqlite)"));
}

/// `herald serve` on a free port of the loopback, its log on a pipe.
fn serve_on_any_port(dir: &Path) -> Child {
    herald(dir)
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for the "herald is serving" log line and returns the bound address;
/// the remaining log lines keep being collected in the background.
pub(crate) fn wait_until_serving(child: &mut Child) -> (String, std::sync::mpsc::Receiver<String>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("herald started within 60 s");
        let log: serde_json::Value =
            serde_json::from_str(&line).expect("log lines are JSON when not on a terminal");
        if log["fields"]["message"] == "herald is serving" {
            return (log["fields"]["addr"].as_str().unwrap().to_owned(), rx);
        }
    }
}

#[test]
fn serve_on_the_embedded_default_is_ready_logs_request_ids_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_on_any_port(dir.path());
    let (addr, logs) = wait_until_serving(&mut child);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = runtime.block_on(async {
        let response = crate::helpers::client_builder()
            .build()
            .unwrap()
            .get(format!("http://{addr}/health/ready"))
            .header("x-request-id", "cli-test-1")
            .send()
            .await
            .unwrap();
        response.status()
    });
    assert_eq!(status, 200);
    assert!(dir.path().join("data/herald.db").exists(), "the default database file was created");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM leads to a clean exit");

    let lines: Vec<serde_json::Value> =
        logs.try_iter().filter_map(|line| serde_json::from_str(&line).ok()).collect();
    let request_line = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "cli-test-1")
        .unwrap_or_else(|| panic!("no log line carries the request id: {lines:#?}"));
    assert_eq!(request_line["span"]["route"], "/health/ready");
    assert_eq!(request_line["fields"]["status"], 200);
    assert_eq!(request_line["fields"]["method"], "GET");
    assert!(request_line["fields"]["bytes"].as_u64().is_some_and(|b| b > 0), "{request_line}");
    assert!(request_line["fields"]["latency_ms"].as_f64().is_some(), "{request_line}");
}

/// The memory settings of `herald::memory` are made by a constructor the
/// loader runs before `main`; the served process shows them.
#[cfg(target_os = "linux")]
#[test]
fn the_served_process_runs_without_transparent_huge_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_on_any_port(dir.path());
    wait_until_serving(&mut child);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let line = status.lines().find(|l| l.starts_with("THP_enabled:")).expect("THP_enabled in status");
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
}

fn run_with_stdin(cmd: &mut Command, stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_cli_with_the_password_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let cheap = [("HERALD_ARGON2_MEMORY_KIB", "64"), ("HERALD_ARGON2_ITERATIONS", "1")];
    let admin = |args: &[&str]| {
        let mut cmd = herald(dir.path());
        cmd.envs(cheap).arg("admin").args(args);
        cmd
    };
    let created = run_with_stdin(
        &mut admin(&["create-user", "--email", "root@example.com", "--username", "root", "--role", "admin"]),
        "a long admin passphrase\n",
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("with role admin"));

    let weak = run_with_stdin(
        &mut admin(&["create-user", "--email", "x@example.com", "--username", "weak"]),
        "password\n",
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("password:"),
        "{}",
        String::from_utf8_lossy(&weak.stderr)
    );

    let user = run_with_stdin(
        &mut admin(&["create-user", "--email", "ed@example.com", "--username", "eddie", "--role", "author"]),
        "another long passphrase\n",
    );
    assert!(user.status.success());
    let promoted = admin(&["set-role", "--username", "EDDIE", "--role", "editor"]).output().unwrap();
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("eddie now has role editor"));
    let disabled = admin(&["disable", "--username", "eddie"]).output().unwrap();
    assert!(String::from_utf8_lossy(&disabled.stdout).contains("eddie is disabled"));
    let missing = admin(&["disable", "--username", "nobody"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));

    // The accounts are real: the server started on the same database signs the admin in.
    let app = crate::helpers::Spawn::new(crate::helpers::Backend::Sqlite)
        .setting("database_url", format!("sqlite:{}", dir.path().join("data/herald.db").display()))
        .start()
        .await;
    let response = app.login("root", "a long admin passphrase").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(app.login("eddie", "another long passphrase").await.status(), 403, "disabled");
}
