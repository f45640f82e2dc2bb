//! argon2id password hashing, run on the blocking pool so a login never
//! stalls the async workers, at most one hash per core at a time
//! (`blocking::Bounded`): each holds `memory_kib` (7 MiB by default), so a
//! burst of logins queues instead of multiplying memory (and blocking
//! threads) by its size.

use std::sync::Arc;

use anyhow::Context as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::blocking::Bounded;
use crate::domain::Password;

/// argon2id parameters. The defaults are the smallest-memory row of OWASP's
/// equally strong set (7 MiB, 5 passes, 1 lane; the same work as 19 MiB
/// with 2 passes): a server's peak memory includes one work area per core
/// plus the dummy hash made at start. Stored hashes carry their own
/// parameters, so changing these never locks anyone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A real hash of a random password, verified against when the account
    /// does not exist so that unknown users cost the same time as wrong
    /// passwords and cannot be told apart.
    dummy_hash: Arc<String>,
    /// One hash per core at a time: hashes beyond that wait their turn.
    running: Bounded,
}

impl PasswordHasher {
    pub fn new(params: HashParams) -> anyhow::Result<PasswordHasher> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|err| anyhow::anyhow!("invalid argon2 parameters: {err}"))?;
        let mut random = [0u8; 24];
        rand::fill(&mut random);
        let dummy = hash_with(&params, &super::secrets::encode(&random))?;
        Ok(PasswordHasher { params, dummy_hash: Arc::new(dummy), running: Bounded::per_core(1) })
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        self.running
            .run(move || hash_with(&params, &password))
            .await
            .context("password hashing task failed")?
    }

    /// Checks `candidate` against `stored`, or against the dummy hash when
    /// there is no stored hash; `false` in that case whatever the candidate.
    pub async fn verify(&self, candidate: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let candidate = candidate.to_owned();
        let matches = self
            .running
            .run(move || {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|err| anyhow::anyhow!("stored hash unreadable: {err}"))?;
                Ok::<_, anyhow::Error>(
                    Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok(),
                )
            })
            .await
            .context("password verification task failed")??;
        Ok(exists && matches)
    }
}

fn hash_with(params: &Params, password: &str) -> anyhow::Result<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("argon2 hashing failed: {err}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(HashParams { memory_kib: 1024, iterations: 1, parallelism: 1 })
            .expect("valid parameters")
    }

    #[tokio::test]
    async fn a_hash_waits_while_every_core_is_hashing() {
        let hasher = cheap();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(hasher.running.idle(), cores, "one slot per core");
        let busy = hasher.running.occupy().await;
        let password = Password::parse("password", "correct horse battery staple").expect("valid password");

        let waiting = tokio::time::timeout(Duration::from_millis(300), hasher.hash(&password)).await;
        assert!(waiting.is_err(), "a hash ran although every permit was taken");

        drop(busy);
        let hash = tokio::time::timeout(Duration::from_secs(10), hasher.hash(&password))
            .await
            .expect("the hash runs once a core is free")
            .expect("hashes");
        assert!(hasher.verify("correct horse battery staple", Some(hash)).await.expect("verifies"));
        assert_eq!(hasher.running.idle(), cores, "every slot came back");
    }
}
