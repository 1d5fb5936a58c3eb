//! Header names, header lines and the header list of a message.

use std::fmt;
use std::ops::Range;

use crate::chars::utf8;

macro_rules! known_headers {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal $([$c:literal])? $($list:ident)? ; )*) => {
        /// A header name this crate knows: every RFC 3261 §20 header plus common extensions.
        ///
        /// Names compare case-insensitively and every compact form (RFC 3261 §7.3.3 and the
        /// IANA registry: `i m e l c f s k t v o r b x u a y j d n`) maps to its full name.
        /// Headers not listed here are still parsed and kept; they just have no variant.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum KnownHeader {
            $( $(#[$doc])* #[doc = concat!("`", $name, "`")] $variant, )*
        }

        impl KnownHeader {
            /// Every known header, in declaration order.
            pub const ALL: &'static [KnownHeader] = &[$(Self::$variant,)*];

            /// The canonical full name, as this crate writes it.
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The compact form, if the header has one.
            pub const fn compact(self) -> Option<u8> {
                match self { $( Self::$variant => known_headers!(@c $($c)?), )* }
            }

            /// Whether the header's grammar is a comma-separated list, so that one header
            /// line may carry several values (`Via: a, b`). Values of other headers
            /// (`Date`, `WWW-Authenticate`, unknown headers) are never split at commas.
            pub const fn is_list(self) -> bool {
                match self { $( Self::$variant => known_headers!(@l $($list)?), )* }
            }
        }
    };
    (@c $c:literal) => { Some($c) };
    (@c) => { None };
    (@l list) => { true };
    (@l) => { false };
}

known_headers! {
    Accept = "Accept" list;
    AcceptContact = "Accept-Contact" [b'a'] list;
    AcceptEncoding = "Accept-Encoding" list;
    AcceptLanguage = "Accept-Language" list;
    AlertInfo = "Alert-Info" list;
    Allow = "Allow" list;
    AllowEvents = "Allow-Events" [b'u'] list;
    AuthenticationInfo = "Authentication-Info";
    Authorization = "Authorization";
    CallId = "Call-ID" [b'i'];
    CallInfo = "Call-Info" list;
    Contact = "Contact" [b'm'] list;
    ContentDisposition = "Content-Disposition";
    ContentEncoding = "Content-Encoding" [b'e'] list;
    ContentLanguage = "Content-Language" list;
    ContentLength = "Content-Length" [b'l'];
    ContentType = "Content-Type" [b'c'];
    CSeq = "CSeq";
    Date = "Date";
    ErrorInfo = "Error-Info" list;
    Event = "Event" [b'o'];
    Expires = "Expires";
    From = "From" [b'f'];
    HistoryInfo = "History-Info" list;
    Identity = "Identity" [b'y'];
    IdentityInfo = "Identity-Info" [b'n'];
    InReplyTo = "In-Reply-To" list;
    MaxForwards = "Max-Forwards";
    MimeVersion = "MIME-Version";
    MinExpires = "Min-Expires";
    MinSe = "Min-SE";
    Organization = "Organization";
    PAssertedIdentity = "P-Asserted-Identity" list;
    PPreferredIdentity = "P-Preferred-Identity" list;
    Path = "Path" list;
    Priority = "Priority";
    Privacy = "Privacy";
    ProxyAuthenticate = "Proxy-Authenticate";
    ProxyAuthenticationInfo = "Proxy-Authentication-Info";
    ProxyAuthorization = "Proxy-Authorization";
    ProxyRequire = "Proxy-Require" list;
    RAck = "RAck";
    Reason = "Reason" list;
    RecordRoute = "Record-Route" list;
    ReferTo = "Refer-To" [b'r'];
    ReferredBy = "Referred-By" [b'b'];
    RejectContact = "Reject-Contact" [b'j'] list;
    ReplyTo = "Reply-To";
    RequestDisposition = "Request-Disposition" [b'd'] list;
    Require = "Require" list;
    RetryAfter = "Retry-After";
    Route = "Route" list;
    RSeq = "RSeq";
    Server = "Server";
    ServiceRoute = "Service-Route" list;
    SessionExpires = "Session-Expires" [b'x'];
    Subject = "Subject" [b's'];
    SubscriptionState = "Subscription-State";
    Supported = "Supported" [b'k'] list;
    Timestamp = "Timestamp";
    To = "To" [b't'];
    Unsupported = "Unsupported" list;
    UserAgent = "User-Agent";
    Via = "Via" [b'v'] list;
    Warning = "Warning" list;
    WwwAuthenticate = "WWW-Authenticate";
}

