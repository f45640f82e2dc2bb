//! The test harness: a Herald spawned in-process on port 0 over a fresh
//! database (a SQLite temp file, or a PostgreSQL database created for the
//! test and dropped afterwards), driven over real HTTP.

use std::sync::Once;

use axum::Router;
use std::sync::Arc;

use herald::app::{App, AppOptions, AppState};
use herald::clock::ManualClock;
use herald::config::{Settings, Sources};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) const POSTGRES_URL_VAR: &str = "HERALD_TEST_POSTGRES_URL";

/// Expands one test body into a `sqlite` and a `postgres` test. The PostgreSQL
/// one is compiled as ignored ("skipped: set HERALD_TEST_POSTGRES_URL") unless
/// the URL or `HERALD_TEST_REQUIRE_SERVICES=1` is set (see `build.rs`).
macro_rules! both_backends {
    ($(#[$meta:meta])* $name:ident, |$backend:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $backend = $crate::helpers::Backend::Sqlite;
                $body
            }

            #[tokio::test]
            #[cfg_attr(not(herald_test_postgres), ignore = "skipped: set HERALD_TEST_POSTGRES_URL")]
            async fn postgres() {
                let $backend = $crate::helpers::Backend::Postgres;
                $body
            }
        }
    };
}
pub(crate) use both_backends;

static TRACING: Once = Once::new();

/// `TEST_LOG=1` shows the server's logs while a test runs.
fn init_logs() {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let settings = herald::config::LogSettings {
                filter: "debug,sqlx=warn,hyper=info".to_owned(),
                format: herald::config::LogFormat::Pretty,
                otlp: None,
            };
            let _no_traces = herald::telemetry::logging::init(&settings);
        }
    });
}

/// An HTTP client for tests (with the TLS provider the crate uses installed).
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    herald::tls::install_crypto_provider();
    reqwest::Client::builder()
}

pub(crate) struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// The separate metrics listener, when `metrics_listen` is set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The database URL this server uses (to start a second instance on it).
    pub db_url: String,
    pub shutdown: CancellationToken,
    pub server: Option<JoinHandle<anyhow::Result<()>>>,
    // Dropped last: the database outlives the server using it.
    _db: TestDb,
}

/// Builder for a test server: backend, extra env-style settings, extra routes.
pub(crate) struct Spawn {
    backend: Backend,
    settings: Vec<(&'static str, String)>,
    routes: Option<Router<AppState>>,
    clock: Option<Arc<ManualClock>>,
    /// Appended to the test database's URL (e.g. `?sslmode=require`).
    db_url_suffix: String,
}

impl Spawn {
    /// A server with cheap argon2 parameters (hashing cost is not under test
    /// here, and debug builds make the real ones slow).
    pub(crate) fn new(backend: Backend) -> Spawn {
        Spawn { backend, settings: Vec::new(), routes: None, clock: None, db_url_suffix: String::new() }
            .setting("argon2_memory_kib", 64)
            .setting("argon2_iterations", 1)
    }

    /// Uses a clock the test moves by hand.
    pub(crate) fn clock(mut self, clock: Arc<ManualClock>) -> Spawn {
        self.clock = Some(clock);
        self
    }

    /// Sets a configuration key as `herald.toml` would.
    pub(crate) fn setting(mut self, key: &'static str, value: impl ToString) -> Spawn {
        self.settings.push((key, value.to_string()));
        self
    }

    /// Connects with extra URL parameters, e.g. `?sslmode=require`.
    pub(crate) fn db_url_suffix(mut self, suffix: &str) -> Spawn {
        self.db_url_suffix = suffix.to_owned();
        self
    }

    pub(crate) fn routes(mut self, routes: Router<AppState>) -> Spawn {
        self.routes = Some(routes);
        self
    }

    pub(crate) async fn start(self) -> TestApp {
        init_logs();
        let db = TestDb::create(self.backend).await;
        let mut sources = Sources::default();
        sources.flags.push(("listen", "127.0.0.1:0".to_owned(), "test"));
        sources.flags.push(("database_url", format!("{}{}", db.url(), self.db_url_suffix), "test"));
        for (key, value) in self.settings {
            sources.flags.push((key, value, "test"));
        }
        let (settings, _) = Settings::load(&sources).expect("test settings are valid");
        let mut options = AppOptions { routes: self.routes, ..AppOptions::default() };
        if let Some(clock) = self.clock {
            options.clock = clock;
        }
        let db_url = db.url();
        let app = App::build_with(settings, options).await.expect("app builds");
        let addr = app.local_addr().expect("bound address");
        let metrics_addr = app.metrics_addr();
        let state = app.state().clone();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        TestApp {
            base: format!("http://{addr}"),
            client: client_builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            state,
            metrics_addr,
            db_url,
            shutdown,
            server: Some(server),
            _db: db,
        }
    }
}

impl TestApp {
    pub(crate) async fn spawn(backend: Backend) -> TestApp {
        Spawn::new(backend).start().await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// Stops the server and waits for it to finish draining.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(handle) => handle.await?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A fresh database for one test.
enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String, url: String },
}

impl TestDb {
    async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::Sqlite(tempfile::tempdir().expect("temp dir")),
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
                    panic!(
                        "{POSTGRES_URL_VAR} must be set: HERALD_TEST_REQUIRE_SERVICES=1 requires PostgreSQL"
                    )
                });
                let name = format!("herald_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = connect_admin(&admin_url).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                TestDb::Postgres { admin_url, name, url }
            }
        }
    }

    fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite:{}", dir.path().join("herald.db").display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { admin_url, name, .. } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a short-lived runtime on its own thread does the clean-up.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let mut admin = connect_admin(&admin_url).await;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.map(|_| ())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.url());
        }
    }
}

