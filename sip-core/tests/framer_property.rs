//! Property: for random sequences of messages split at random chunk boundaries, the stream
//! framer yields exactly the messages sent, byte for byte, and the same as parsing them
//! one by one. A small deterministic generator keeps the test reproducible (seed printed).

use bytes::Bytes;
use sip_core::{
    Frame, KnownHeader as H, MessageBuilder, Method, ParserConfig, SipMessage, StreamFramer,
};

/// xorshift64*: test-only randomness, not for anything secret.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn pool() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let dir = format!("{}/tests/data", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "sip") {
            out.push(std::fs::read(p).unwrap());
        }
    }
    // Valid corpus messages whose Content-Length matches their body exactly.
    for name in [
        "wsinv.dat",
        "intmeth.dat",
        "esc01.dat",
        "escnull.dat",
        "esc02.dat",
        "lwsdisp.dat",
        "longreq.dat",
        "semiuri.dat",
        "transports.dat",
        "mpart01.dat",
        "unreason.dat",
        "noreason.dat",
    ] {
        out.push(
            std::fs::read(format!(
                "{}/../../shared/corpus/rfc4475/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        );
    }
    for i in 0..8u32 {
        let body = vec![b'a' + i as u8; (i as usize) * 37];
        let m = MessageBuilder::request(Method::Message, "sip:bob@example.com")
            .header(H::Via, format!("SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK{i}"))
            .header(H::From, "<sip:alice@example.com>;tag=1")
            .header(H::To, "<sip:bob@example.com>")
            .header(H::CallId, format!("prop-{i}"))
            .header(H::CSeq, format!("{i} MESSAGE"))
            .header(H::ContentType, "text/plain")
            .body(body)
            .build()
            .unwrap();
        out.push(m.wire().to_vec());
    }
    out
}

#[test]
fn random_sequences_random_chunks() {
    let pool = pool();
    let seed = 0x5EED_0001_u64;
    let mut rng = Rng(seed);
    for round in 0..300 {
        let count = 1 + rng.below(12);
        let sent: Vec<&Vec<u8>> = (0..count).map(|_| &pool[rng.below(pool.len())]).collect();
        let stream: Vec<u8> = sent.iter().flat_map(|m| m.iter().copied()).collect();
        let mut framer = StreamFramer::new(ParserConfig::default());
        let mut got = Vec::new();
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let max_chunk = [1, 3, 17, 200, 5000][rng.below(5)];
            let n = (1 + rng.below(max_chunk)).min(rest.len());
            let taken = framer.feed(&rest[..n]);
            assert_eq!(taken, n, "seed {seed:#x} round {round}");
            rest = &rest[n..];
            while let Some(frame) = framer
                .next_frame()
                .unwrap_or_else(|e| panic!("seed {seed:#x} round {round}: {e}"))
            {
                match frame {
                    Frame::Message(m) => got.push(m),
                    other => panic!("seed {seed:#x} round {round}: unexpected {other:?}"),
                }
            }
        }
        assert_eq!(framer.buffered(), 0);
        assert_eq!(got.len(), sent.len(), "seed {seed:#x} round {round}");
        for (m, original) in got.iter().zip(&sent) {
            assert_eq!(&m.wire()[..], &original[..], "byte for byte");
            assert_eq!(
                *m,
                SipMessage::parse(Bytes::copy_from_slice(original)).unwrap(),
                "same as parsing alone"
            );
        }
    }
}

#[test]
fn keepalives_between_messages() {
    let msg = pool().remove(0);
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend_from_slice(&msg);
    stream.extend_from_slice(b"\r\n");
    stream.extend_from_slice(&msg);
    stream.extend_from_slice(b"\r\n\r\n");
    let mut framer = StreamFramer::new(ParserConfig::default());
    framer.feed(&stream);
    let kinds: Vec<&str> = std::iter::from_fn(|| framer.next_frame().unwrap())
        .map(|f| match f {
            Frame::Ping => "ping",
            Frame::Pong => "pong",
            Frame::Message(_) => "message",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["ping", "message", "pong", "message", "ping"]);
}
