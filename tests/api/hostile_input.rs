//! Hostile text in every string the API takes, derived from the served
//! OpenAPI document so that a new endpoint is covered the day it is added:
//! each path and query parameter and each string field of each JSON request
//! body (at any depth) gets NUL and other control characters, an RTL
//! override, 5,000 characters, SQL, HTML, template and JNDI injections and
//! emoji, one at a time, as an admin. Whatever Herald answers, it is never
//! a 5xx, never shows internal text, never stores unsanitised HTML and,
//! when it refuses a write, has written nothing.

use serde_json::{Map, Value, json};

use crate::helpers::*;

const HOSTILE: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "\u{1}\u{7}\u{1b}[31m",
    "\u{202e}gnp.exe",
    "' OR 1=1 --",
    "Robert'); DROP TABLE post;--",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "${jndi:ldap://example.com/a}",
    "😀👍🏽 ﷽",
    "%00../../etc/passwd",
];

/// Text no response may show: database, driver or panic internals.
const INTERNAL: &[&str] = &[
    "sqlx",
    "SQLSTATE",
    "rusqlite",
    "panicked",
    "invalid byte sequence",
    "error returned from database",
    "src/",
];

/// Operations not exercised: the live stream never ends, and these would
/// sign the probing admin out (their bodies have no string to probe anyway).
fn skipped(method: &str, path: &str) -> bool {
    path == "/api/v1/events/stream" || (method == "post" && path.starts_with("/api/v1/auth/logout"))
}

/// Where a hostile value goes.
#[derive(Debug, Clone)]
enum Slot {
    Path(String),
    Query(String),
    /// A JSON field: object keys, `None` for an array's item.
    Body(Vec<Option<String>>),
}

impl Slot {
    /// The name an error should give it.
    fn field(&self) -> String {
        match self {
            Slot::Path(name) | Slot::Query(name) => name.clone(),
            Slot::Body(path) => {
                let mut out = String::new();
                for step in path {
                    match step {
                        Some(key) if out.is_empty() => out.push_str(key),
                        Some(key) => out.push_str(&format!(".{key}")),
                        None => out.push_str("[0]"),
                    }
                }
                out
            }
        }
    }
}

/// The OpenAPI document, and whether bodies sampled from it are complete
/// (a create) or carry only the probed field (an update).
struct Doc(Value, std::cell::Cell<bool>);

