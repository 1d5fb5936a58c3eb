//! The seeds of the `dsk_server` and `dsk_client` fuzz targets: real client and server
//! handshakes run in memory, each flight recorded and written in the harness's input format
//! (two split bytes, then the first and the second flight of the peer the harness plays
//! against).
//!
//! Why a unit test of this crate: only here can the generator use the harness's own
//! configs, generators ([`server_start`], [`client_start`]) and split format, so the seeds
//! cannot drift from what [`server`](super::server) and [`client`](super::client) do (an
//! example or an integration test would have to copy them, and a test under
//! `cfg(fuzzing)` would not run with `cargo test`). `cargo test -p tls-dsk` checks that every seed reaches as far into the
//! handshake as it should and that the files in `fuzz/corpus/dsk_{server,client}/` are these
//! bytes. After a change to the engine or the harness, rewrite them with
//!
//! ```text
//! cargo test -p tls-dsk --lib fuzzing::seeds::write_seeds -- --ignored
//! ```

use std::path::PathBuf;

use base64::Engine;
use x509_cert::der::{Decode, Encode};

use super::{
    Counter, NOW, Progress, client_config, client_start, der, run_client, run_server,
    server_config, server_start, split_flights,
};
use crate::tls::{
    CipherSuite, ClientConfig, ClientHandshake, ProtocolVersion, ServerConfig, ServerHandshake,
};

/// One seed file.
#[derive(Debug)]
struct Seed {
    /// `dsk_server` or `dsk_client`.
    target: &'static str,
    /// File name in `fuzz/corpus/<target>/`.
    name: String,
    bytes: Vec<u8>,
    /// How far the harness gets with it.
    reaches: Progress,
}

/// A harness input: the split point, then both flights.
fn input(first: &[u8], second: &[u8]) -> Vec<u8> {
    let at = u16::try_from(first.len()).expect("a first flight under 64 KiB");
    let mut v = at.to_be_bytes().to_vec();
    v.extend_from_slice(first);
    v.extend_from_slice(second);
    v
}

/// The flight with the handshake bytes before its first other record re-cut into records
/// of at most `n` bytes (the rest is kept as it is: after ChangeCipherSpec the records are
/// encrypted). The transcript covers messages, not records, so the handshake still
/// completes; the engine has to reassemble messages across records.
fn refragment(flight: &[u8], n: usize) -> Vec<u8> {
    let mut hs = Vec::new();
    let mut version = [3, 1];
    let mut rest = flight;
    while let [22, v0, v1, l0, l1, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        version = [*v0, *v1];
        hs.extend_from_slice(&tail[..len]);
        rest = &tail[len..];
    }
    let mut out = Vec::new();
    for chunk in hs.chunks(n) {
        out.push(22);
        out.extend_from_slice(&version);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(rest);
    out
}

/// A `dsk_server` seed: a real client (`client`, its own generator) against the harness's
/// server; `frag` re-cuts the client's two flights. Both flights are fed to the server as
/// they will be in the harness.
fn server_seed(name: &str, client: ClientConfig, frag: Option<(usize, usize)>) -> Seed {
    let (mut s, mut srng) = server_start().expect("fixtures");
    let mut crng = Counter(3);
    let (mut c, mut hello) = ClientHandshake::start(client, &mut crng);
    if let Some((n, _)) = frag {
        hello = refragment(&hello, n);
    }
    let f1 = s
        .handle(&hello, &mut srng)
        .expect("server answers the ClientHello");
    let mut f2 = c
        .handle(&f1, &mut crng)
        .expect("client answers")
        .expect("a second client flight");
    if let Some((_, n)) = frag {
        f2 = refragment(&f2, n);
    }
    finish(&mut s, &mut srng, &mut c, &mut crng, &f2);
    full("dsk_server", name, input(&hello, &f2))
}

/// A `dsk_client` seed: the harness's client against a real server (`server`, its own
/// generator); `frag` re-cuts the server's first flight.
fn client_seed(name: &str, server: ServerConfig, frag: Option<usize>) -> Seed {
    let (mut c, hello, mut crng) = client_start().expect("fixtures");
    let mut srng = Counter(4);
    let mut s = ServerHandshake::new(server, NOW);
    let mut f1 = s.handle(&hello, &mut srng).expect("server answers");
    if let Some(n) = frag {
        f1 = refragment(&f1, n);
    }
    let f2 = c
        .handle(&f1, &mut crng)
        .expect("client answers")
        .expect("a second client flight");
    let f3 = finish(&mut s, &mut srng, &mut c, &mut crng, &f2);
    full("dsk_client", name, input(&f1, &f3))
}

/// The server's last flight after the client's second, which must complete both sides.
fn finish(
    s: &mut ServerHandshake,
    srng: &mut Counter,
    c: &mut ClientHandshake,
    crng: &mut Counter,
    f2: &[u8],
) -> Vec<u8> {
    let f3 = s.handle(f2, srng).expect("server accepts the client");
    assert_eq!(c.handle(&f3, crng), Ok(None));
    assert!(s.is_done() && c.is_done());
    f3
}

/// A seed that takes its target through the whole handshake.
fn full(target: &'static str, name: &str, bytes: Vec<u8>) -> Seed {
    Seed {
        target,
        name: format!("gen-{name}"),
        bytes,
        reaches: Progress::Done,
    }
}

/// A seed with only a first flight (the second is empty, so the harness stops there).
fn first_only(seed: &Seed, name: &str) -> Seed {
    let (first, _) = split_flights(&seed.bytes).expect("a seed holds a split point");
    Seed {
        target: seed.target,
        name: format!("gen-{name}"),
        bytes: input(first, &[]),
        reaches: Progress::FirstFlight,
    }
}

fn capture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("capture fixture");
    let text = text.trim();
    // The Office 365 flight was cut by the phone's log inside a base64 quantum.
    let usable = &text[..text.len() - text.len() % 4];
    base64::engine::general_purpose::STANDARD
        .decode(usable)
        .expect("base64 capture")
}

