//! Entry points for the cargo-fuzz targets in `fuzz/`. Compiled only with `--cfg fuzzing`
//! and in this crate's unit tests (which generate and check the `dsk_server`/`dsk_client`
//! seeds, `fuzzing/seeds.rs`); not a public API. Keys come from the test fixtures;
//! randomness is a fixed-seed stream.

use std::sync::{Arc, OnceLock};

use rand_core::{CryptoRng, RngCore};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

use crate::tls::{
    CaVerifier, ClientConfig, ClientHandshake, ServerConfig, ServerHandshake, UnixTime,
    decode_flight,
};

#[cfg(test)]
mod seeds;

/// A deterministic generator, so crashes reproduce (not for anything secret).
pub(crate) struct Counter(pub(crate) u64);
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

pub(crate) fn der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default()
}

/// The fixture server configuration, built once (a PKCS#8 key parse per fuzz input
/// would dominate the run).
pub(crate) fn server_config() -> Option<ServerConfig> {
    static CONFIG: OnceLock<Option<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let key =
                RsaPrivateKey::from_pkcs8_pem(include_str!("../tests/data/server.key")).ok()?;
            let verifier = CaVerifier::new(&[der(include_str!("../tests/data/ca.pem"))]).ok()?;
            Some(ServerConfig::new(
                vec![der(include_str!("../tests/data/server.pem"))],
                key,
                Arc::new(verifier),
            ))
        })
        .clone()
}

/// The fixture client configuration, built once.
pub(crate) fn client_config() -> Option<ClientConfig> {
    static CONFIG: OnceLock<Option<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let key =
                RsaPrivateKey::from_pkcs8_pem(include_str!("../tests/data/client.key")).ok()?;
            Some(ClientConfig::new(
                vec![der(include_str!("../tests/data/client.pem"))],
                key,
            ))
        })
        .clone()
}

/// The `gssapi-data` decoder: any bytes give a dump, never a panic.
pub fn decode(data: &[u8]) {
    let d = decode_flight(data);
    let _ = d.to_string();
}

/// The time the server harness checks the client certificate at (inside every fixture's
/// validity).
const NOW: UnixTime = UnixTime(1_795_600_000);

/// The input of [`server`] and [`client`]: two bytes, big-endian, give where the rest splits
/// into the first and the second flight (clamped to its length), so every split point of
/// a flight pair up to 64 KiB can be written exactly.
pub(crate) fn split_flights(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (at, rest) = data.split_first_chunk::<2>()?;
    Some(rest.split_at(usize::from(u16::from_be_bytes(*at)).min(rest.len())))
}

/// How far one run of [`server`] or [`client`] got; the seed tests check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The input was too short, or the first flight was refused.
    Start,
    /// The first flight was answered, the second refused.
    FirstFlight,
    /// Both flights accepted and the handshake complete.
    Done,
}

/// The server handshake and generator every [`server`] run starts from.
pub(crate) fn server_start() -> Option<(ServerHandshake, Counter)> {
    Some((ServerHandshake::new(server_config()?, NOW), Counter(1)))
}

/// The client handshake (after its ClientHello, which is also returned) and generator
/// every [`client`] run starts from.
pub(crate) fn client_start() -> Option<(ClientHandshake, Vec<u8>, Counter)> {
    let mut rng = Counter(2);
    let (hs, hello) = ClientHandshake::start(client_config()?, &mut rng);
    Some((hs, hello, rng))
}

/// The server role fed arbitrary flights: the first two bytes pick where the data splits
/// into a first and a second client flight (see [`split_flights`]).
pub fn server(data: &[u8]) {
    run_server(data);
}

pub(crate) fn run_server(data: &[u8]) -> Progress {
    let (Some((first, second)), Some((mut hs, mut rng))) = (split_flights(data), server_start())
    else {
        return Progress::Start;
    };
    if hs.handle(first, &mut rng).is_err() {
        return Progress::Start;
    }
    match hs.handle(second, &mut rng) {
        Ok(_) if hs.is_done() => Progress::Done,
        _ => Progress::FirstFlight,
    }
}

/// The client role: a real ClientHello, then arbitrary server flights, split as in
/// [`server`].
pub fn client(data: &[u8]) {
    run_client(data);
}

pub(crate) fn run_client(data: &[u8]) -> Progress {
    let (Some((first, second)), Some((mut hs, _, mut rng))) = (split_flights(data), client_start())
    else {
        return Progress::Start;
    };
    if hs.handle(first, &mut rng).is_err() {
        return Progress::Start;
    }
    match hs.handle(second, &mut rng) {
        Ok(None) if hs.is_done() => Progress::Done,
        _ => Progress::FirstFlight,
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
