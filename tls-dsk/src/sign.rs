//! The SIP message signature ([MS-SIPAE] 3.2.5.2, `tls-dsk.md` §5): the bracketed buffer
//! of selected header values and its HMAC.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sip_core::{KnownHeader, Message};
use subtle::ConstantTimeEq;

use crate::error::SignError;
use crate::keys::{DskKeys, SignatureAlgorithm};

/// What goes into a signature besides the message itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureParams<'a> {
    /// The scheme token (`TLS-DSK`; `NTLM`/`Kerberos` buffers share the format).
    pub protocol: &'a str,
    /// `crand` (client) or `srand` (server), as sent.
    pub rand: &'a str,
    /// `cnum` or `snum`, decimal, as sent.
    pub num: &'a str,
    /// `realm`, without quotes.
    pub realm: &'a str,
    /// `targetname`, without quotes.
    pub targetname: &'a str,
    /// The `version` of the scheme: 3 and above use the long form (all TLS-DSK).
    pub version: u32,
}

/// SIPE's From/To URI: the text inside the first `<...>`; empty without brackets
/// (`tls-dsk.md`, corrections observed with SIPE 1.25).
fn addr_uri(value: &[u8]) -> &[u8] {
    let Some(lt) = value.iter().position(|&b| b == b'<') else {
        return b"";
    };
    let rest = &value[lt + 1..];
    match rest.iter().position(|&b| b == b'>') {
        Some(gt) => &rest[..gt],
        None => b"",
    }
}

/// SIPE's tag: after the substring `;tag=` anywhere in the value, up to the next `;` or
/// the end.
fn addr_tag(value: &[u8]) -> &[u8] {
    let Some(at) = value.windows(5).position(|w| w == b";tag=") else {
        return b"";
    };
    let rest = &value[at + 5..];
    let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
    &rest[..end]
}

/// The `sip:` and `tel:` URIs of P-Asserted-Identity (or P-Preferred-Identity).
fn asserted<'a>(msg: &Message<'a>) -> (&'a [u8], &'a [u8]) {
    let which = if msg
        .headers()
        .first(KnownHeader::PAssertedIdentity)
        .is_some()
    {
        KnownHeader::PAssertedIdentity
    } else {
        KnownHeader::PPreferredIdentity
    };
    let values = msg.headers().values(which).map(|(v, _)| v);
    let mut sip: &[u8] = b"";
    let mut tel: &[u8] = b"";
    for v in values {
        let uri = addr_uri(v);
        if uri.starts_with(b"sip:") && sip.is_empty() {
            sip = uri;
        } else if uri.starts_with(b"tel:") && tel.is_empty() {
            tel = uri;
        } else if uri.is_empty() && v.starts_with(b"tel:") && tel.is_empty() {
            tel = v;
        }
    }
    (sip, tel)
}

