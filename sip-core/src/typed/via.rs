use crate::chars::{self, is_token};
use crate::error::{ErrorKind, ParseError};
use crate::scan::{Cursor, ParamSyntax, Params};
use crate::uri::{Host, read_host};

/// One Via value (RFC 3261 §20.42): `SIP/2.0/TLS host:port;branch=...;received=...`.
///
/// ```
/// use sip_core::{Host, Via};
/// let v = Via::parse(b"SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3;rport;received=192.0.2.200")?;
/// assert_eq!(v.transport, "UDP");
/// assert_eq!(v.host, Host::Ipv6("2001:db8::9:1"));
/// assert_eq!(v.port, Some(6050));
/// assert_eq!(v.branch(), Some("z9hG4bKas3"));
/// assert_eq!(v.rport(), Some(None));
/// assert_eq!(v.received(), Some("192.0.2.200"));
/// # Ok::<(), sip_core::ParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// Protocol name, `SIP` in practice.
    pub protocol: &'a str,
    /// Protocol version, `2.0` in practice.
    pub version: &'a str,
    /// Transport as on the wire (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or anything else).
    pub transport: &'a str,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port, if given.
    pub port: Option<u16>,
    /// All parameters, known and unknown, in order.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one Via value (not a comma-separated list; use
    /// [`Message::via`](crate::Message::via) for those).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidVia`] for a bad sent-protocol or sent-by, [`ErrorKind::InvalidParam`]
    /// for a malformed parameter, [`ErrorKind::NumberOutOfRange`] for `ttl` or `rport`
    /// out of range.
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0, false)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize, strict: bool) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        c.skip_lws();
        let protocol = c.token(ErrorKind::InvalidVia)?;
        if !c.eat_sep(b'/') {
            return Err(c.err(ErrorKind::InvalidVia));
        }
        let version = c.token(ErrorKind::InvalidVia)?;
        if !c.eat_sep(b'/') {
            return Err(c.err(ErrorKind::InvalidVia));
        }
        let transport = c.token(ErrorKind::InvalidVia)?;
        if !c.skip_lws() {
            return Err(c.err(ErrorKind::InvalidVia));
        }
        let host = read_host(&mut c, strict).map_err(|e| {
            if e.kind() == ErrorKind::InvalidUri {
                c.err(ErrorKind::InvalidVia)
            } else {
                e
            }
        })?;
        let port = if c.eat_sep(b':') {
            let start = c.pos();
            let digits = c.take_while(|b| b.is_ascii_digit());
            let p = chars::parse_decimal(digits, 65535)
                .map_err(|_| c.err_at(ErrorKind::InvalidPort, start))?;
            Some(p as u16)
        } else {
            None
        };
        let params_at = c.pos();
        let params = Params::read(&mut c, ParamSyntax::Header)?;
        super::expect_end(&mut c, ErrorKind::InvalidVia)?;
        let via = Self {
            protocol,
            version,
            transport,
            host,
            port,
            params,
        };
        via.check_params(base + params_at)?;
        Ok(via)
    }

    fn check_params(&self, at: usize) -> Result<(), ParseError> {
        let range = |v: Option<&str>, max: u64| match v {
            Some(v) => chars::parse_decimal(v.as_bytes(), max)
                .map(|_| ())
                .map_err(|too_big| {
                    let kind = if too_big {
                        ErrorKind::NumberOutOfRange
                    } else {
                        ErrorKind::InvalidNumber
                    };
                    ParseError::new(kind, at)
                }),
            None => Ok(()),
        };
        // One pass over the list: ttl and rport in range, branch a token.
        for p in self.params.iter() {
            if p.name.eq_ignore_ascii_case("branch") {
                if p.value.is_none_or(|b| !b.bytes().all(is_token)) {
                    return Err(ParseError::new(ErrorKind::InvalidParam, at));
                }
            } else if p.name.eq_ignore_ascii_case("ttl") {
                range(p.value, 255)?;
            } else if p.name.eq_ignore_ascii_case("rport") {
                range(p.value, 65535)?;
            }
        }
        Ok(())
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.value("branch")
    }

    /// The `received` parameter (brackets of an IPv6 reference kept as sent).
    pub fn received(&self) -> Option<&'a str> {
        self.params.value("received")
    }

    /// The `rport` parameter: `Some(None)` when present without value (a request asking
    /// for it), `Some(Some(port))` when filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|v| v.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.value("maddr")
    }

    /// The `ttl` parameter.
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl").and_then(|v| v.parse().ok())
    }

    /// True if the branch carries the RFC 3261 magic cookie `z9hG4bK` and something after
    /// it (RFC 4475 §3.2.1).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }

    /// `host[:port]` as text (IPv6 in brackets).
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tortuous_vias() {
        let v = Via::parse(b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!((v.protocol, v.version, v.transport), ("SIP", "2.0", "UDP"));
        assert_eq!(v.host, Host::Ipv4("192.0.2.2"));
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
        let v = Via::parse(
            b"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
        )
        .unwrap();
        assert_eq!(v.host, Host::Domain("spindle.example.com"));
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        let v =
            Via::parse(b"SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3")
                .unwrap();
        assert_eq!(v.received(), Some("2001:db8::9:255"));
        let v = Via::parse(b"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255]").unwrap();
        assert_eq!(v.received(), Some("[2001:db8::9:255]"));
        let v = Via::parse(
            b"SIP/2.0/TLS 10.222.202.232:60618;branch=z9hG4bK323718ed169BD992;ms-received-cid=1A00",
        )
        .unwrap();
        assert_eq!(v.port, Some(60618));
        assert_eq!(v.params.value("ms-received-cid"), Some("1A00"));
        let v = Via::parse(b"SIP/2.0/UDP host : 5060").unwrap();
        assert_eq!(v.port, Some(5060));
    }

    #[test]
    fn bad_vias() {
        for bad in [
            &b"SIP/2.0/UDP 192.0.2.15;;"[..],
            b"SIP/2.0 host",
            b"SIP/2.0/UDP",
            b"SIP/2.0/UDP host;ttl=300",
            b"SIP/2.0/UDP host junk",
            b"SIP/2.0/UDPhost",
            b"SIP/2.0/UDP host:99999",
        ] {
            assert!(Via::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;ttl=300").unwrap_err().kind(),
            ErrorKind::NumberOutOfRange
        );
    }
}