impl KnownHeader {
    /// Looks a header name up, case-insensitively, including compact forms.
    ///
    /// ```
    /// use sip_core::KnownHeader;
    /// assert_eq!(KnownHeader::from_name(b"v"), Some(KnownHeader::Via));
    /// assert_eq!(KnownHeader::from_name(b"call-id"), Some(KnownHeader::CallId));
    /// assert_eq!(KnownHeader::from_name(b"X-Custom"), None);
    /// ```
    pub fn from_name(name: &[u8]) -> Option<Self> {
        // Every known name is a token, so anything else is unknown.
        if !crate::chars::all_token(name) {
            return None;
        }
        let mut window = [0u8; 16];
        if let Some(w) = window.get_mut(..name.len()) {
            w.copy_from_slice(name);
        }
        Self::lookup(name, &window)
    }

    /// [`KnownHeader::from_name`] for a `name` of token bytes, given the 16 bytes that
    /// start with it (what follows the name is ignored): names of up to 16 bytes are
    /// compared as one masked, case-folded 128-bit word, found by a perfect hash of it.
    #[inline]
    pub(crate) fn lookup(name: &[u8], window: &[u8; 16]) -> Option<Self> {
        match name.len() {
            0 => None,
            1 => Self::from_compact(name[0].to_ascii_lowercase()),
            len @ 2..=16 => {
                let key = fold_key(window, len);
                let entry = NAMES.slots[name_hash(key)] as usize;
                match NAMES.entries.get(entry) {
                    Some(&(k, known)) if k == key => Some(known),
                    _ => None,
                }
            }
            _ => Self::lookup_long(name),
        }
    }

    /// [`KnownHeader::lookup`] for names longer than 16 bytes.
    #[inline(never)]
    fn lookup_long(name: &[u8]) -> Option<Self> {
        NAMES
            .long
            .iter()
            .find(|(n, _)| {
                // Equal lengths and last letters first: most long names share a length.
                n.len() == name.len()
                    && n.last().map(u8::to_ascii_lowercase)
                        == name.last().map(u8::to_ascii_lowercase)
                    && name.eq_ignore_ascii_case(n)
            })
            .map(|&(_, h)| h)
    }

    fn from_compact(c: u8) -> Option<Self> {
        Some(match c {
            b'a' => Self::AcceptContact,
            b'b' => Self::ReferredBy,
            b'c' => Self::ContentType,
            b'd' => Self::RequestDisposition,
            b'e' => Self::ContentEncoding,
            b'f' => Self::From,
            b'i' => Self::CallId,
            b'j' => Self::RejectContact,
            b'k' => Self::Supported,
            b'l' => Self::ContentLength,
            b'm' => Self::Contact,
            b'n' => Self::IdentityInfo,
            b'o' => Self::Event,
            b'r' => Self::ReferTo,
            b's' => Self::Subject,
            b't' => Self::To,
            b'u' => Self::AllowEvents,
            b'v' => Self::Via,
            b'x' => Self::SessionExpires,
            b'y' => Self::Identity,
            _ => return None,
        })
    }
}

impl fmt::Display for KnownHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The case-folded key of a header name of at most 16 bytes: its bytes OR 0x20 in a
/// little-endian word. For token bytes this equals the key of a known name (letters and
/// `-`) exactly when the names are equal ignoring ASCII case: OR 0x20 maps only
/// upper- and lower-case letters onto one another, and only CR onto `-`.
const fn key_of(name: &[u8]) -> u128 {
    let mut key = 0u128;
    let mut i = 0;
    while i < name.len() {
        key |= ((name[i] | 0x20) as u128) << (8 * i);
        i += 1;
    }
    key
}