/// Builds the signature buffer of a message: `<protocol><rand><num><realm><targetname>
/// <Call-ID><CSeq number><CSeq method><From URI><From tag><To URI><To tag><PAI sip>
/// <PAI tel><Expires>` and `<status>` for responses, every value byte for byte as on the
/// wire. Requests take the method from the request line, responses from CSeq.
///
/// # Errors
///
/// [`SignError::MissingHeader`] without Call-ID, CSeq, From or To.
pub fn signature_buffer(msg: &Message<'_>, p: &SignatureParams<'_>) -> Result<Vec<u8>, SignError> {
    // One pass over the header index picks the first line of every signed header.
    let (mut call_id, mut cseq, mut from, mut to, mut expires) = (None, None, None, None, None);
    let mut identity = false;
    for h in msg.headers() {
        let slot = match h.known() {
            Some(KnownHeader::CallId) => &mut call_id,
            Some(KnownHeader::CSeq) => &mut cseq,
            Some(KnownHeader::From) => &mut from,
            Some(KnownHeader::To) => &mut to,
            Some(KnownHeader::Expires) => &mut expires,
            Some(KnownHeader::PAssertedIdentity | KnownHeader::PPreferredIdentity) => {
                identity = true;
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(h.value());
        }
    }
    let call_id = call_id.ok_or(SignError::MissingHeader(KnownHeader::CallId))?;
    let cseq = cseq.ok_or(SignError::MissingHeader(KnownHeader::CSeq))?;
    let from = from.ok_or(SignError::MissingHeader(KnownHeader::From))?;
    let to = to.ok_or(SignError::MissingHeader(KnownHeader::To))?;
    let expires: &[u8] = expires.unwrap_or_default();
    let split = cseq
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(cseq.len());
    let cseq_num = &cseq[..split];
    let cseq_method = cseq[split..].trim_ascii();
    let method = match msg.method() {
        Some(m) => m.as_str().as_bytes(),
        None => cseq_method,
    };
    let mut out = Vec::with_capacity(
        64 + call_id.len()
            + from.len()
            + to.len()
            + expires.len()
            + p.realm.len()
            + p.targetname.len(),
    );
    let mut field = |v: &[u8]| {
        out.push(b'<');
        out.extend_from_slice(v);
        out.push(b'>');
    };
    for v in [
        p.protocol.as_bytes(),
        p.rand.as_bytes(),
        p.num.as_bytes(),
        p.realm.as_bytes(),
        p.targetname.as_bytes(),
        call_id,
        cseq_num,
        method,
        addr_uri(from),
        addr_tag(from),
    ] {
        field(v);
    }
    if p.version >= 3 {
        let (sip, tel) = if identity {
            asserted(msg)
        } else {
            (&b""[..], &b""[..])
        };
        for v in [addr_uri(to), addr_tag(to), sip, tel, expires] {
            field(v);
        }
    } else {
        field(addr_tag(to));
        field(expires);
    }
    if let Some(status) = msg.status() {
        let digits = [
            b'0' + (status / 100) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
        ];
        field(&digits);
    }
    Ok(out)
}

/// The HMAC of a signature buffer with one direction's key (`from_server` selects the
/// server key).
pub fn mac(keys: &DskKeys, from_server: bool, buffer: &[u8]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], buffer: &[u8]) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(key).expect("hmac takes any key length");
        m.update(buffer);
        m.finalize().into_bytes().to_vec()
    }
    let key = keys.key(from_server);
    match keys.algorithm() {
        SignatureAlgorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(key, buffer),
        SignatureAlgorithm::HmacMd5 => run::<Hmac<md5::Md5>>(key, buffer),
        _ => run::<Hmac<sha1::Sha1>>(key, buffer),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex, as Microsoft servers send `rspauth` (SIPE sends uppercase; both parse).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Checks a hex signature (any case) against the expected MAC in constant time.
///
/// # Errors
///
/// [`SignError::BadSignature`] if it differs or is not hex.
pub fn verify_hex(expected: &[u8], got_hex: &str) -> Result<(), SignError> {
    let got_hex = got_hex.as_bytes();
    let mut got = [0u8; 64];
    if got_hex.len() != expected.len() * 2 || expected.len() > got.len() {
        return Err(SignError::BadSignature);
    }
    for (i, pair) in got_hex.chunks_exact(2).enumerate() {
        let (Some(h), Some(l)) = (nibble(pair[0]), nibble(pair[1])) else {
            return Err(SignError::BadSignature);
        };
        got[i] = h << 4 | l;
    }
    if bool::from(got[..expected.len()].ct_eq(expected)) {
        Ok(())
    } else {
        Err(SignError::BadSignature)
    }
}

/// A sliding window of 64 sequence numbers, like IPsec's: a number is accepted once, and
/// only if it is newer than the highest seen minus 63. The spec's rule is UNCONFIRMED
/// (`tls-dsk.md` §5.3); this tolerates reordering across transactions on one connection
/// and still rejects replays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    highest: u64,
    seen: u64,
}

impl ReplayWindow {
    /// Would `n` be accepted? Does not record it.
    pub fn check(&self, n: u64) -> Result<(), SignError> {
        if n == 0 {
            return Err(SignError::Replay(n));
        }
        if n > self.highest {
            return Ok(());
        }
        let age = self.highest - n;
        if age >= 64 || self.seen & (1 << age) != 0 {
            Err(SignError::Replay(n))
        } else {
            Ok(())
        }
    }

