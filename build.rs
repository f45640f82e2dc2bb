//! Turns the optional service-backed test suites on or off at compile time, so
//! `cargo test` lists them as "ignored, skipped: set …" instead of silently
//! passing when the service is not configured. With
//! `HERALD_TEST_REQUIRE_SERVICES=1` they always run, and fail if the service
//! is missing.

fn main() {
    // The commit this binary was built from, for the build-info metric.
    let sha = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned());
    println!("cargo::rustc-env=HERALD_GIT_SHA={sha}");
    println!("cargo::rerun-if-changed=.git/HEAD");
    // sqlx::migrate! embeds the migration folders, but a macro cannot tell
    // cargo to watch them: without this, a new migration alone is not built in.
    println!("cargo::rerun-if-changed=migrations");

    println!("cargo::rustc-check-cfg=cfg(herald_test_postgres)");
    println!("cargo::rustc-check-cfg=cfg(herald_test_redis)");
    println!("cargo::rustc-check-cfg=cfg(herald_test_nats)");
    for var in [
        "HERALD_TEST_POSTGRES_URL",
        "HERALD_TEST_REDIS_URL",
        "HERALD_TEST_NATS_URL",
        "HERALD_TEST_REQUIRE_SERVICES",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let required = std::env::var("HERALD_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
    if required || set("HERALD_TEST_POSTGRES_URL") {
        println!("cargo::rustc-cfg=herald_test_postgres");
    }
    if required || set("HERALD_TEST_REDIS_URL") {
        println!("cargo::rustc-cfg=herald_test_redis");
    }
    if required || set("HERALD_TEST_NATS_URL") {
        println!("cargo::rustc-cfg=herald_test_nats");
    }
}
