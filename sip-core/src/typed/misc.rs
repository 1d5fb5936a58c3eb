use crate::chars::{self, is_token, is_word, trim_lws, utf8};
use crate::error::{ErrorKind, ParseError, err};
use crate::method::Method;
use crate::scan::{Cursor, ParamSyntax, Params};

/// `CSeq: 4711 INVITE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// Sequence number (at most 2^32-1).
    pub seq: u32,
    /// Method.
    pub method: Method<'a>,
}

impl<'a> CSeq<'a> {
    /// Parses a CSeq value; leading zeros and folded white space are accepted
    /// (RFC 4475 §3.1.1.1).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidCSeq`], or [`ErrorKind::NumberOutOfRange`] above 2^32-1.
    ///
    /// ```
    /// use sip_core::{CSeq, Method};
    /// assert_eq!(CSeq::parse(b"0009\r\n  INVITE")?, CSeq { seq: 9, method: Method::Invite });
    /// # Ok::<(), sip_core::ParseError>(())
    /// ```
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        c.skip_lws();
        let start = c.pos();
        let digits = c.take_while(|b| b.is_ascii_digit());
        let seq = chars::parse_decimal(digits, u64::from(u32::MAX)).map_err(|too_big| {
            c.err_at(
                if too_big {
                    ErrorKind::NumberOutOfRange
                } else {
                    ErrorKind::InvalidCSeq
                },
                start,
            )
        })?;
        if !c.skip_lws() {
            return Err(c.err(ErrorKind::InvalidCSeq));
        }
        let method = c.token(ErrorKind::InvalidCSeq)?;
        super::expect_end(&mut c, ErrorKind::InvalidCSeq)?;
        Ok(Self {
            seq: seq as u32,
            method: Method::from_token(method),
        })
    }
}

/// A media type: `application/sdp`, `multipart/mixed;boundary=7a9cbec02ceef655`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// Top-level type.
    pub kind: &'a str,
    /// Subtype.
    pub subtype: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses a media type.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMediaType`] or [`ErrorKind::InvalidParam`].
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        c.skip_lws();
        let kind = c.token(ErrorKind::InvalidMediaType)?;
        if !c.eat_sep(b'/') {
            return Err(c.err(ErrorKind::InvalidMediaType));
        }
        let subtype = c.token(ErrorKind::InvalidMediaType)?;
        let params = Params::read(&mut c, ParamSyntax::Header)?;
        super::expect_end(&mut c, ErrorKind::InvalidMediaType)?;
        Ok(Self {
            kind,
            subtype,
            params,
        })
    }

    /// True if this is `kind/subtype`, ignoring case.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

/// `Event: registration;id=1` (RFC 6665).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event package (`presence`, `registration`, `vnd-microsoft-roaming-contacts` ...).
    pub package: &'a str,
    /// Parameters.
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// Parses an Event value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidToken`] or [`ErrorKind::InvalidParam`].
    pub fn parse(value: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0)
    }

    pub(crate) fn parse_at(value: &'a [u8], base: usize) -> Result<Self, ParseError> {
        let mut c = Cursor::new(value, base);
        c.skip_lws();
        let package = c.token(ErrorKind::InvalidToken)?;
        let params = Params::read(&mut c, ParamSyntax::Header)?;
        super::expect_end(&mut c, ErrorKind::InvalidToken)?;
        Ok(Self { package, params })
    }
}

/// An RFC 1123 date in GMT, as SIP's `Date` header requires (RFC 3261 §20.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of month, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60 (leap second allowed).
    pub second: u8,
}

pub(crate) const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
pub(crate) const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

impl Date {
    /// Parses `Sat, 13 Nov 2010 23:29:00 GMT`. Any other zone is rejected (RFC 4475
    /// §3.1.2.12).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidDate`].
    ///
    /// ```
    /// use sip_core::Date;
    /// let d = Date::parse(b"Wed, 22 Feb 2017 05:27:25 GMT")?;
    /// assert_eq!(d.unix_time(), 1487741245);
    /// assert!(Date::parse(b"Fri, 01 Jan 2010 16:00:00 EST").is_err());
    /// # Ok::<(), sip_core::ParseError>(())
    /// ```
    pub fn parse(value: &[u8]) -> Result<Self, ParseError> {
        Self::parse_at(value, 0)
    }