fn client_with(max: ProtocolVersion, suites: &[CipherSuite]) -> ClientConfig {
    let mut c = client_config().expect("fixtures");
    c.max_version = max;
    if !suites.is_empty() {
        c.suites = suites.to_vec();
    }
    c
}

fn server_with(max: ProtocolVersion, suites: &[CipherSuite]) -> ServerConfig {
    let mut s = server_config().expect("fixtures");
    s.max_version = max;
    if !suites.is_empty() {
        s.suites = suites.to_vec();
    }
    s
}

/// Every seed of both targets.
fn seeds() -> Vec<Seed> {
    use CipherSuite as S;
    use ProtocolVersion as V;
    let mut out = Vec::new();

    // dsk_server: versions and suites are the client's choice (the server takes the highest
    // version and its own first suite the client offers).
    let tls12 = server_seed("tls12-aes256-sha", client_with(V::TLS12, &[]), None);
    let tls10 = server_seed("tls10-aes256-sha", client_with(V::TLS10, &[]), None);
    out.push(first_only(&tls12, "tls12-hello-only"));
    out.push(first_only(&tls10, "tls10-hello-only"));
    out.push(tls12);
    out.push(tls10);
    for (name, max, suite) in [
        ("tls12-aes128-sha256", V::TLS12, S::RSA_AES_128_CBC_SHA256),
        ("tls12-aes256-sha256", V::TLS12, S::RSA_AES_256_CBC_SHA256),
        ("tls11-aes128-sha", V::TLS11, S::RSA_AES_128_CBC_SHA),
        ("tls10-aes128-sha", V::TLS10, S::RSA_AES_128_CBC_SHA),
    ] {
        out.push(server_seed(name, client_with(max, &[suite]), None));
    }
    out.push(server_seed(
        "tls12-small-records",
        client_with(V::TLS12, &[]),
        Some((32, 512)),
    ));
    out.push(Seed {
        target: "dsk_server",
        name: "polycom-client-hello".into(),
        bytes: input(&capture("polycom-client-hello.b64"), &[]),
        reaches: Progress::FirstFlight,
    });

    // dsk_client: the harness's client offers TLS 1.2 and every suite; versions and suites
    // are the server's choice.
    let tls12 = client_seed("tls12-aes256-sha", server_with(V::TLS12, &[]), None);
    out.push(first_only(&tls12, "tls12-first-flight-only"));
    out.push(tls12);
    for (name, max, suite) in [
        ("tls12-aes128-sha256", V::TLS12, S::RSA_AES_128_CBC_SHA256),
        ("tls12-aes256-sha256", V::TLS12, S::RSA_AES_256_CBC_SHA256),
        ("tls11-aes128-sha", V::TLS11, S::RSA_AES_128_CBC_SHA),
        ("tls10-aes256-sha", V::TLS10, S::RSA_AES_256_CBC_SHA),
        ("tls10-aes128-sha", V::TLS10, S::RSA_AES_128_CBC_SHA),
    ] {
        out.push(client_seed(name, server_with(max, &[suite]), None));
    }
    let mut named = server_with(V::TLS12, &[]);
    let ca = der(include_str!("../../tests/data/ca.pem"));
    let subject = x509_cert::Certificate::from_der(&ca)
        .expect("CA certificate")
        .tbs_certificate
        .subject
        .to_der()
        .expect("CA name");
    named.ca_names = vec![subject];
    out.push(client_seed("tls12-ca-names", named, None));
    out.push(client_seed(
        "tls12-small-records",
        server_with(V::TLS12, &[]),
        Some(512),
    ));
    out.push(Seed {
        target: "dsk_client",
        name: "o365-truncated".into(),
        bytes: input(&capture("o365-server-flight-truncated.b64"), &[]),
        reaches: Progress::Start,
    });
    out
}

fn path(seed: &Seed) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(seed.target)
        .join(&seed.name)
}

#[test]
fn split_point_is_two_bytes_clamped() {
    use super::split_flights as split;
    assert_eq!(split(b""), None);
    assert_eq!(split(b"\x00"), None);
    assert_eq!(split(b"\x00\x00"), Some((&b""[..], &b""[..])));
    assert_eq!(split(b"\x00\x01abc"), Some((&b"a"[..], &b"bc"[..])));
    assert_eq!(split(b"\x01\x00abc"), Some((&b"abc"[..], &b""[..])));
    assert_eq!(split(b"\xff\xffabc"), Some((&b"abc"[..], &b""[..])));
}

#[test]
fn seeds_reach_as_far_as_they_should() {
    let seeds = seeds();
    assert!(seeds.iter().filter(|s| s.reaches == Progress::Done).count() >= 12);
    for seed in &seeds {
        let run = match seed.target {
            "dsk_server" => run_server,
            _ => run_client,
        };
        assert_eq!(
            run(&seed.bytes),
            seed.reaches,
            "{}/{}",
            seed.target,
            seed.name
        );
    }
}

#[test]
fn committed_seeds_are_current() {
    for seed in seeds() {
        let path = path(&seed);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == seed.bytes,
            "{} is missing or stale: rewrite the seeds with \
             `cargo test -p tls-dsk --lib fuzzing::seeds::write_seeds -- --ignored`",
            path.display()
        );
    }
}

/// Writes the seed files (see the module docs).
#[test]
#[ignore = "writes fuzz/corpus/dsk_{server,client}/; run by hand"]
fn write_seeds() {
    for seed in seeds() {
        std::fs::write(path(&seed), &seed.bytes).expect("write seed");
    }
}
