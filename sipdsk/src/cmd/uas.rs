//! `sipdsk uas`: a minimal user agent server that answers calls (INVITE/ACK/BYE), OPTIONS
//! and REGISTER over UDP or TCP. It exists to prove `sip-core` against real peers (sipp).

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use sip_core::{
    Frame, KnownHeader as H, MessageBuilder, Method, ParserConfig, SipCodec, SipMessage,
    decode_datagram,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::codec::Framed;

use crate::transport::Transport;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (loopback in tests), e.g. 127.0.0.1:5070.
    #[arg(long)]
    bind: SocketAddr,
    /// Transport.
    #[arg(long, value_enum, default_value = "udp")]
    transport: Transport,
    /// Stop after this many seconds (0 = run until killed).
    #[arg(long, default_value_t = 0)]
    duration: u64,
}

/// What the UAS sends back for one incoming frame. Pure: no I/O, so it is unit-tested.
pub(crate) fn answer(frame: Frame, contact: &str) -> Vec<Bytes> {
    let request = match frame {
        Frame::Ping => return vec![Bytes::from_static(b"\r\n")],
        Frame::Pong => return vec![],
        Frame::Invalid { message, error } => {
            // Answer what we can read; a response is never answered.
            let m = message.message();
            if !m.is_request() || m.method() == Some(Method::Ack) {
                return vec![];
            }
            let reason = format!("Bad Request ({})", error.kind());
            return MessageBuilder::response_to(
                &m,
                error.suggested_status(),
                &reason,
                Some(&to_tag(&m)),
            )
            .build()
            .map(|r| vec![r.wire()])
            .unwrap_or_default();
        }
        Frame::Message(m) => m,
        _ => return vec![],
    };
    let m = request.message();
    let Some(method) = m.method() else {
        return vec![];
    };
    let tag = to_tag(&m);
    let reply =
        |status: u16, reason: &str| MessageBuilder::response_to(&m, status, reason, Some(&tag));
    let built: Vec<Result<SipMessage, _>> = match method {
        Method::Ack => vec![],
        Method::Invite => {
            let sdp = "v=0\r\no=sipdsk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
            vec![
                MessageBuilder::response_to(&m, 100, "Trying", None).build(),
                reply(180, "Ringing").header(H::Contact, contact).build(),
                reply(200, "OK")
                    .header(H::Contact, contact)
                    .header(H::ContentType, "application/sdp")
                    .body(sdp)
                    .build(),
            ]
        }
        Method::Bye | Method::Cancel => vec![reply(200, "OK").build()],
        Method::Options => vec![
            reply(200, "OK")
                .header(H::Allow, "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER")
                .header(H::Contact, contact)
                .build(),
        ],
        Method::Register => {
            let mut r = reply(200, "OK");
            for c in m.headers().of(H::Contact) {
                r = r.header(H::Contact, c.value());
            }
            vec![r.build()]
        }
        _ => vec![reply(501, "Not Implemented").build()],
    };
    built
        .into_iter()
        .filter_map(Result::ok)
        .map(|r| r.wire())
        .collect()
}

/// A To tag that is the same for every response of one call (retransmissions included).
fn to_tag(m: &sip_core::Message<'_>) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    m.call_id().unwrap_or_default().hash(&mut h);
    m.from().ok().and_then(|f| f.tag()).hash(&mut h);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let rt = match super::runtime("uas", 0) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let serve = serve(args.bind, args.transport);
        let result = if args.duration == 0 {
            serve.await
        } else {
            match tokio::time::timeout(Duration::from_secs(args.duration), serve).await {
                Ok(r) => r,
                Err(_) => Ok(()),
            }
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sipdsk uas: {e}");
                ExitCode::from(1)
            }
        }
    })
}

async fn serve(bind: SocketAddr, transport: Transport) -> std::io::Result<()> {
    match transport {
        Transport::Udp => {
            let sock = UdpSocket::bind(bind).await?;
            let local = sock.local_addr()?;
            println!("listening udp {local}");
            let contact = format!("<sip:uas@{local};transport=udp>");
            let mut buf = vec![0u8; 65_535];
            loop {
                let (n, peer) = sock.recv_from(&mut buf).await?;
                let frame = match decode_datagram(
                    Bytes::copy_from_slice(&buf[..n]),
                    &ParserConfig::default(),
                ) {
                    Ok(f) => f,
                    Err(e) => {
                        eprintln!("sipdsk uas: dropped datagram from {peer}: {e}");
                        continue;
                    }
                };
                for out in answer(frame, &contact) {
                    sock.send_to(&out, peer).await?;
                }
            }
        }
        Transport::Tcp => {
            let listener = TcpListener::bind(bind).await?;
            let local = listener.local_addr()?;
            println!("listening tcp {local}");
            let contact = format!("<sip:uas@{local};transport=tcp>");
            loop {
                let (stream, peer) = listener.accept().await?;
                let contact = contact.clone();
                tokio::spawn(async move {
                    let mut conn = Framed::new(stream, SipCodec::default());
                    while let Some(frame) = conn.next().await {
                        let frame = match frame {
                            Ok(f) => f,
                            Err(e) => {
                                eprintln!("sipdsk uas: closing {peer}: {e}");
                                return;
                            }
                        };
                        for out in answer(frame, &contact) {
                            if conn.get_mut().write_all(&out).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Frame {
        Frame::Message(SipMessage::parse(Bytes::from(text.replace('\n', "\r\n"))).unwrap())
    }

    #[test]
    fn invite_gets_trying_ringing_ok_with_one_tag() {
        let invite = request(
            "INVITE sip:uas@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\nFrom: <sip:a@x>;tag=1\nTo: <sip:uas@127.0.0.1>\nCall-ID: c1\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
        );
        let out: Vec<SipMessage> = answer(invite, "<sip:uas@127.0.0.1>")
            .into_iter()
            .map(|b| SipMessage::parse(b).unwrap())
            .collect();
        let codes: Vec<_> = out.iter().map(|m| m.message().status().unwrap()).collect();
        assert_eq!(codes, [100, 180, 200]);
        assert_eq!(out[0].message().to().unwrap().tag(), None);
        assert_eq!(
            out[1].message().to().unwrap().tag(),
            out[2].message().to().unwrap().tag()
        );
        assert!(
            out[2]
                .message()
                .content_type()
                .unwrap()
                .unwrap()
                .is("application", "sdp")
        );
        assert_eq!(
            out[2].message().top_via().unwrap().branch(),
            Some("z9hG4bK1")
        );
    }

    #[test]
    fn ack_is_not_answered_ping_gets_pong_bad_request_gets_400() {
        let ack = request(
            "ACK sip:uas@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\nFrom: <sip:a@x>;tag=1\nTo: <sip:uas@x>;tag=2\nCall-ID: c1\nCSeq: 1 ACK\nContent-Length: 0\n\n",
        );
        assert!(answer(ack, "<sip:u@h>").is_empty());
        assert_eq!(
            answer(Frame::Ping, "<sip:u@h>"),
            vec![Bytes::from_static(b"\r\n")]
        );
        let bad = decode_datagram(
            Bytes::from_static(b"OPTIONS sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK3\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:u@h>\r\nCall-ID: c2\r\nCSeq: 1 INVITE\r\n\r\n"),
            &ParserConfig::default(),
        )
        .unwrap();
        let out = answer(bad, "<sip:u@h>");
        assert_eq!(
            SipMessage::parse(out[0].clone())
                .unwrap()
                .message()
                .status(),
            Some(400)
        );
    }
}
