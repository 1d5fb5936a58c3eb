//! A readable dump of `gssapi-data` flights, like SIPE's TLS analyzer.

use std::fmt::{self, Write};

use super::messages::{self, ClientHello, ServerHello, hs};
use super::record::{ALERT, CHANGE_CIPHER_SPEC, HANDSHAKE};
use super::suites::{ProtocolVersion, suite_name};
use super::{TlsError, cert};

/// What [`decode_flight`] found: one line per record, message and field, and the first
/// error if the flight is cut or malformed (the dump up to that point is kept).
#[derive(Clone, Debug, Default)]
pub struct FlightDump {
    /// The dump text.
    pub text: String,
    /// Why decoding stopped early, if it did.
    pub error: Option<TlsError>,
}

impl fmt::Display for FlightDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if let Some(e) = &self.error {
            writeln!(f, "error: {e}")?;
        }
        Ok(())
    }
}

fn ext_name(t: u16) -> &'static str {
    match t {
        0 => "server_name",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        35 => "session_ticket",
        43 => "supported_versions",
        0xff01 => "renegotiation_info",
        _ => "unknown",
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Decodes one flight (the bytes of a base64-decoded `gssapi-data`) into a dump. Never
/// panics: a truncated or malformed flight gives a partial dump and an error.
///
/// ```
/// use tls_dsk::tls::decode_flight;
/// // The Polycom phone's ClientHello from the Office 365 sign-in trace (tls-dsk.md §6.1).
/// let b64 = "FgMBAEQBAABAAwGS0Pl0EBC6TOz0gpjhtvXFtSAqobE5DDpeNvhd6Ls3MQAADgA5ADUAMwAvABYACgD/AQAACQAjAAAADwABAQ==";
/// let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
/// let dump = decode_flight(&bytes);
/// assert!(dump.error.is_none());
/// assert!(dump.text.contains("TLS_RSA_WITH_AES_256_CBC_SHA"));
/// ```
pub fn decode_flight(bytes: &[u8]) -> FlightDump {
    let mut d = FlightDump::default();
    if let Err(e) = decode_into(bytes, &mut d.text) {
        d.error = Some(e);
    }
    d
}

fn decode_into(bytes: &[u8], out: &mut String) -> Result<(), TlsError> {
    // Records are split by hand so that a cut final record still shows its header.
    let mut rest = bytes;
    let mut hs_buf = Vec::new();
    let mut encrypted = false;
    let mut version = ProtocolVersion::TLS10;
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Err(TlsError::Truncated("record header"));
        }
        let typ = rest[0];
        let rv = ProtocolVersion(u16::from_be_bytes([rest[1], rest[2]]));
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let name = match typ {
            HANDSHAKE => "handshake",
            CHANGE_CIPHER_SPEC => "change_cipher_spec",
            ALERT => "alert",
            23 => "application_data",
            _ => "unknown",
        };
        let _ = writeln!(out, "record {name} ({typ}) {rv} length {len}");
        if rest.len() < 5 + len {
            let _ = writeln!(out, "  only {} of {len} bytes present", rest.len() - 5);
            // Show what the cut record still holds, then report the cut.
            if typ == HANDSHAKE && !encrypted {
                hs_buf.extend_from_slice(&rest[5..]);
                dump_messages(&mut hs_buf, &mut version, out)?;
                describe_partial(&hs_buf, out);
            }
            return Err(TlsError::Truncated("record (the flight is cut)"));
        }
        let frag = &rest[5..5 + len];
        rest = &rest[5 + len..];
        match (typ, encrypted) {
            (CHANGE_CIPHER_SPEC, _) => encrypted = true,
            (HANDSHAKE, true) => {
                let _ = writeln!(out, "  encrypted handshake message ({len} bytes, Finished)");
            }
            (HANDSHAKE, false) => {
                hs_buf.extend_from_slice(frag);
                dump_messages(&mut hs_buf, &mut version, out)?;
            }
            (ALERT, false) if frag.len() == 2 => {
                let _ = writeln!(out, "  alert level {} description {}", frag[0], frag[1]);
            }
            _ => {}
        }
    }
    if !hs_buf.is_empty() {
        describe_partial(&hs_buf, out);
        return Err(TlsError::Truncated("handshake message"));
    }
    Ok(())
}