impl Doc {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.resolve(self.0.pointer(pointer).unwrap_or(&Value::Null))
            }
            None => schema,
        }
    }

    /// The schema's alternatives merged: `allOf` parts, the first non-null
    /// `oneOf`/`anyOf` branch.
    fn parts<'a>(&'a self, schema: &'a Value) -> Vec<&'a Value> {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return all.iter().flat_map(|s| self.parts(s)).collect();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                let branch = branches.iter().find(|b| kind(self.resolve(b)) != "null");
                return branch.map(|b| self.parts(b)).unwrap_or_default();
            }
        }
        vec![schema]
    }

    /// A valid-looking value: required object fields only, plus the chain
    /// leading to `target` (if any), which ends in `hostile`.
    fn sample(&self, schema: &Value, target: Option<&[Option<String>]>, hostile: &str, n: usize) -> Value {
        let parts = self.parts(schema);
        match target.map(<[_]>::split_first) {
            Some(None) => return Value::String(hostile.to_owned()),
            Some(Some((None, rest))) => {
                let items = parts.iter().find_map(|p| p.get("items")).unwrap_or(&Value::Null);
                return Value::Array(vec![self.sample(items, Some(rest), hostile, n)]);
            }
            Some(Some((Some(key), rest))) => {
                let mut object = self.required_fields(&parts, n);
                let property = parts.iter().find_map(|p| p.pointer(&format!("/properties/{key}")));
                object.insert(
                    key.clone(),
                    self.sample(property.unwrap_or(&Value::Null), Some(rest), hostile, n),
                );
                return Value::Object(object);
            }
            None if parts.is_empty() => return json!(format!("probe{n}")),
            None => {}
        }
        let schema = parts[0];
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
            return first.clone();
        }
        match kind(schema).as_str() {
            "object" => Value::Object(self.required_fields(&parts, n)),
            "array" => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                if schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) > 0 {
                    Value::Array(vec![self.sample(items, None, hostile, n)])
                } else {
                    json!([])
                }
            }
            "integer" | "number" => schema.get("minimum").cloned().unwrap_or(json!(1)),
            "boolean" => json!(false),
            _ => match schema.get("format").and_then(Value::as_str) {
                Some("email") => json!(format!("probe{n}@example.com")),
                Some("date-time") => json!("2030-01-01T00:00:00Z"),
                Some("uri" | "url") => json!("https://example.com/hook"),
                _ => json!(format!("probe{n}")),
            },
        }
    }

    /// The fields a valid body has: the schema's required ones, and those
    /// whose names say what a valid value is (the services, not the schemas,
    /// require most fields, to name each missing one in the 422).
    fn required_fields(&self, parts: &[&Value], n: usize) -> Map<String, Value> {
        let mut object = Map::new();
        for part in parts {
            for name in part.get("required").and_then(Value::as_array).into_iter().flatten() {
                let Some(name) = name.as_str() else { continue };
                let property = part.pointer(&format!("/properties/{name}")).unwrap_or(&Value::Null);
                object.insert(name.to_owned(), self.sample(property, None, "", n));
            }
            let complete = self.1.get();
            for name in
                part.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k)
            {
                if !complete {
                    break;
                }
                if let Some(value) = known_valid(name, n) {
                    object.entry(name.clone()).or_insert(value);
                }
            }
        }
        object
    }

    /// Every string leaf under `schema` (depth-limited: schemas may recurse).
    fn string_fields(&self, schema: &Value, at: Vec<Option<String>>, out: &mut Vec<Vec<Option<String>>>) {
        if at.len() > 4 {
            return;
        }
        for part in self.parts(schema) {
            match kind(part).as_str() {
                "string" if part.get("enum").is_none() => out.push(at.clone()),
                "array" => {
                    let mut next = at.clone();
                    next.push(None);
                    self.string_fields(part.get("items").unwrap_or(&Value::Null), next, out);
                }
                _ => {
                    for (key, property) in
                        part.get("properties").and_then(Value::as_object).into_iter().flatten()
                    {
                        let mut next = at.clone();
                        next.push(Some(key.clone()));
                        self.string_fields(property, next, out);
                    }
                }
            }
        }
    }
}

/// A valid value for a field of this name, wherever it appears.
fn known_valid(name: &str, n: usize) -> Option<Value> {
    Some(match name {
        "title" | "topic" | "text" | "body" | "name" | "description" => json!(format!("Probe text {n}")),
        "email" => json!(format!("probe{n}@example.com")),
        "username" => json!(format!("probe{n}")),
        "password" => json!(PASSWORD),
        "login" => json!("warden"),
        "url" => json!("https://example.com/hook"),
        "events" => json!(["*"]),
        "platforms" => json!(["blog"]),
        "scopes" => json!(["read"]),
        _ => return None,
    })
}

/// A schema's type, ignoring `null` in OpenAPI 3.1 type lists.
fn kind(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null").to_owned()
        }
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => String::new(),
    }
}

/// Everything a write could have left behind, in one number.
async fn footprint(app: &TestApp) -> i64 {
    let mut total = 0;
    for table in ["event", "post", "post_revision", "comment", "account", "category", "webhook", "api_key"] {
        total += app.count(table).await;
    }
    total
}

/// Every `…html` field of a response, at any depth.
fn html_fields<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (key, item) in fields {
                match item {
                    Value::String(html) if key.ends_with("html") || key.ends_with("Html") => out.push(html),
                    _ => html_fields(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| html_fields(item, out)),
        _ => {}
    }
}

fn named_fields(body: &Value) -> Vec<String> {
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        return errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect();
    }
    body.get("errors").and_then(Value::as_object).map(|e| e.keys().cloned().collect()).unwrap_or_default()
}

