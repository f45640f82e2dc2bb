//! Opaque secrets (refresh tokens, API keys): 256 random bits, shown once,
//! stored only as a SHA-256 digest. A fast hash is right here because the
//! secret itself has full entropy; argon2 is for human-chosen passwords.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// Prefix that makes Herald API keys recognisable (secret scanners, logs).
pub const API_KEY_PREFIX: &str = "hk_";
/// Characters of an API key kept in clear to identify it in listings.
pub const API_KEY_SHOWN_CHARS: usize = 11;

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh 256-bit secret, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    encode(&bytes)
}

/// A new API key: `hk_` followed by a 256-bit secret.
pub fn random_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_token())
}

/// The displayable start of an API key, e.g. `hk_Ab3dE6gH`.
pub fn api_key_prefix(key: &str) -> String {
    key.chars().take(API_KEY_SHOWN_CHARS).collect()
}

/// Hex SHA-256 digest: what the database stores instead of the secret.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_unique_and_stored_as_digests() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64");
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn api_keys_are_recognisable_and_shown_by_prefix_only() {
        let key = random_api_key();
        assert!(key.starts_with("hk_"));
        assert_eq!(api_key_prefix(&key).len(), 11);
        assert!(key.starts_with(&api_key_prefix(&key)));
    }
}
