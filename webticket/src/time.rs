//! Passed-in time: a Unix timestamp newtype and `xsd:dateTime` conversion.
//!
//! This crate never reads a clock. Every function that needs the current time takes a
//! [`UnixTime`] the caller obtained (`SystemTime::now()` in production, a simulated clock
//! in tests).

use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z (UTC, leap seconds ignored, as in POSIX time).
///
/// ```
/// use webticket::UnixTime;
///
/// let t = UnixTime::parse_xsd_datetime("2026-01-01T08:00:00Z").unwrap();
/// assert_eq!(t, UnixTime(1_767_254_400));
/// assert_eq!(t.to_xsd_datetime(), "2026-01-01T08:00:00Z");
/// assert_eq!(t + 60, UnixTime(1_767_254_460));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// The timestamp in seconds.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// `self + secs`, saturating at the ends of the range.
    pub const fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Parses an `xsd:dateTime` as used in `wsu:Created` / `wsu:Expires` / SAML
    /// conditions: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`. Fractional seconds are
    /// truncated. A value without a zone designator is taken as UTC (WS-Security requires
    /// UTC; this is the lenient reading). Returns `None` when the text is not such a date.
    pub fn parse_xsd_datetime(text: &str) -> Option<Self> {
        let b = text.trim().as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let minute = digits(&b[14..16])?;
        let second = digits(&b[17..19])?;
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 24
            || minute > 59
            || second > 60
            || (hour == 24 && (minute != 0 || second != 0))
        {
            return None;
        }
        let mut rest = &b[19..];
        if let Some((&b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
        let offset = match rest {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let h = digits(&[*h1, *h2])?;
                let m = digits(&[*m1, *m2])?;
                if h > 14 || m > 59 {
                    return None;
                }
                let o = (h * 3600 + m * 60) as i64;
                if *sign == b'+' { o } else { -o }
            }
            _ => return None,
        };
        let days = days_from_civil(year as i64, month, day);
        let secs = days * 86_400 + (hour * 3600 + minute * 60 + second.min(59)) as i64;
        Some(Self(secs - offset))
    }

    /// Formats as `YYYY-MM-DDThh:mm:ssZ` (the canonical UTC form). Years outside
    /// 0000..=9999 are clamped to that range.
    pub fn to_xsd_datetime(self) -> String {
        let clamped = self.0.clamp(-62_167_219_200, 253_402_300_799);
        let days = clamped.div_euclid(86_400);
        let sod = clamped.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

impl std::ops::Add<i64> for UnixTime {
    type Output = Self;
    fn add(self, rhs: i64) -> Self {
        self.plus(rhs)
    }
}

impl std::ops::Sub<i64> for UnixTime {
    type Output = Self;
    fn sub(self, rhs: i64) -> Self {
        self.plus(rhs.saturating_neg())
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xsd_datetime())
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::UnixTime;

    #[test]
    fn round_trips_and_offsets() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-01-01T00:00:00Z", 1_767_225_600),
            ("2026-01-01T00:00:00.9999Z", 1_767_225_600),
            ("2026-01-01T01:00:00+01:00", 1_767_225_600),
            ("2025-12-31T23:00:00-01:00", 1_767_225_600),
            ("2026-01-01T00:00:00", 1_767_225_600),
            ("2000-02-29T12:34:56Z", 951_827_696),
            ("1969-12-31T23:59:59Z", -1),
        ];
        for (text, secs) in cases {
            assert_eq!(
                UnixTime::parse_xsd_datetime(text),
                Some(UnixTime(secs)),
                "{text}"
            );
        }
        for secs in [0, 951_827_696, 1_767_225_600, -1, 4_102_444_800] {
            let t = UnixTime(secs);
            assert_eq!(UnixTime::parse_xsd_datetime(&t.to_xsd_datetime()), Some(t));
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+1:00",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00Zjunk",
            "２026-01-01T00:00:00Z",
        ] {
            assert_eq!(UnixTime::parse_xsd_datetime(text), None, "{text}");
        }
    }
}