both_backends!(hostile_text_in_any_parameter_or_field_is_refused_or_stored_safely, |backend| {
    let app = Spawn::new(backend)
        .setting("rate_limit_read_per_minute", 1_000_000)
        .setting("rate_limit_write_per_minute", 1_000_000)
        .setting("rate_limit_auth_per_minute", 1_000_000)
        .start()
        .await;
    let admin = app.user_with_role("warden", herald::domain::Role::Admin).await;
    let post =
        app.create_post(&admin, json!({"title": "Target post", "body": "Some text", "tags": ["t"]})).await;
    let slug = post["slug"].as_str().unwrap().to_owned();
    let post_id = post["id"].as_i64().unwrap();
    let comment = app
        .request(reqwest::Method::POST, &format!("/api/v1/posts/{post_id}/comments"), &admin.access)
        .json(&json!({"body": "a comment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), 201);

    let doc = Doc(app.get("/openapi.json").await.json().await.unwrap(), std::cell::Cell::new(true));
    let paths = doc.0["paths"].as_object().unwrap().clone();
    let (mut requests, mut refused_controls) = (0, 0);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut html_checked = 0;
    for (template, item) in &paths {
        for (method, operation) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                || skipped(method, template)
            {
                continue;
            }
            let params: Vec<Value> = operation["parameters"].as_array().cloned().unwrap_or_default();
            let body_schema = operation.pointer("/requestBody/content/application~1json/schema");
            doc.1.set(method == "post");
            let mut slots: Vec<Slot> = Vec::new();
            for param in &params {
                let name = param["name"].as_str().unwrap().to_owned();
                match param["in"].as_str() {
                    Some("path") => slots.push(Slot::Path(name)),
                    Some("query") => slots.push(Slot::Query(name)),
                    _ => {}
                }
            }
            // A DELETE is probed through its path only: with valid values
            // elsewhere it would delete the fixtures the other probes use.
            if let (Some(schema), false) = (body_schema, method == "delete") {
                let mut fields = Vec::new();
                doc.string_fields(schema, Vec::new(), &mut fields);
                // Changing the admin's own password would sign the probe out.
                fields.retain(|f| !(method != "post" && f.iter().flatten().any(|k| k.contains("password"))));
                slots.extend(fields.into_iter().map(Slot::Body));
            }
            for slot in &slots {
                for (i, hostile) in HOSTILE.iter().chain([&"x".repeat(5000).as_str()]).enumerate() {
                    requests += 1;
                    let n = requests * 100 + i;
                    let mut path = template.clone();
                    for param in &params {
                        if param["in"] != "path" {
                            continue;
                        }
                        let name = param["name"].as_str().unwrap();
                        let value = match slot {
                            Slot::Path(target) if target == name => (*hostile).to_owned(),
                            _ if name == "slug" => slug.clone(),
                            _ if name == "username" => "warden".to_owned(),
                            _ if kind(doc.resolve(&param["schema"])) == "string" => format!("probe{n}"),
                            _ => post_id.to_string(),
                        };
                        let encoded =
                            percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC);
                        path = path.replace(&format!("{{{name}}}"), &encoded.to_string());
                    }
                    let method_kind = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    let mut request = app.request(method_kind, &path, &admin.access);
                    if let Slot::Query(name) = slot {
                        request = request.query(&[(name.as_str(), *hostile)]);
                    }
                    if let Some(schema) = body_schema {
                        let target = match slot {
                            Slot::Body(at) => Some(at.as_slice()),
                            _ => None,
                        };
                        request = request.json(&doc.sample(schema, target, hostile, n));
                    }
                    let before = if method == "get" { 0 } else { footprint(&app).await };
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    *statuses.entry(status).or_default() += 1;
                    let text = response.text().await.unwrap();
                    if std::env::var("PROBE_LOG").is_ok() {
                        eprintln!(
                            "PROBE {} {template} {slot:?} {status} {}",
                            method,
                            text.chars().take(200).collect::<String>()
                        );
                    }
                    let context =
                        format!("{} {path} {slot:?} = {hostile:?} -> {status}", method.to_uppercase());
                    assert!(status < 500, "{context}: {text}");
                    for marker in INTERNAL {
                        assert!(!text.contains(marker), "{context} shows {marker:?}: {text}");
                    }
                    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if status < 300 {
                        let mut htmls = Vec::new();
                        html_fields(&body, &mut htmls);
                        html_checked += htmls.len();
                        for html in htmls {
                            assert!(
                                !html.contains("<script") && !html.contains("onerror"),
                                "{context} stored unsanitised HTML: {html}"
                            );
                        }
                    } else if method != "get" {
                        assert_eq!(footprint(&app).await, before, "{context} wrote something: {text}");
                    }
                    let control = hostile.chars().any(char::is_control);
                    if control && !matches!(slot, Slot::Path(_)) {
                        refused_controls += 1;
                        assert!(matches!(status, 400 | 404 | 422), "{context}: {text}");
                        if status == 422 {
                            let named = named_fields(&body);
                            assert!(named.contains(&slot.field()), "{context} names {named:?}: {text}");
                        }
                    } else if control {
                        assert!(matches!(status, 400 | 404 | 422), "{context}: {text}");
                    }
                }
            }
        }
    }
    eprintln!("{requests} probes, statuses {statuses:?}, {html_checked} HTML fields checked");
    assert!(requests > 1000, "only {requests} probes: is the OpenAPI document read right?");
    assert!(statuses.range(200..300).map(|(_, n)| n).sum::<usize>() > 300, "too few probes were accepted");
    assert!(html_checked > 40, "too little stored HTML was seen");
    assert!(refused_controls > 300, "only {refused_controls} control-character probes");
});

both_backends!(control_characters_are_refused_with_the_field_named_on_both_surfaces, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("plain").await;
    let before = app.count("account").await;

    let login =
        app.post_json("/api/users/login", json!({"user": {"email": "a\u{0}@x.io", "password": "p"}})).await;
    assert_eq!(login.status(), 422);
    assert_eq!(
        login.json::<Value>().await.unwrap()["errors"]["user.email"][0],
        "must not contain control characters (such as NUL)"
    );

    let v1 = app.post_json("/api/v1/auth/login", json!({"login": "plain\u{0}", "password": PASSWORD})).await;
    assert_eq!(v1.status(), 422);
    assert_eq!(problem(v1).await["errors"][0]["field"], "login");

    let bio = app
        .client
        .put(app.url("/api/user"))
        .header("authorization", format!("Token {}", author.access))
        .json(&json!({"user": {"bio": "line one\r\n\tline two \u{1b}[2J"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bio.status(), 422);
    assert!(bio.json::<Value>().await.unwrap()["errors"]["user.bio"].is_array());
    let kept = app
        .client
        .put(app.url("/api/user"))
        .header("authorization", format!("Token {}", author.access))
        .json(&json!({"user": {"bio": "line one\r\n\tline two"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200, "tabs and line breaks are text");
    assert_eq!(kept.json::<Value>().await.unwrap()["user"]["bio"], "line one\r\n\tline two");

    for path in [
        "/api/articles?tag=a%00",
        "/api/articles?author=%00",
        "/api/articles?favorited=x%00",
        "/api/v1/posts?q=a%00b",
        "/api/v1/posts?tag=%00",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 422, "{path}");
    }
    for path in [
        "/api/profiles/plain%00",
        "/api/articles/some%00slug",
        "/api/v1/posts/by-slug/a%00b",
        "/api/v1/posts/1%00",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    let named = problem(app.get("/api/v1/posts?q=a%00b").await).await;
    assert_eq!(named["errors"][0]["field"], "q");

    // An escaped lone surrogate cannot become a Rust string: malformed JSON.
    let surrogate = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"login": "\ud800", "password": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(surrogate.status(), 400);
    // A field the target type would skip cannot smuggle one past the check.
    let smuggled = app
        .client
        .post(app.url("/api/users/login"))
        .header("content-type", "application/json")
        .body(r#"{"user": {"email": "a\u0000@x.io", "password": "p", "z": 1e400}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(smuggled.status(), 400);
    assert_eq!(problem(surrogate).await["type"], "urn:herald:problem:malformed_json");
    assert_eq!(app.count("account").await, before);
});