async fn connect_admin(admin_url: &str) -> sqlx::PgConnection {
    use sqlx::Connection as _;
    sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {POSTGRES_URL_VAR}: {err}"))
}

/// `postgres://u@h:5432/postgres?x=y` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("postgres URL has a scheme");
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, format!("?{query}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

/// The JSON body of a problem response, after checking it is one.
pub(crate) async fn problem(response: reqwest::Response) -> serde_json::Value {
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json", "not a problem response");
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id header on every response");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "problem status matches HTTP status: {body}");
    assert_eq!(body["request_id"], request_id.as_str(), "problem carries the request id: {body}");
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("urn:herald:problem:")), "{body}");
    assert!(body["title"].is_string(), "{body}");
    body
}

/// The password every test user gets.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A signed-in test user.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: i64,
}

impl Session {
    fn from_body(body: &serde_json::Value) -> Session {
        Session {
            access: body["access_token"].as_str().expect("access_token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh_token").to_owned(),
            user_id: body["user"]["id"].as_i64().expect("user.id"),
        }
    }
}

impl TestApp {
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }

    pub(crate) async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(&body).send().await.expect("request sent")
    }

    /// Registers `username` (e-mail `<username>@example.com`) through the API.
    pub(crate) async fn register(&self, username: &str) -> Session {
        let body = serde_json::json!({
            "email": format!("{username}@example.com"),
            "username": username,
            "password": PASSWORD,
        });
        let response = self.post_json("/api/v1/auth/register", body).await;
        assert_eq!(response.status(), 201, "registering {username}");
        Session::from_body(&response.json().await.expect("session JSON"))
    }

    pub(crate) async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post_json("/api/v1/auth/login", serde_json::json!({"login": login, "password": password})).await
    }

    pub(crate) async fn login_ok(&self, login: &str) -> Session {
        let response = self.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "logging in as {login}");
        Session::from_body(&response.json().await.expect("session JSON"))
    }

    /// Creates a user with `role` the way an operator would (CLI/admin path)
    /// and signs them in.
    pub(crate) async fn user_with_role(&self, username: &str, role: herald::domain::Role) -> Session {
        let input = herald::service::accounts::Registration {
            email: Some(format!("{username}@example.com")),
            username: Some(username.to_owned()),
            password: Some(PASSWORD.to_owned()),
            display_name: None,
        };
        herald::service::accounts::create_account(
            &self.state.services,
            &herald::service::Actor::system(),
            &input,
            role,
        )
        .await
        .expect("account created");
        self.login_ok(username).await
    }

    /// Runs one statement on the test's database behind the server's back
    /// (to stage what a crash would leave).
    pub(crate) async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.state.services.db {
            herald::store::Db::Sqlite { write, .. } => {
                sqlx::query(sql).execute(&mut **write.get().await.unwrap()).await.map(|_| ()).unwrap();
            }
            herald::store::Db::Postgres(pool) => {
                sqlx::query(sql).execute(&mut **pool.get().await.unwrap()).await.map(|_| ()).unwrap();
            }
        }
    }

    /// Waits (up to 20 s) until the outbox holds no undispatched event.
    pub(crate) async fn all_dispatched(&self) {
        for _ in 0..400 {
            if self.count("event WHERE dispatched_at IS NULL").await == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("events stayed undispatched");
    }

    pub(crate) async fn count(&self, table: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        match &self.state.services.db {
            herald::store::Db::Sqlite { read, .. } => {
                sqlx::query_scalar(sql).fetch_one(&mut **read.get().await.unwrap()).await.unwrap()
            }
            herald::store::Db::Postgres(pool) => {
                sqlx::query_scalar(sql).fetch_one(&mut **pool.get().await.unwrap()).await.unwrap()
            }
        }
    }
}

impl TestApp {
    /// Creates a post through the API as `author`; returns its JSON.
    pub(crate) async fn create_post(&self, author: &Session, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .request(reqwest::Method::POST, "/api/v1/posts", &author.access)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "creating {body}");
        response.json().await.unwrap()
    }

    /// A published post titled `title` by `author`.
    pub(crate) async fn publish_post(
        &self,
        author: &Session,
        title: &str,
        tags: &[&str],
    ) -> serde_json::Value {
        self.create_post(
            author,
            serde_json::json!({"title": title, "body": format!("Body of {title}"), "tags": tags, "publish": true}),
        )
        .await
    }

    /// Reads post `id` as `who` until its analysis has been stored by the
    /// background job (at most five seconds).
    pub(crate) async fn analysed_post(&self, id: &serde_json::Value, who: &Session) -> serde_json::Value {
        for _ in 0..100 {
            let (status, post) = self.get_as(&format!("/api/v1/posts/{id}"), Some(who)).await;
            assert_eq!(status, 200);
            if post["analysis_status"] == "done" {
                return post;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("post {id} was never analysed");
    }

    /// GET as an optional user, returning status and JSON body.
    pub(crate) async fn get_as(&self, path: &str, who: Option<&Session>) -> (u16, serde_json::Value) {
        let mut request = self.client.get(self.url(path));
        if let Some(session) = who {
            request = request.bearer_auth(&session.access);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }
}
