//! Redis over TLS (`rediss://`): the shared cache reaches a TLS-only
//! redis-server whose certificate a private CA signed, trusting it through
//! the system roots (`SSL_CERT_FILE`, read by the same rustls stack as
//! PostgreSQL's TLS), and refuses the same server when the CA is not trusted.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl").args(args).current_dir(dir).stderr(Stdio::null()).status();
    assert!(status.expect("openssl is installed").success(), "openssl {args:?}");
}

/// A CA, and a certificate it signed for localhost.
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=Herald test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ];
    ca.extend(ec);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"];
    csr.extend(ec);
    openssl(dir, &csr);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}

fn redis_with_tls_only(dir: &Path, port: u16) -> Running {
    let child = Command::new("redis-server")
        .args(["--port", "0", "--tls-port", &port.to_string()])
        .args([
            "--tls-cert-file",
            "server.pem",
            "--tls-key-file",
            "server.key",
            "--tls-ca-cert-file",
            "ca.pem",
        ])
        .args(["--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is installed (as .ci/run requires)");
    Running(child)
}

fn herald(dir: &Path, name: &str, redis_port: u16, trust_ca: bool) -> (Running, String) {
    let port = free_port();
    let mut cmd = crate::cli::herald(dir);
    cmd.arg("serve")
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_DATABASE_URL", format!("sqlite:{}", dir.join(format!("{name}.db")).display()))
        .env("HERALD_REDIS_URL", format!("rediss://localhost:{redis_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if trust_ca {
        cmd.env("SSL_CERT_FILE", dir.join("ca.pem"));
    }
    (Running(cmd.spawn().unwrap()), format!("http://127.0.0.1:{port}"))
}

/// The readiness report's Redis check, once the server answers.
async fn redis_check(base: &str) -> Value {
    let client = crate::helpers::client_builder().build().unwrap();
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await {
            let body: Value = response.json().await.unwrap();
            if body["checks"]["redis"]["status"] == "up" || body["checks"]["redis"]["status"] == "degraded" {
                return body["checks"]["redis"].clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} never reported on Redis");
}

#[tokio::test]
#[cfg_attr(not(herald_test_redis), ignore = "skipped: set HERALD_TEST_REDIS_URL")]
async fn the_shared_cache_reaches_redis_over_tls_and_refuses_an_untrusted_certificate() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let redis_port = free_port();
    let _redis = redis_with_tls_only(dir.path(), redis_port);

    let (_trusting, base) = herald(dir.path(), "trusting", redis_port, true);
    let check = redis_check(&base).await;
    assert_eq!(check["status"], "up", "rediss:// with the CA trusted: {check}");
    // A cached read goes through the TLS connection (the entry lands in Redis).
    let client = crate::helpers::client_builder().build().unwrap();
    for _ in 0..2 {
        assert_eq!(client.get(format!("{base}/api/tags")).send().await.unwrap().status(), 200);
    }

    let (_doubting, base) = herald(dir.path(), "doubting", redis_port, false);
    let check = redis_check(&base).await;
    assert_eq!(check["status"], "degraded", "an unknown CA is not trusted: {check}");
    assert_eq!(
        client.get(format!("{base}/api/tags")).send().await.unwrap().status(),
        200,
        "serving without it"
    );
}
