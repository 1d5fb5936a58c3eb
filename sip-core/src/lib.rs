//! A zero-copy SIP (RFC 3261) message parser, serializer and builder, with the Microsoft
//! Lync / Skype for Business extensions (`TLS-DSK`, `NTLM` and `Kerberos` authentication
//! headers, `SERVICE`/`BENOTIFY`, `ms-*` headers and parameters).
//!
//! What this crate does **not** do: it opens no sockets, reads no clock, spawns no tasks and
//! runs no transactions or dialogs. It turns bytes into messages and messages into bytes;
//! the caller moves the bytes. [`StreamFramer`] frames a byte stream without I/O; the
//! optional `codec` feature wraps it as a tokio codec.
//!
//! ```text
//!   bytes from the wire ──► parse() ──► Message<'a> ──► typed accessors (lazy, borrowed)
//!        (&[u8] or Bytes)      │            │            via(), from(), cseq(), www_authenticate() ...
//!                              │            └──► write_canonical() / wire_bytes() ──► bytes
//!   caller's [HeaderSlot; N] ◄─┘   SipMessage (owned: one Bytes + header index)
//!                                  MessageBuilder ──► SipMessage
//! ```
//!
//! # Example
//!
//! ```
//! use sip_core::{parse_with, Framing, Method, ParserConfig, Status, EMPTY_HEADER};
//!
//! let datagram = b"REGISTER sip:contoso.com SIP/2.0\r\n\
//! Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK323718ed\r\n\
//! From: \"vvx\" <sip:vvx@contoso.com>;tag=B9A92F89;epid=0004f2ae4b0d\r\n\
//! To: <sip:vvx@contoso.com>\r\n\
//! Call-ID: 7fae79d87a29829ae54a8b3071ae4b0d\r\n\
//! CSeq: 2 REGISTER\r\n\
//! Authorization: TLS-DSK qop=\"auth\", realm=\"SIP Communications Service\", \
//! targetname=\"fe.contoso.com\", gssapi-data=\"FgMBAEQ=\", version=4\r\n\
//! Content-Length: 0\r\n\r\n";
//!
//! let mut slots = [EMPTY_HEADER; 32];
//! let config = ParserConfig::default().framing(Framing::Datagram);
//! let Status::Complete(msg) = parse_with(datagram, &mut slots, &config)? else { unreachable!() };
//!
//! assert_eq!(msg.method(), Some(Method::Register));
//! assert_eq!(msg.from()?.tag(), Some("B9A92F89"));
//! assert_eq!(msg.from()?.epid(), Some("0004f2ae4b0d"));
//! assert_eq!(msg.top_via()?.branch(), Some("z9hG4bK323718ed"));
//! let auth = msg.authorization().next().unwrap()?;
//! assert_eq!(auth.scheme, "TLS-DSK");
//! assert_eq!(auth.params.get_unquoted("gssapi-data").as_deref(), Some("FgMBAEQ="));
//! // Raw values stay reachable byte for byte, as TLS-DSK signatures need.
//! assert_eq!(msg.headers().first(sip_core::KnownHeader::CallId).unwrap().value(), b"7fae79d87a29829ae54a8b3071ae4b0d");
//! # Ok::<(), sip_core::ParseError>(())
//! ```
//!
//! # Design
//!
//! - **Borrowed parsing allocates nothing.** [`parse`] fills caller-supplied
//!   [`HeaderSlot`]s (see [`EMPTY_HEADER`]) with positions and returns a [`Message`] that
//!   borrows the input. [`Status::Partial`] means "read more", not an error.
//! - **Owned messages share one buffer.** [`SipMessage`] keeps the input [`bytes::Bytes`]
//!   and a header index; bodies and values are slices of that buffer.
//! - **Typed access is lazy.** [`Via`], [`NameAddr`], [`Contact`], [`CSeq`], [`Uri`],
//!   [`Authentication`] and friends are parsed from the raw value on request, borrow from
//!   it, and keep unknown parameters.
//! - **Nothing is lost.** Unknown methods, headers, parameters and URI schemes are kept;
//!   every header keeps its raw name and value ([`Header::value`]).
//! - **Two modes.** [`Mode::Strict`] rejects every invalid message of RFC 4475 with a
//!   specific [`ErrorKind`]; [`Mode::Lenient`] accepts what deployments send and documents
//!   exactly what it relaxes.
//! - **Hard limits.** [`Limits`] bounds line length, header count, header section and body
//!   size. No input makes the parser panic or buffer without bound.
//!
//! # Crate features
//!
//! - `codec`: `SipCodec`, a `tokio_util::codec` Decoder/Encoder over [`StreamFramer`].
//!   Off by default; without it the crate has no tokio dependency.
//!
//! The crate is `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod chars;
mod check;
#[cfg(feature = "codec")]
mod codec;
mod config;
mod error;
mod framer;
mod header;
mod message;
mod method;
mod owned;
mod parse;
mod scan;
mod typed;
mod uri;
mod validate;

#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use builder::{BuildError, MessageBuilder};
#[cfg(feature = "codec")]
pub use codec::{CodecError, SipCodec};
pub use config::{Framing, Limits, Mode, ParserConfig};
pub use error::{ErrorKind, ParseError};
pub use framer::{Frame, FramingError, StreamFramer, decode_datagram};
pub use header::{EMPTY_HEADER, Header, HeaderIter, HeaderSlot, Headers, KnownHeader, Unfolded};
pub use message::{Kind, Message};
pub use method::Method;
pub use owned::SipMessage;
pub use parse::{Status, parse, parse_with};
pub use scan::{Param, ParamIter, Params, unquote};
pub use typed::{
    AuthParam, AuthParams, Authentication, AuthenticationInfo, CSeq, Challenges, Contact, Date,
    Event, MediaType, NameAddr, Via,
};
pub use uri::{AbsoluteUri, Host, SipUri, TelUri, Uri, percent_decode};