/// [`key_of`] of the first `len` bytes of `window` (all of it for 16 or more).
#[inline]
fn fold_key(window: &[u8; 16], len: usize) -> u128 {
    (u128::from_le_bytes(*window) | u128::from_le_bytes([0x20; 16])) & MASKS[len.min(16)]
}

/// The slot of a [`key_of`] in [`NameTable::slots`]: a multiplicative hash with a
/// multiplier found by search, under which every known name of 2 to 16 bytes has its own
/// slot (checked when the table is built, at compile time).
#[inline]
const fn name_hash(key: u128) -> usize {
    const M: u64 = 0x8e5d_efb6_4007_3431;
    ((key as u64 ^ (key >> 64) as u64).wrapping_mul(M) >> 56) as usize
}

/// The known names by length: 2 to 16 bytes through [`name_hash`], longer ones listed.
struct NameTable {
    /// Index into `entries`, 0 for none.
    slots: [u8; 256],
    /// Key and header; entry 0 is a key no name folds to.
    entries: [(u128, KnownHeader); KnownHeader::ALL.len() + 1],
    long: [(&'static [u8], KnownHeader); LONG_NAMES],
}

/// How many known names are longer than 16 bytes.
const LONG_NAMES: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < KnownHeader::ALL.len() {
        if KnownHeader::ALL[i].as_str().len() > 16 {
            n += 1;
        }
        i += 1;
    }
    n
};

static NAMES: NameTable = {
    let all = KnownHeader::ALL;
    let mut t = NameTable {
        slots: [0; 256],
        entries: [(0, KnownHeader::Accept); KnownHeader::ALL.len() + 1],
        long: [(b"", KnownHeader::Accept); LONG_NAMES],
    };
    let (mut next, mut long) = (1, 0);
    let mut i = 0;
    while i < all.len() {
        let name = all[i].as_str().as_bytes();
        if name.len() > 16 {
            t.long[long] = (name, all[i]);
            long += 1;
        } else {
            let key = key_of(name);
            let slot = name_hash(key);
            assert!(t.slots[slot] == 0, "two known names share a hash slot");
            t.slots[slot] = next as u8;
            t.entries[next] = (key, all[i]);
            next += 1;
        }
        i += 1;
    }
    t
};

/// `MASKS[n]` keeps the low `n` bytes of a key.
static MASKS: [u128; 17] = {
    let mut t = [0u128; 17];
    let mut n = 1;
    while n <= 16 {
        t[n] = u128::MAX >> (8 * (16 - n));
        n += 1;
    }
    t
};

/// Where one header line sits in the message buffer.
///
/// The parser fills a caller-supplied array of these (see [`EMPTY_HEADER`]), so the
/// borrowed parse path allocates nothing. The slot stores offsets, not slices; read headers
/// through [`Message::headers`](crate::Message::headers).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeaderSlot {
    pub(crate) name_start: u32,
    pub(crate) name_len: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
    pub(crate) known: Option<KnownHeader>,
}

/// An unused header slot, to initialise the array passed to [`parse`](crate::parse).
pub const EMPTY_HEADER: HeaderSlot = HeaderSlot {
    name_start: 0,
    name_len: 0,
    value_start: 0,
    value_end: 0,
    known: None,
};

impl fmt::Debug for HeaderSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderSlot")
            .field("name", &(self.name_start..self.name_start + self.name_len))
            .field("value", &(self.value_start..self.value_end))
            .field("known", &self.known)
            .finish()
    }
}

impl HeaderSlot {
    pub(crate) fn value_range(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
    fn name_range(&self) -> Range<usize> {
        self.name_start as usize..(self.name_start + self.name_len) as usize
    }
}

/// One header line as it appears on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    name: &'a [u8],
    value: &'a [u8],
    value_offset: usize,
    known: Option<KnownHeader>,
}

