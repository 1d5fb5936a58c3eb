//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use tls_dsk::{CaVerifier, ClientConfig, ServerConfig, UnixTime};

pub(crate) fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The DER of the first PEM block.
pub(crate) fn pem_der(name: &str) -> Vec<u8> {
    let text = data(name);
    let b64: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

pub(crate) fn key(name: &str) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(&data(name)).unwrap()
}

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// 2026-11-25, inside every fixture's validity.
pub(crate) const NOW: UnixTime = UnixTime(1_795_600_000);

pub(crate) fn client_config() -> ClientConfig {
    ClientConfig::new(vec![pem_der("client.pem")], key("client.key"))
}

pub(crate) fn rogue_config() -> ClientConfig {
    ClientConfig::new(vec![pem_der("rogue.pem")], key("rogue.key"))
}

pub(crate) fn server_config() -> ServerConfig {
    let verifier = CaVerifier::new(&[pem_der("ca.pem")]).unwrap();
    ServerConfig::new(
        vec![pem_der("server.pem")],
        key("server.key"),
        Arc::new(verifier),
    )
}
