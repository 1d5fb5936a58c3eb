//! SIP over UDP and TCP with tokio: the one place where sockets meet `sip-core`.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_core::{Frame, ParserConfig, SipCodec, SipMessage, decode_datagram};
use tokio::net::{TcpStream, UdpSocket};
use tokio_util::codec::Framed;

/// Which transport a command uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// The Via transport token.
    pub(crate) fn via_token(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
        }
    }
    /// The `transport=` URI parameter.
    pub(crate) fn param(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
        }
    }
}

/// Largest UDP datagram we read.
const MAX_DATAGRAM: usize = 65_535;

/// A connection to one peer.
pub(crate) enum Conn {
    Udp { sock: UdpSocket, peer: SocketAddr },
    Tcp(Box<Framed<TcpStream, SipCodec>>),
}

impl Conn {
    pub(crate) async fn connect(
        transport: Transport,
        bind: SocketAddr,
        peer: SocketAddr,
    ) -> std::io::Result<Self> {
        Ok(match transport {
            Transport::Udp => {
                let sock = UdpSocket::bind(bind).await?;
                Self::Udp { sock, peer }
            }
            Transport::Tcp => {
                let stream = TcpStream::connect(peer).await?;
                Self::Tcp(Box::new(Framed::new(
                    stream,
                    SipCodec::new(ParserConfig::default()),
                )))
            }
        })
    }

    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Self::Udp { sock, .. } => sock.local_addr(),
            Self::Tcp(f) => f.get_ref().local_addr(),
        }
    }

    pub(crate) async fn send(&mut self, m: &SipMessage) -> Result<(), String> {
        match self {
            Self::Udp { sock, peer } => sock
                .send_to(m.message().wire_bytes(), *peer)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Self::Tcp(f) => f
                .send(Frame::Message(m.clone()))
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// The next message, skipping keep-alives and datagrams that do not parse.
    pub(crate) async fn recv(&mut self, timeout: Duration) -> Result<SipMessage, String> {
        let fut = async {
            loop {
                match self {
                    Self::Udp { sock, .. } => {
                        let mut buf = vec![0u8; MAX_DATAGRAM];
                        let (n, _) = sock.recv_from(&mut buf).await.map_err(|e| e.to_string())?;
                        buf.truncate(n);
                        if let Ok(Frame::Message(m)) =
                            decode_datagram(Bytes::from(buf), &ParserConfig::default())
                        {
                            return Ok(m);
                        }
                    }
                    Self::Tcp(f) => match f.next().await {
                        Some(Ok(Frame::Message(m))) => return Ok(m),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(e.to_string()),
                        None => return Err("connection closed by peer".into()),
                    },
                }
            }
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))?
    }
}
