//! Accounts: the parsed forms of what users type when they register or edit
//! their profile, and the roles that decide what they may do.

use std::fmt;

use super::ValidationError;
use super::common_passwords::is_common;

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl $name {
            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

text_newtype!(
    /// A syntactically valid e-mail address, stored lower-cased so that
    /// uniqueness is case-insensitive.
    Email
);
text_newtype!(
    /// 3–32 characters: letters, digits, `_`, `-` and `.`, starting with a
    /// letter or digit. Case is kept for display; uniqueness ignores it.
    Username
);
text_newtype!(
    /// Optional public name shown instead of the username (1–100 characters).
    DisplayName
);
text_newtype!(
    /// Short biography, at most 1,000 characters.
    Bio
);
text_newtype!(
    /// An `http(s)://` URL of at most 2,000 characters.
    AvatarUrl
);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, ValidationError> {
        let value = raw.trim();
        let invalid = |message: &str| ValidationError::new(field, "invalid", message);
        if value.is_empty() {
            return Err(ValidationError::new(field, "required", "an e-mail address is required"));
        }
        if value.len() > 254 {
            return Err(ValidationError::new(field, "too_long", "at most 254 characters"));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(invalid("must look like name@example.com"));
        };
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && value.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if !well_formed {
            return Err(invalid("must look like name@example.com"));
        }
        Ok(Email(value.to_lowercase()))
    }
}

impl Username {
    pub fn parse(field: &str, raw: &str) -> Result<Username, ValidationError> {
        let value = raw.trim();
        let count = value.chars().count();
        if count == 0 {
            return Err(ValidationError::new(field, "required", "a username is required"));
        }
        if !(3..=32).contains(&count) {
            return Err(ValidationError::new(field, "length", "must be 3 to 32 characters long"));
        }
        let allowed = value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let starts_well = value.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !allowed || !starts_well {
            return Err(ValidationError::new(
                field,
                "invalid",
                "use letters, digits, '_', '-' and '.', starting with a letter or digit",
            ));
        }
        Ok(Username(value.to_owned()))
    }
}

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> Result<DisplayName, ValidationError> {
        bounded_text(field, raw, 100).map(DisplayName)
    }
}

impl Bio {
    pub fn parse(field: &str, raw: &str) -> Result<Bio, ValidationError> {
        if raw.chars().count() > 1000 {
            return Err(ValidationError::new(field, "too_long", "at most 1000 characters"));
        }
        Ok(Bio(raw.trim().to_owned()))
    }
}

impl AvatarUrl {
    pub fn parse(field: &str, raw: &str) -> Result<AvatarUrl, ValidationError> {
        let value = raw.trim();
        let has_host = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
        if !has_host || value.len() > 2000 || value.chars().any(char::is_whitespace) {
            return Err(ValidationError::new(field, "invalid", "must be an http(s) URL"));
        }
        Ok(AvatarUrl(value.to_owned()))
    }
}

fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "required", "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ValidationError::new(field, "too_long", format!("at most {max} characters")));
    }
    Ok(value.to_owned())
}

/// A password that meets the policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// 8–128 characters and not one of the most common passwords.
    pub fn parse(field: &str, raw: &str) -> Result<Password, ValidationError> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(ValidationError::new(field, "too_short", "at least 8 characters"));
        }
        if count > Self::MAX_CHARS {
            return Err(ValidationError::new(field, "too_long", "at most 128 characters"));
        }
        if is_common(raw) {
            return Err(ValidationError::new(
                field,
                "too_common",
                "this password is too common; choose another",
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a user may do. Ordered from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads published content.
    Viewer,
    /// Also writes and manages their own content.
    Author,
    /// Also manages everyone's content.
    Editor,
    /// Also manages users, roles and API keys.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Author, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Role, ValidationError> {
        Role::ALL.into_iter().find(|role| role.as_str() == raw).ok_or_else(|| {
            ValidationError::new(field, "invalid", "must be one of viewer, author, editor, admin")
        })
    }

    pub fn can_create_content(self) -> bool {
        self >= Role::Author
    }

    pub fn can_manage_others_content(self) -> bool {
        self >= Role::Editor
    }

    pub fn can_manage_users(self) -> bool {
        self == Role::Admin
    }
}

crate::domain::ids::text_codec!(Role);

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API key may be used for. `admin` implies `write`, which implies `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Scope, ValidationError> {
        match raw {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(ValidationError::new(field, "invalid", "must be one of read, write, admin")),
        }
    }
}

#[cfg(test)]
mod tests;