impl<'a> Header<'a> {
    /// The name exactly as on the wire (`v`, `VIA`, `Via`, `X-Foo` ...).
    pub fn name(&self) -> &'a str {
        // Names are token characters (ASCII), checked while parsing.
        utf8(self.name).unwrap_or_default()
    }

    /// The raw value: everything after the colon and leading white space up to the end of
    /// the line, with trailing white space removed. Folded continuation lines are included
    /// unchanged (with their CRLF), so this is exactly what the peer sent; TLS-DSK
    /// signatures cover these bytes.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The raw value as text, if it is UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        utf8(self.value)
    }

    /// The known header this line is, if any (compact forms included).
    pub fn known(&self) -> Option<KnownHeader> {
        self.known
    }

    /// True if this line's name is `name` (compared case-insensitively, compact forms
    /// resolved for known headers).
    pub fn is(&self, name: &str) -> bool {
        match (self.known, KnownHeader::from_name(name.as_bytes())) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.name.eq_ignore_ascii_case(name.as_bytes()),
            _ => false,
        }
    }

    /// Byte offset of the value in the message buffer.
    pub fn value_offset(&self) -> usize {
        self.value_offset
    }

    /// The value with every fold (`[WS] CRLF 1*WS`) replaced by a single space, as an
    /// iterator of byte chunks that borrow from the message (nothing is copied).
    pub fn value_unfolded(&self) -> Unfolded<'a> {
        Unfolded { rest: self.value }
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("name", &self.name())
            .field("value", &String::from_utf8_lossy(self.value))
            .finish()
    }
}

/// Chunks of a header value with folds replaced by single spaces; see
/// [`Header::value_unfolded`].
#[derive(Clone, Debug)]
pub struct Unfolded<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Unfolded<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let lws = self
            .rest
            .iter()
            .take_while(|b| crate::chars::is_lws(**b))
            .count();
        if self.rest[..lws].iter().any(|b| matches!(b, b'\r' | b'\n')) {
            self.rest = &self.rest[lws..];
            return Some(b" ");
        }
        let Some(cr) = memchr::memchr2(b'\r', b'\n', self.rest) else {
            return Some(std::mem::take(&mut self.rest));
        };
        // White space right before a fold belongs to the fold; the check above guarantees
        // the chunk is not all white space.
        let mut end = cr;
        while end > 1 && matches!(self.rest[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        let (chunk, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(chunk)
    }
}

impl Unfolded<'_> {
    /// Collects the unfolded value into a `String` (lossy for non-UTF-8 bytes).
    pub fn to_string_lossy(self) -> String {
        let mut out = Vec::new();
        for chunk in self {
            out.extend_from_slice(chunk);
        }
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// Compares two values after unfolding, without allocating.
    pub(crate) fn eq_bytes(self, other: Self) -> bool {
        self.flat_map(|c| c.iter()).eq(other.flat_map(|c| c.iter()))
    }
}

/// The header lines of a parsed message, in wire order.
///
/// Cheap to copy; obtained from [`Message::headers`](crate::Message::headers).
#[derive(Clone, Copy)]
pub struct Headers<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) slots: &'a [HeaderSlot],
}

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> Headers<'a> {
    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True if the message has no header lines.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The `i`th header line.
    pub fn get(&self, i: usize) -> Option<Header<'a>> {
        self.slots.get(i).map(|s| self.header(s))
    }

    fn header(&self, s: &HeaderSlot) -> Header<'a> {
        let name = self.buf.get(s.name_range()).unwrap_or(&[]);
        let value = self.buf.get(s.value_range()).unwrap_or(&[]);
        Header {
            name,
            value,
            value_offset: s.value_start as usize,
            known: s.known,
        }
    }

    /// Iterates over all header lines in order.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter {
            headers: *self,
            slots: self.slots.iter(),
        }
    }

    /// All lines of one known header, in order.
    pub fn of(self, name: KnownHeader) -> impl Iterator<Item = Header<'a>> + 'a {
        let h = self;
        self.slots
            .iter()
            .filter(move |s| s.known == Some(name))
            .map(move |s| h.header(s))
    }

    /// All lines with this name (case-insensitive, compact forms resolved), in order.
    /// Works for unknown headers too.
    pub fn named(self, name: &'a str) -> impl Iterator<Item = Header<'a>> + 'a {
        let known = KnownHeader::from_name(name.as_bytes());
        let h = self;
        self.slots.iter().filter_map(move |s| {
            let hdr = h.header(s);
            let hit = match known {
                Some(k) => s.known == Some(k),
                None => s.known.is_none() && hdr.name.eq_ignore_ascii_case(name.as_bytes()),
            };
            hit.then_some(hdr)
        })
    }

    /// The first line of a known header.
    pub fn first(&self, name: KnownHeader) -> Option<Header<'a>> {
        self.of(name).next()
    }

    /// Every value of a known header across all its lines, in order, with list headers
    /// split at top-level commas (not inside quoted strings or `<...>`). Each value is
    /// trimmed and returned with its offset in the message buffer.
    pub fn values(self, name: KnownHeader) -> impl Iterator<Item = (&'a [u8], usize)> + 'a {
        let list = name.is_list();
        self.of(name).flat_map(move |h| {
            if list {
                crate::scan::CommaSplit::new(h.value, h.value_offset)
            } else {
                crate::scan::CommaSplit::whole(h.value, h.value_offset)
            }
        })
    }
}

