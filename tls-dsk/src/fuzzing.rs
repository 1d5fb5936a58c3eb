//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with `--cfg fuzzing`;
//! not a public API. Keys come from the test fixtures; randomness is a fixed-seed stream.

use std::sync::Arc;

use rand_core::{CryptoRng, RngCore};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

use crate::tls::{
    CaVerifier, ClientConfig, ClientHandshake, ServerConfig, ServerHandshake, UnixTime,
    decode_flight,
};

/// A deterministic generator, so crashes reproduce (not for anything secret).
struct Counter(u64);
impl RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for Counter {}

fn der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default()
}

fn server_config() -> Option<ServerConfig> {
    let key = RsaPrivateKey::from_pkcs8_pem(include_str!("../tests/data/server.key")).ok()?;
    let verifier = CaVerifier::new(&[der(include_str!("../tests/data/ca.pem"))]).ok()?;
    Some(ServerConfig::new(
        vec![der(include_str!("../tests/data/server.pem"))],
        key,
        Arc::new(verifier),
    ))
}

fn client_config() -> Option<ClientConfig> {
    let key = RsaPrivateKey::from_pkcs8_pem(include_str!("../tests/data/client.key")).ok()?;
    Some(ClientConfig::new(
        vec![der(include_str!("../tests/data/client.pem"))],
        key,
    ))
}

/// The `gssapi-data` decoder: any bytes give a dump, never a panic.
pub fn decode(data: &[u8]) {
    let d = decode_flight(data);
    let _ = d.to_string();
}

/// The server role fed arbitrary flights: the first byte picks where the data splits into
/// a first and a second client flight.
pub fn server(data: &[u8]) {
    let Some(cfg) = server_config() else { return };
    let (split, rest) = match data.split_first() {
        Some((s, r)) => (usize::from(*s) * r.len() / 256, r),
        None => return,
    };
    let mut rng = Counter(1);
    let mut hs = ServerHandshake::new(cfg, UnixTime(1_795_600_000));
    if hs.handle(&rest[..split], &mut rng).is_ok() {
        let _ = hs.handle(&rest[split..], &mut rng);
    }
}

/// The client role: a real ClientHello, then arbitrary server flights.
pub fn client(data: &[u8]) {
    let Some(cfg) = client_config() else { return };
    let (split, rest) = match data.split_first() {
        Some((s, r)) => (usize::from(*s) * r.len() / 256, r),
        None => return,
    };
    let mut rng = Counter(2);
    let (mut hs, _) = ClientHandshake::start(cfg, &mut rng);
    if hs.handle(&rest[..split], &mut rng).is_ok() {
        let _ = hs.handle(&rest[split..], &mut rng);
    }
}

/// The TLS-DSK header model over arbitrary `Authorization`/`WWW-Authenticate`/
/// `Authentication-Info` values; a value that parses must survive `to_value` and reparse
/// to the same model.
pub fn headers(data: &[u8]) {
    for a in sip_core::Authentication::parse_all(data).flatten() {
        if let Ok(c) = crate::Challenge::from_auth(&a) {
            let again = c.to_value();
            let reparsed = sip_core::Authentication::parse(again.as_bytes())
                .ok()
                .and_then(|a| crate::Challenge::from_auth(&a).ok());
            assert_eq!(
                reparsed.as_ref(),
                Some(&c),
                "challenge did not round-trip: {again}"
            );
        }
        if let Ok(c) = crate::Credentials::from_auth(&a) {
            let again = c.to_value();
            let reparsed = sip_core::Authentication::parse(again.as_bytes())
                .ok()
                .and_then(|a| crate::Credentials::from_auth(&a).ok());
            assert_eq!(
                reparsed.as_ref(),
                Some(&c),
                "credentials did not round-trip: {again}"
            );
        }
    }
    if let Ok(info) = sip_core::AuthenticationInfo::parse(data) {
        let _ = crate::AuthInfo::from_info(&info);
    }
}
