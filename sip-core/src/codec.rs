//! `tokio_util::codec` support, behind the `codec` feature.

use std::io;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::config::ParserConfig;
use crate::framer::{Frame, FramingError, StreamFramer};
#[cfg(doc)]
use crate::owned::SipMessage;

/// A [`Decoder`]/[`Encoder`] for SIP over a byte stream (TCP, TLS), built on
/// [`StreamFramer`]: the same framing, keep-alive events and memory bound.
///
/// Decoding yields [`Frame`]s and encoding takes them: a message is written as its wire
/// bytes, a ping as `CRLFCRLF`, a pong as `CRLF`. A [`SipMessage`] converts into a
/// frame with `.into()`.
///
/// After a decoding error the connection is unusable (the framing is lost): close it.
///
/// ```no_run
/// # async fn demo(stream: tokio::net::TcpStream) -> Result<(), sip_core::CodecError> {
/// use futures_util::{SinkExt, StreamExt};
/// use sip_core::{Frame, ParserConfig, SipCodec};
/// use tokio_util::codec::Framed;
/// let mut conn = Framed::new(stream, SipCodec::new(ParserConfig::default()));
/// while let Some(frame) = conn.next().await {
///     match frame? {
///         Frame::Ping => conn.send(Frame::Pong).await?,
///         Frame::Message(m) => println!("{:?}", m.message().method()),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SipCodec {
    framer: StreamFramer,
}

impl SipCodec {
    /// A codec with the given parser configuration (framing is forced to stream).
    pub fn new(config: ParserConfig) -> Self {
        Self {
            framer: StreamFramer::new(config),
        }
    }

    /// A codec around a configured framer (for a custom buffer bound).
    pub fn with_framer(framer: StreamFramer) -> Self {
        Self { framer }
    }
}

impl Default for SipCodec {
    fn default() -> Self {
        Self::new(ParserConfig::default())
    }
}

/// Errors of [`SipCodec`].
#[derive(Debug)]
#[non_exhaustive]
pub enum CodecError {
    /// The stream could not be framed; close the connection.
    Framing(FramingError),
    /// The transport failed.
    Io(io::Error),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Framing(e) => e.fmt(f),
            Self::Io(e) => write!(f, "transport error: {e}"),
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Framing(e) => Some(e),
            Self::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for CodecError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<FramingError> for CodecError {
    fn from(e: FramingError) -> Self {
        Self::Framing(e)
    }
}

impl Decoder for SipCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.framer.decode(src)?)
    }
}

impl Encoder<Frame> for SipCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        match item {
            Frame::Message(m) | Frame::Invalid { message: m, .. } => {
                dst.extend_from_slice(m.message().wire_bytes());
                Ok(())
            }
            Frame::Ping => {
                dst.extend_from_slice(b"\r\n\r\n");
                Ok(())
            }
            Frame::Pong => {
                dst.extend_from_slice(b"\r\n");
                Ok(())
            }
        }
    }
}