/// Names the incomplete message left in `buf`, if its header is there.
fn describe_partial(buf: &[u8], out: &mut String) {
    if buf.len() >= 4 {
        let len = (usize::from(buf[1]) << 16) | (usize::from(buf[2]) << 8) | usize::from(buf[3]);
        let m = messages::HandshakeMessage {
            typ: buf[0],
            body: Vec::new(),
        };
        let _ = writeln!(
            out,
            "  {} ({}) length {len}, only {} bytes present",
            m.name(),
            buf[0],
            buf.len() - 4
        );
    }
}

/// Dumps every complete message in `buf` and keeps an incomplete tail for the next record.
fn dump_messages(
    buf: &mut Vec<u8>,
    version: &mut ProtocolVersion,
    out: &mut String,
) -> Result<(), TlsError> {
    let mut used = 0;
    while buf.len() - used >= 4 {
        let typ = buf[used];
        let len = (usize::from(buf[used + 1]) << 16)
            | (usize::from(buf[used + 2]) << 8)
            | usize::from(buf[used + 3]);
        if buf.len() - used - 4 < len {
            break;
        }
        let body = buf[used + 4..used + 4 + len].to_vec();
        used += 4 + len;
        let m = messages::HandshakeMessage { typ, body };
        let _ = writeln!(out, "  {} ({typ}) length {len}", m.name());
        match typ {
            hs::CLIENT_HELLO => {
                let h = ClientHello::read(&m.body)?;
                let _ = writeln!(out, "    client_version {}", h.version);
                let _ = writeln!(out, "    random {}", hex(&h.random));
                let _ = writeln!(out, "    session_id ({} bytes)", h.session_id.len());
                for s in &h.cipher_suites {
                    let _ = writeln!(out, "    cipher_suite 0x{s:04x} {}", suite_name(*s));
                }
                let _ = writeln!(out, "    compression {:?}", h.compression);
                for e in &h.extensions {
                    let _ = writeln!(
                        out,
                        "    extension {} ({}) {}",
                        ext_name(e.typ),
                        e.typ,
                        hex(&e.data)
                    );
                }
            }
            hs::SERVER_HELLO => {
                let h = ServerHello::read(&m.body)?;
                *version = h.version;
                let _ = writeln!(out, "    server_version {}", h.version);
                let _ = writeln!(out, "    random {}", hex(&h.random));
                let _ = writeln!(
                    out,
                    "    session_id ({} bytes) {}",
                    h.session_id.len(),
                    hex(&h.session_id)
                );
                let _ = writeln!(
                    out,
                    "    cipher_suite 0x{:04x} {}",
                    h.cipher_suite,
                    suite_name(h.cipher_suite)
                );
                let _ = writeln!(out, "    compression {}", h.compression);
                for e in &h.extensions {
                    let _ = writeln!(
                        out,
                        "    extension {} ({}) {}",
                        ext_name(e.typ),
                        e.typ,
                        hex(&e.data)
                    );
                }
            }
            hs::CERTIFICATE => {
                for (i, c) in messages::read_certificate(&m.body)?.iter().enumerate() {
                    let cn = cert::common_name(c)
                        .unwrap_or_else(|| "(no common name or unparsable)".into());
                    let _ = writeln!(
                        out,
                        "    certificate {i}: {} bytes, subject CN={cn}",
                        c.len()
                    );
                }
            }
            hs::CERTIFICATE_REQUEST => {
                let r = messages::CertificateRequest::read(&m.body, version.is_tls12())?;
                let _ = writeln!(out, "    certificate_types {:?}", r.cert_types);
                if let Some(a) = &r.signature_algorithms {
                    let _ = writeln!(out, "    signature_algorithms {:04x?}", a);
                }
                let _ = writeln!(out, "    certificate_authorities {}", r.authorities.len());
            }
            _ => {}
        }
    }
    buf.drain(..used);
    Ok(())
}
