//! Typed ids: an account id cannot be passed where a post id is meant.
//! Each is the database's integer key, stored and serialised as a plain
//! number (`sqlx(transparent)`, `serde(transparent)`).

use std::fmt;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> $name {
                $name(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// An account (a user).
    AccountId
);
typed_id!(PostId);
typed_id!(CommentId);
typed_id!(CategoryId);
typed_id!(ApiKeyId);
typed_id!(
    /// A webhook subscription.
    WebhookId
);
typed_id!(
    /// One event's delivery to one webhook subscription.
    DeliveryId
);
typed_id!(
    /// A generation brief that drafts were made from.
    BriefId
);

/// A type stored in a text column.
macro_rules! text_type {
    ($name:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }
    };
}

pub(crate) use text_type;

/// Stores a closed set of names as text: the column holds `as_str()`, and an
/// unknown stored name is a decode error rather than a silent default.
macro_rules! text_codec {
    ($name:ident) => {
        crate::domain::ids::text_type!($name);

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let raw = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::parse(stringify!($name), raw)
                    .map_err(|_| format!("unknown {}: {raw}", stringify!($name)).into())
            }
        }
    };
}

pub(crate) use text_codec;
