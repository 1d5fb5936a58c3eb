//! Building and serializing the same INVITE (`data/invite_sdp.sip`: eleven headers, an SDP
//! offer and Content-Length) with sip-core and with rsip.
//!
//! - [`sip_core_bytes`]: `MessageBuilder` with string values, `into_bytes()` (no parse back).
//! - [`sip_core_built`]: the same, `build()`: the result is parsed back strictly, so it
//!   is known valid; then its wire bytes.
//! - [`rsip_typed`]: rsip's typed structs (`typed::Via`, `typed::From`, ...), as rsip's
//!   README builds requests, then `Vec<u8>::from(request)`.
//! - [`rsip_untyped`]: rsip's untyped headers from strings, then `Vec<u8>::from(request)`.

use bytes::{Bytes, BytesMut};
use sip_core::{KnownHeader as H, MessageBuilder, Method, SipMessage};

/// The SDP offer of `invite_sdp.sip`, with CRLF line endings.
pub const SDP_OFFER: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0 8 9 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

const VIA: &str = "SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9";
const FROM: &str = "\"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl";
const TO: &str = "Bob <sip:bob@biloxi.example.com>";
const CALL_ID: &str = "3848276298220188511@atlanta.example.com";
const CONTACT: &str = "<sip:alice@client.atlanta.example.com;transport=tcp>";
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY";
const SUPPORTED: &str = "replaces, timer, 100rel";
const USER_AGENT: &str = "ExampleSoftphone/4.2.1";

fn sip_core_builder(body: Bytes) -> MessageBuilder {
    MessageBuilder::request(Method::Invite, "sip:bob@biloxi.example.com")
        .header(H::Via, VIA)
        .header(H::MaxForwards, "70")
        .header(H::From, FROM)
        .header(H::To, TO)
        .header(H::CallId, CALL_ID)
        .header(H::CSeq, "1 INVITE")
        .header(H::Contact, CONTACT)
        .header(H::Allow, ALLOW)
        .header(H::Supported, SUPPORTED)
        .header(H::UserAgent, USER_AGENT)
        .header(H::ContentType, "application/sdp")
        .body(body)
}

/// sip-core: build and serialize, without parsing the result back.
///
/// # Panics
///
/// Never for these constant inputs.
pub fn sip_core_bytes() -> BytesMut {
    sip_core_builder(Bytes::from_static(SDP_OFFER.as_bytes()))
        .into_bytes()
        .expect("valid builder input")
}

/// sip-core: build, validate by parsing back strictly, and return the message (its
/// `wire()` is the serialized form).
///
/// # Panics
///
/// Never for these constant inputs.
pub fn sip_core_built() -> SipMessage {
    sip_core_builder(Bytes::from_static(SDP_OFFER.as_bytes()))
        .build()
        .expect("valid message")
}

fn rsip_request_uri() -> rsip::Uri {
    rsip::Uri {
        scheme: Some(rsip::Scheme::Sip),
        auth: Some(("bob", Option::<String>::None).into()),
        host_with_port: rsip::Domain::from("biloxi.example.com").into(),
        ..Default::default()
    }
}

