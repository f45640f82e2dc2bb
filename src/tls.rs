//! One process-wide TLS crypto provider (ring) for every rustls user, so
//! outbound HTTPS (the LLM client) works without a second crypto library.

/// Installs the provider; later calls are no-ops.
pub fn install_crypto_provider() {
    // Err means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
