//! The message set: `benches/data/*.sip`, compiled into the binary.
//!
//! All files use CRLF line endings and carry a correct Content-Length, so every one is a
//! complete stream (TCP/TLS) message. `benches/data/generate.py` rewrites them
//! deterministically; `wsinv.sip` is a byte-exact copy of RFC 4475 `wsinv.dat`.

use bytes::Bytes;

/// One benchmark message.
#[derive(Clone, Debug)]
pub struct Sample {
    /// File name in `benches/data`.
    pub name: &'static str,
    /// What the message is.
    pub description: &'static str,
    /// The bytes, as a static `Bytes` (cloning it never allocates).
    pub bytes: Bytes,
}

impl Sample {
    /// The message bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True for an empty message (never, for the shipped set).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

macro_rules! sample {
    ($file:literal, $description:literal) => {
        Sample {
            name: $file,
            description: $description,
            bytes: Bytes::from_static(include_bytes!(concat!("../data/", $file))),
        }
    };
}

/// Every message, in report order.
pub fn samples() -> Vec<Sample> {
    vec![
        sample!("options.sip", "short OPTIONS, no body"),
        sample!("invite_sdp.sip", "typical INVITE with an SDP offer"),
        sample!("ok_invite.sip", "200 OK to an INVITE, two Vias, SDP answer"),
        sample!(
            "register_tls_dsk.sip",
            "Lync REGISTER, Authorization: TLS-DSK with ~3.2 KB of base64 gssapi-data"
        ),
        sample!(
            "unauthorized.sip",
            "401 with TLS-DSK, Kerberos and NTLM WWW-Authenticate challenges"
        ),
        sample!("forty_headers.sip", "INVITE with 40 header lines, no body"),
        sample!(
            "wsinv.sip",
            "RFC 4475 wsinv: folding, compact forms, odd whitespace"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_is_one_complete_crlf_message() {
        for s in samples() {
            let data = s.as_slice();
            let head_end = memchr::memmem::find(data, b"\r\n\r\n").expect(s.name) + 4;
            let head = &data[..head_end];
            assert!(
                !head.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
                "{}: bare LF in the header section",
                s.name
            );
            let mut slots = [sip_core::EMPTY_HEADER; 64];
            let cfg = sip_core::ParserConfig::default();
            match sip_core::parse_with(data, &mut slots, &cfg) {
                Ok(sip_core::Status::Complete(m)) => {
                    assert_eq!(m.consumed(), data.len(), "{}", s.name)
                }
                other => panic!("{}: {other:?}", s.name),
            }
        }
    }

    #[test]
    fn forty_headers_has_forty_headers() {
        let s = samples()
            .into_iter()
            .find(|s| s.name == "forty_headers.sip")
            .unwrap();
        let mut slots = [sip_core::EMPTY_HEADER; 64];
        let m = sip_core::parse(s.as_slice(), &mut slots)
            .unwrap()
            .complete()
            .unwrap();
        assert_eq!(m.headers().len(), 40);
    }
}