/// rsip: typed headers where rsip has them (Via, From, To, CSeq, Contact), as rsip's
/// README builds a request; untyped for the rest; then serialized to bytes.
pub fn rsip_typed() -> Vec<u8> {
    let mut headers = rsip::Headers::default();
    headers.push(
        rsip::typed::Via {
            version: rsip::Version::V2,
            transport: rsip::Transport::Tcp,
            uri: rsip::Uri {
                host_with_port: (rsip::Domain::from("client.atlanta.example.com"), 5060).into(),
                ..Default::default()
            },
            params: vec![rsip::Param::Branch(rsip::param::Branch::new(
                "z9hG4bK74bf9",
            ))],
        }
        .into(),
    );
    headers.push(rsip::headers::MaxForwards::from(70u32).into());
    headers.push(
        rsip::typed::From {
            display_name: Some("\"Alice\"".into()),
            uri: rsip::Uri {
                scheme: Some(rsip::Scheme::Sip),
                auth: Some(("alice", Option::<String>::None).into()),
                host_with_port: rsip::Domain::from("atlanta.example.com").into(),
                ..Default::default()
            },
            params: vec![rsip::Param::Tag(rsip::param::Tag::new("9fxced76sl"))],
        }
        .into(),
    );
    headers.push(
        rsip::typed::To {
            display_name: Some("Bob".into()),
            uri: rsip_request_uri(),
            params: Vec::new(),
        }
        .into(),
    );
    headers.push(rsip::headers::CallId::from(CALL_ID).into());
    headers.push(
        rsip::typed::CSeq {
            seq: 1,
            method: rsip::Method::Invite,
        }
        .into(),
    );
    headers.push(
        rsip::typed::Contact {
            display_name: None,
            uri: rsip::Uri {
                scheme: Some(rsip::Scheme::Sip),
                auth: Some(("alice", Option::<String>::None).into()),
                host_with_port: rsip::Domain::from("client.atlanta.example.com").into(),
                params: vec![rsip::Param::Transport(rsip::Transport::Tcp)],
                ..Default::default()
            },
            params: Vec::new(),
        }
        .into(),
    );
    headers.push(rsip::headers::Allow::from(ALLOW).into());
    headers.push(rsip::headers::Supported::from(SUPPORTED).into());
    headers.push(rsip::headers::UserAgent::from(USER_AGENT).into());
    headers.push(rsip::headers::ContentType::from("application/sdp").into());
    headers.push(rsip::headers::ContentLength::from(SDP_OFFER.len() as u32).into());
    rsip::Request {
        method: rsip::Method::Invite,
        uri: rsip_request_uri(),
        version: rsip::Version::V2,
        headers,
        body: SDP_OFFER.as_bytes().to_vec(),
    }
    .into()
}

/// rsip: every header untyped, from the same strings sip-core's builder gets, then
/// serialized to bytes.
pub fn rsip_untyped() -> Vec<u8> {
    let mut headers = rsip::Headers::default();
    headers.push(rsip::headers::Via::from(VIA).into());
    headers.push(rsip::headers::MaxForwards::from("70").into());
    headers.push(rsip::headers::From::from(FROM).into());
    headers.push(rsip::headers::To::from(TO).into());
    headers.push(rsip::headers::CallId::from(CALL_ID).into());
    headers.push(rsip::headers::CSeq::from("1 INVITE").into());
    headers.push(rsip::headers::Contact::from(CONTACT).into());
    headers.push(rsip::headers::Allow::from(ALLOW).into());
    headers.push(rsip::headers::Supported::from(SUPPORTED).into());
    headers.push(rsip::headers::UserAgent::from(USER_AGENT).into());
    headers.push(rsip::headers::ContentType::from("application/sdp").into());
    headers.push(rsip::headers::ContentLength::from(SDP_OFFER.len() as u32).into());
    rsip::Request {
        method: rsip::Method::Invite,
        uri: rsip_request_uri(),
        version: rsip::Version::V2,
        headers,
        body: SDP_OFFER.as_bytes().to_vec(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contenders::Id;
    use crate::data::Sample;

    fn as_sample(bytes: Vec<u8>) -> Sample {
        Sample {
            name: "built",
            description: "built",
            bytes: Bytes::from(bytes),
        }
    }

    /// Every builder gives a strictly valid message with the answers, header count and
    /// body of `invite_sdp.sip`.
    #[test]
    fn every_builder_gives_the_same_invite() {
        let file = crate::data::samples()
            .into_iter()
            .find(|s| s.name == "invite_sdp.sip")
            .unwrap();
        let reference = Id::SipCoreTyped.answers(&file).unwrap().unwrap();
        let built = sip_core_built();
        assert_eq!(&built.wire()[..], &sip_core_bytes()[..]);
        assert_eq!(&built.wire()[..], file.as_slice());
        for (name, bytes) in [
            ("sip-core", sip_core_bytes().to_vec()),
            ("rsip typed", rsip_typed()),
            ("rsip untyped", rsip_untyped()),
        ] {
            let s = as_sample(bytes);
            let answers = Id::SipCoreTyped.answers(&s);
            assert_eq!(answers, Ok(Some(reference.clone())), "{name}");
            let m = SipMessage::parse(s.bytes.clone()).unwrap();
            assert_eq!(m.headers().len(), 12, "{name}");
            assert_eq!(&m.body()[..], SDP_OFFER.as_bytes(), "{name}");
        }
    }
}
