//! HTML form bodies (`application/x-www-form-urlencoded`), read as the
//! list of pairs they are: checkboxes repeat a name, which a struct cannot
//! say; each page picks the fields it knows.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

#[derive(Debug, Default)]
pub(super) struct Form(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| (StatusCode::BAD_REQUEST, "The form could not be read.").into_response())?;
        Ok(Form::parse(&bytes))
    }
}

impl Form {
    pub(super) fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The first value of `name`, as sent.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, or `None` when absent or blank.
    pub(super) fn filled(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|value| !value.is_empty())
    }

    /// The first value of `name` as a whole number, if it is one.
    pub(super) fn number(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|value| value.parse().ok())
    }

    /// Every value of `name` (checkboxes), in order.
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(key, _)| key == name).map(|(_, value)| value.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn repeated_names_and_blank_values_read_as_a_person_filled_the_form() {
        let form = Form::parse(b"platforms=x&platforms=blog&title=+Hello%21+&excerpt=++");
        assert_eq!(form.all("platforms"), ["x", "blog"]);
        assert_eq!(form.get("title"), Some(" Hello! "));
        assert_eq!(form.filled("title"), Some("Hello!"));
        assert_eq!(form.filled("excerpt"), None);
        assert_eq!(form.get("missing"), None);
    }
}