impl<'a> IntoIterator for Headers<'a> {
    type Item = Header<'a>;
    type IntoIter = HeaderIter<'a>;
    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Headers`].
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    headers: Headers<'a>,
    slots: std::slice::Iter<'a, HeaderSlot>,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        self.slots.next().map(|s| self.headers.header(s))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for HeaderIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_full_compact_and_case() {
        for &h in KnownHeader::ALL {
            assert_eq!(KnownHeader::from_name(h.as_str().as_bytes()), Some(h));
            assert_eq!(
                KnownHeader::from_name(h.as_str().to_ascii_uppercase().as_bytes()),
                Some(h)
            );
            if let Some(c) = h.compact() {
                assert_eq!(KnownHeader::from_name(&[c]), Some(h));
                assert_eq!(KnownHeader::from_name(&[c.to_ascii_uppercase()]), Some(h));
            }
        }
        assert_eq!(
            KnownHeader::from_name(b"MaX-fOrWaRdS"),
            Some(KnownHeader::MaxForwards)
        );
        assert_eq!(KnownHeader::from_name(b"Call\rID"), None);
        assert_eq!(KnownHeader::from_name(b"Content-Lengthx"), None);
        assert_eq!(KnownHeader::from_name(b"Content-Lengt"), None);
        assert_eq!(KnownHeader::from_name(b"Content_Length"), None);
        // The 16-byte window of a message line gives the same answer as the name alone.
        for h in KnownHeader::ALL {
            for name in [h.as_str().to_string(), h.as_str().to_ascii_uppercase()] {
                let line = format!("{name}: value and more bytes");
                let window: &[u8; 16] = line.as_bytes()[..16].try_into().unwrap();
                assert_eq!(KnownHeader::lookup(name.as_bytes(), window), Some(*h));
                let short = &name.as_bytes()[..name.len() - 1];
                assert_eq!(
                    KnownHeader::lookup(short, window),
                    KnownHeader::from_name(short)
                );
            }
        }
        assert_eq!(KnownHeader::from_name(b"C%6Fntact"), None);
        assert_eq!(KnownHeader::from_name(b"q"), None);
        assert_eq!(KnownHeader::from_name(b""), None);
        let compact: Vec<u8> = KnownHeader::ALL
            .iter()
            .filter_map(|h| h.compact())
            .collect();
        assert_eq!(compact.len(), 20);
    }

    #[test]
    fn unfold() {
        let u = Unfolded {
            rest: b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
        };
        assert_eq!(
            u.to_string_lossy(),
            "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw"
        );
        let u = Unfolded { rest: b"a \r\n\tb" };
        assert_eq!(u.to_string_lossy(), "a b");
    }
}
