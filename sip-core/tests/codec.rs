//! The tokio codec over real loopback TCP: 10,000 pipelined messages arrive intact, and
//! an endless header section is cut off at the limit with the buffer bounded.

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use sip_core::{
    CodecError, ErrorKind, Frame, FramingError, KnownHeader as H, Limits, MessageBuilder, Method,
    ParserConfig, SipCodec,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, FramedRead, FramedWrite};

fn message(i: usize) -> sip_core::SipMessage {
    MessageBuilder::request(Method::Message, "sip:bob@127.0.0.1")
        .header(H::Via, format!("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK{i}"))
        .header(H::From, "<sip:alice@127.0.0.1>;tag=a")
        .header(H::To, "<sip:bob@127.0.0.1>")
        .header(H::CallId, format!("pipelined-{i}"))
        .header(H::CSeq, format!("{} MESSAGE", i + 1))
        .header(H::ContentType, "text/plain")
        .body(format!("message number {i} {}", "x".repeat(i % 97)))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pipelined_messages() {
    const N: usize = 10_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut frames = FramedRead::new(sock, SipCodec::default());
        let mut n = 0;
        while let Some(frame) = frames.next().await {
            let m = match frame.unwrap() {
                Frame::Message(m) => m,
                Frame::Ping => continue,
                other => panic!("unexpected frame {other:?}"),
            };
            assert_eq!(m, message(n), "message {n} differs");
            assert_eq!(m.message().wire_bytes(), message(n).message().wire_bytes());
            n += 1;
        }
        n
    });
    let sock = TcpStream::connect(addr).await.unwrap();
    let mut out = FramedWrite::new(sock, SipCodec::default());
    for i in 0..N {
        out.feed(message(i).into()).await.unwrap();
        if i % 7 == 0 {
            // Keep-alives between messages exercise the encoder; the reader skips them.
            out.feed(Frame::Ping).await.unwrap();
        }
    }
    out.flush().await.unwrap();
    out.into_inner().shutdown().await.unwrap();
    let received = tokio::time::timeout(std::time::Duration::from_secs(60), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received, N);
}

/// Records the largest buffer the decoder was ever handed.
struct Watch {
    inner: SipCodec,
    max_seen: usize,
}

impl Decoder for Watch {
    type Item = Frame;
    type Error = CodecError;
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        self.max_seen = self.max_seen.max(src.len());
        let r = self.inner.decode(src);
        if let Ok(Some(Frame::Ping)) = r {
            return self.decode(src);
        }
        r
    }
}

#[tokio::test]
async fn endless_header_section_is_cut_off() {
    const LIMIT: usize = 16 * 1024;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = tokio::spawn(async move {
        let mut sock = TcpStream::connect(addr).await.unwrap();
        sock.write_all(b"REGISTER sip:contoso.com SIP/2.0\r\n")
            .await
            .unwrap();
        let line =
            b"X-Endless: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n";
        // Up to 8 MB, or until the server hangs up.
        for _ in 0..(8 << 20) / line.len() {
            if sock.write_all(line).await.is_err() {
                return true;
            }
        }
        false
    });
    let (sock, _) = listener.accept().await.unwrap();
    let limits = Limits {
        max_header_section: LIMIT,
        ..Limits::default()
    };
    let codec = Watch {
        inner: SipCodec::new(ParserConfig::default().limits(limits)),
        max_seen: 0,
    };
    let mut frames = FramedRead::new(sock, codec);
    let err = frames.next().await.unwrap().unwrap_err();
    assert!(
        matches!(err, CodecError::Framing(FramingError::Parse(e)) if e.kind() == ErrorKind::HeaderSectionTooLarge),
        "{err}"
    );
    let max_seen = frames.decoder().max_seen;
    // FramedRead reads at most its buffer capacity per call; the framer refuses as soon as
    // the section passes the limit, so the buffer never grows far beyond it.
    assert!(
        max_seen <= LIMIT + 64 * 1024,
        "buffer reached {max_seen} bytes"
    );
    assert!(
        frames.read_buffer().is_empty(),
        "the failed framer released its buffer"
    );
    drop(frames);
    assert!(writer.await.unwrap(), "the writer saw the connection close");
}