    /// Records `n` as used (call after the signature verified).
    pub fn accept(&mut self, n: u64) {
        if n > self.highest {
            let shift = n - self.highest;
            self.seen = if shift >= 64 { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.highest = n;
        } else {
            self.seen |= 1 << (self.highest - n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use sip_core::SipMessage;

    fn msg(text: &str) -> SipMessage {
        SipMessage::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap()
    }

    const REGISTER: &str = "REGISTER sip:contoso.com SIP/2.0\nVia: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK1\nFrom: <sip:alice@contoso.com>;tag=22fafb15b8\nTo: <sip:alice@contoso.com>\nCall-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\nCSeq: 3 REGISTER\nContent-Length: 0\n\n";
    const OK: &str = "SIP/2.0 200 OK\nVia: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK1\nFrom: <sip:alice@contoso.com>;tag=22fafb15b8\nTo: <sip:alice@contoso.com>;tag=9588410E2DA11CEE9D0AE7733E07830F\nCall-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\nCSeq: 3 REGISTER\nExpires: 7200\nContent-Length: 0\n\n";

    fn keys() -> DskKeys {
        let cr: [u8; 32] = std::array::from_fn(|i| i as u8);
        let sr: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
        let ms: [u8; 48] = std::array::from_fn(|i| 0x40 + i as u8);
        let kb =
            crate::keys::dangerous_key_block(crate::tls::ProtocolVersion::TLS10, &ms, &cr, &sr);
        DskKeys::from_key_block(&kb, SignatureAlgorithm::HmacSha1)
    }

    fn params<'a>(rand: &'a str, num: &'a str) -> SignatureParams<'a> {
        SignatureParams {
            protocol: "TLS-DSK",
            rand,
            num,
            realm: "SIP Communications Service",
            targetname: "server.contoso.com",
            version: 4,
        }
    }

    #[test]
    fn request_vector() {
        // tls-dsk.md §6.3.
        let m = msg(REGISTER);
        let buf = signature_buffer(&m.message(), &params("41c8a5e2", "1")).unwrap();
        assert_eq!(
            String::from_utf8(buf.clone()).unwrap(),
            "<TLS-DSK><41c8a5e2><1><SIP Communications Service><server.contoso.com><d5f2b95d5be64c2cbfb38aa5d3a87ae7><3><REGISTER><sip:alice@contoso.com><22fafb15b8><sip:alice@contoso.com><><><><>"
        );
        assert_eq!(
            to_hex(&mac(&keys(), false, &buf)),
            "8fc12fb8bba3482a1dbef6e93b9d2714ffcb3e56"
        );
        let md5 = DskKeys::from_key_block(
            &crate::keys::dangerous_key_block(
                crate::tls::ProtocolVersion::TLS10,
                &std::array::from_fn(|i| 0x40 + i as u8),
                &std::array::from_fn(|i| i as u8),
                &std::array::from_fn(|i| 0x20 + i as u8),
            ),
            SignatureAlgorithm::HmacMd5,
        );
        assert_eq!(
            to_hex(&mac(&md5, false, &buf)),
            "0d1a76aaa0e28a7cba124e087d1dc446"
        );
    }

    #[test]
    fn response_vector() {
        let m = msg(OK);
        let buf = signature_buffer(&m.message(), &params("1D9666D9", "1")).unwrap();
        assert_eq!(
            String::from_utf8(buf.clone()).unwrap(),
            "<TLS-DSK><1D9666D9><1><SIP Communications Service><server.contoso.com><d5f2b95d5be64c2cbfb38aa5d3a87ae7><3><REGISTER><sip:alice@contoso.com><22fafb15b8><sip:alice@contoso.com><9588410E2DA11CEE9D0AE7733E07830F><><><7200><200>"
        );
        let tag = mac(&keys(), true, &buf);
        assert_eq!(to_hex(&tag), "38c3281f821cce3f0a13ced1d3574778b571ded7");
        assert!(verify_hex(&tag, "38C3281F821CCE3F0A13CED1D3574778B571DED7").is_ok());
        assert_eq!(
            verify_hex(&tag, "38c3281f821cce3f0a13ced1d3574778b571ded8"),
            Err(SignError::BadSignature)
        );
        assert_eq!(verify_hex(&tag, "zz"), Err(SignError::BadSignature));
    }

    #[test]
    fn ntlm_buffers_from_sipe_recordings() {
        // tls-dsk.md §6.4: the same buffer format for NTLM (version 4 and legacy version 2).
        let req = msg(
            "REGISTER sip:cosmo.local SIP/2.0\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\nFrom: <sip:user@cosmo.local>;tag=3e49177a52;epid=c8ca638a15\nTo: <sip:user@cosmo.local>\nCall-ID: 4037df9284354df39065195bd57a4b14\nCSeq: 3 REGISTER\nContent-Length: 0\n\n",
        );
        let p = SignatureParams {
            protocol: "NTLM",
            rand: "13317733",
            num: "1",
            realm: "SIP Communications Service",
            targetname: "cosmo-ocs-r2.cosmo.local",
            version: 4,
        };
        assert_eq!(
            String::from_utf8(signature_buffer(&req.message(), &p).unwrap()).unwrap(),
            "<NTLM><13317733><1><SIP Communications Service><cosmo-ocs-r2.cosmo.local><4037df9284354df39065195bd57a4b14><3><REGISTER><sip:user@cosmo.local><3e49177a52><sip:user@cosmo.local><><><><>"
        );
        let v2 = msg(
            "SIP/2.0 200 OK\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\nFrom: <sip:gabriel@ocs.provo.novell.com>;tag=2947328781\nTo: <sip:gabriel@ocs.provo.novell.com>;tag=B816D65C2300A32CFA6D371F2AF537FD\nCall-ID: 8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx\nCSeq: 3 REGISTER\nExpires: 900\nContent-Length: 0\n\n",
        );
        let p = SignatureParams {
            protocol: "NTLM",
            rand: "0878F41B",
            num: "1",
            realm: "SIP Communications Service",
            targetname: "ocs1.ocs.provo.novell.com",
            version: 2,
        };
        assert_eq!(
            String::from_utf8(signature_buffer(&v2.message(), &p).unwrap()).unwrap(),
            "<NTLM><0878F41B><1><SIP Communications Service><ocs1.ocs.provo.novell.com><8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx><3><REGISTER><sip:gabriel@ocs.provo.novell.com><2947328781><B816D65C2300A32CFA6D371F2AF537FD><900><200>"
        );
    }

    #[test]
    fn sipe_extraction_rules() {
        assert_eq!(addr_uri(b"\"A\" <sip:a@b;x=1>;tag=9"), b"sip:a@b;x=1");
        assert_eq!(addr_uri(b"sip:a@b;tag=9"), b"");
        assert_eq!(addr_tag(b"sip:a@b;tag=9;epid=1"), b"9");
        assert_eq!(addr_tag(b"<sip:a@b>"), b"");
        let m = msg(
            "BENOTIFY sip:a@b SIP/2.0\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: c\nCSeq: 7 BENOTIFY\nP-Asserted-Identity: <sip:alice@contoso.com>, <tel:+14255550100>\nContent-Length: 0\n\n",
        );
        let buf = signature_buffer(&m.message(), &params("r", "5")).unwrap();
        assert!(
            String::from_utf8(buf)
                .unwrap()
                .ends_with("<sip:alice@contoso.com><tel:+14255550100><>")
        );
    }

    #[test]
    fn replay_window() {
        let mut w = ReplayWindow::default();
        assert!(w.check(0).is_err());
        for n in [1, 2, 5, 3] {
            w.check(n).unwrap();
            w.accept(n);
        }
        assert_eq!(w.check(3), Err(SignError::Replay(3)));
        assert!(w.check(4).is_ok());
        w.accept(100);
        assert!(w.check(36).is_err(), "too old");
        assert!(w.check(37).is_ok());
    }
}
