//! A script-less browser for Studio's tests: it keeps cookies, reads the
//! CSRF token off each page and posts forms as the pages would.

use std::collections::BTreeMap;

use herald::domain::Role;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{PASSWORD, TestApp};

/// A browser's view: the cookies it holds and the last page's CSRF token.
pub(crate) struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookies: BTreeMap::new(), csrf: String::new() }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub(crate) fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.text().await.unwrap();
        if let Some(token) = between(&body, "name=\"csrf-token\" content=\"", "\"") {
            self.csrf = token.to_owned();
        }
        (status, body, headers)
    }

    /// Posts a form as the page would, CSRF token included.
    pub(crate) async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let mut all = vec![("_csrf", self.csrf.clone())];
        all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.post_raw(path, &all, &[]).await
    }

    pub(crate) async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut request = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        let location = response.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (response.status(), response.text().await.unwrap(), location)
    }

    pub(crate) async fn sign_in(
        &mut self,
        login: &str,
        password: &str,
    ) -> (StatusCode, String, Option<String>) {
        let (_, form, _) = self.get("/studio/sign-in").await;
        let token = between(&form, "name=\"_csrf\" value=\"", "\"").unwrap().to_owned();
        let fields = [
            ("_csrf", token),
            ("login", login.to_owned()),
            ("password", password.to_owned()),
            ("next", String::new()),
        ];
        self.post_raw("/studio/sign-in", &fields, &[]).await
    }

    pub(crate) async fn signed_in(app: &'a TestApp, username: &str, role: Role) -> Browser<'a> {
        app.user_with_role(username, role).await;
        let mut browser = Browser::new(app);
        let (status, _, location) = browser.sign_in(username, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/studio/posts"));
        let (status, page, _) = browser.get("/studio/posts").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(username));
        browser
    }
}

pub(crate) fn between<'t>(text: &'t str, start: &str, end: &str) -> Option<&'t str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}