    pub(crate) fn parse_at(value: &[u8], base: usize) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        let lead = value.len() - value.trim_ascii_start().len();
        let bad = || ParseError::new(ErrorKind::InvalidDate, base + lead);
        // "Wed, 22 Feb 2017 05:27:25 GMT" is exactly 29 bytes.
        if v.len() != 29
            || v[3] != b','
            || v[4] != b' '
            || v[7] != b' '
            || v[11] != b' '
            || v[16] != b' '
            || v[19] != b':'
            || v[22] != b':'
            || v[25] != b' '
            || &v[26..] != b"GMT"
        {
            return Err(bad());
        }
        if !WEEKDAYS.contains(&&v[..3]) {
            return Err(bad());
        }
        let num = |s: &[u8], max: u64| chars::parse_decimal(s, max).map_err(|_| bad());
        let month = MONTHS
            .iter()
            .position(|m| *m == &v[8..11])
            .ok_or_else(bad)? as u8
            + 1;
        let day = num(&v[5..7], 31)? as u8;
        let date = Self {
            year: num(&v[12..16], 9999)? as u16,
            month,
            day,
            hour: num(&v[17..19], 23)? as u8,
            minute: num(&v[20..22], 59)? as u8,
            second: num(&v[23..25], 60)? as u8,
        };
        if day == 0 {
            return Err(bad());
        }
        Ok(date)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_time(&self) -> i64 {
        // Days from civil (Howard Hinnant's algorithm).
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The date of a Unix time, for writing `Date` headers: `Some` for years 0 to 9999
    /// (what the header grammar can hold).
    ///
    /// ```
    /// use sip_core::Date;
    /// let d = Date::from_unix_time(1_487_741_245).unwrap();
    /// assert_eq!(d.to_string(), "Wed, 22 Feb 2017 05:27:25 GMT");
    /// assert_eq!(Date::parse(d.to_string().as_bytes()).unwrap(), d);
    /// ```
    pub fn from_unix_time(secs: i64) -> Option<Self> {
        // Civil from days (Howard Hinnant's algorithm), the inverse of `unix_time`.
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Some(Self {
            year: u16::try_from(year).ok().filter(|y| *y <= 9999)?,
            month: month as u8,
            day: day as u8,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        })
    }

    /// Day of the week, 0 = Monday.
    fn weekday(&self) -> usize {
        // 1970-01-01 was a Thursday.
        (self.unix_time().div_euclid(86_400) + 3).rem_euclid(7) as usize
    }
}

/// The RFC 1123 form a `Date` header carries: `Wed, 22 Feb 2017 05:27:25 GMT`.
impl core::fmt::Display for Date {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = |b: &'static [u8]| core::str::from_utf8(b).unwrap_or("?");
        write!(
            f,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            name(WEEKDAYS[self.weekday()]),
            self.day,
            name(MONTHS[usize::from(self.month.clamp(1, 12)) - 1]),
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// `Call-ID = word ["@" word]`.
pub(crate) fn parse_call_id(value: &[u8], base: usize) -> Result<&str, ParseError> {
    let v = trim_lws(value);
    let lead = value.len() - value.trim_ascii_start().len();
    let mut parts = v.splitn(2, |&b| b == b'@');
    let ok = parts.all(|p| !p.is_empty() && p.iter().all(|&b| is_word(b)));
    if !ok {
        return err(ErrorKind::InvalidCallId, base + lead);
    }
    Ok(utf8(v).unwrap_or_default())
}

/// A decimal number no larger than `max`.
pub(crate) fn parse_number(value: &[u8], base: usize, max: u64) -> Result<u64, ParseError> {
    let lead = value.len() - value.trim_ascii_start().len();
    chars::parse_decimal(trim_lws(value), max).map_err(|too_big| {
        let kind = if too_big {
            ErrorKind::NumberOutOfRange
        } else {
            ErrorKind::InvalidNumber
        };
        ParseError::new(kind, base + lead)
    })
}

/// A single token.
pub(crate) fn parse_token(value: &[u8], base: usize) -> Result<&str, ParseError> {
    let v = trim_lws(value);
    if v.is_empty() || !v.iter().all(|&b| is_token(b)) {
        return err(ErrorKind::InvalidToken, base);
    }
    Ok(utf8(v).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse(b"36893488147419103232 REGISTER")
                .unwrap_err()
                .kind(),
            ErrorKind::NumberOutOfRange
        );
        assert_eq!(
            CSeq::parse(b"8 INVITE x").unwrap_err().kind(),
            ErrorKind::InvalidCSeq
        );
        assert_eq!(
            CSeq::parse(b"INVITE").unwrap_err().kind(),
            ErrorKind::InvalidCSeq
        );
        assert_eq!(
            CSeq::parse(b"4294967295 RE%47IST%45R")
                .unwrap()
                .method
                .as_str(),
            "RE%47IST%45R"
        );
    }

    #[test]
    fn media_type_and_event() {
        let m = MediaType::parse(b"multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(m.is("Multipart", "MIXED"));
        assert_eq!(m.params.value("boundary"), Some("7a9cbec02ceef655"));
        assert!(MediaType::parse(b"application").is_err());
        let e = Event::parse(b"registration;id=1").unwrap();
        assert_eq!(
            (e.package, e.params.value("id")),
            ("registration", Some("1"))
        );
    }

    #[test]
    fn dates() {
        let d = Date::parse(b"Sat, 15 Oct 2005 04:44:56 GMT").unwrap();
        assert_eq!((d.year, d.month, d.day), (2005, 10, 15));
        assert_eq!(
            Date::parse(b"Thu, 01 Jan 1970 00:00:00 GMT")
                .unwrap()
                .unix_time(),
            0
        );
        assert!(Date::parse(b"Fri, 01 Jan 2010 16:00:00 EST").is_err());
        assert!(Date::parse(b"Fri, 01 Foo 2010 16:00:00 GMT").is_err());
    }

    #[test]
    fn call_ids() {
        assert!(parse_call_id(b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", 0).is_ok());
        assert!(parse_call_id(b"a@b@c", 0).is_err());
        assert!(parse_call_id(b"", 0).is_err());
        assert!(parse_call_id(b"a b", 0).is_err());
    }
}
