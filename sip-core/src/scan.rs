//! A byte cursor for header values, comma splitting, quoted strings and parameter lists.

use std::borrow::Cow;
use std::fmt;

use crate::chars::{self, is_lws, is_token, utf8};
use crate::error::{ErrorKind, ParseError};

/// Cursor over one value. `base` is the value's offset in the message, so errors carry
/// message offsets.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    s: &'a [u8],
    /// The input as text, when it is UTF-8: checked once, so pieces become `&str` through
    /// `str::get` instead of a UTF-8 check each.
    text: Option<&'a str>,
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a [u8], base: usize) -> Self {
        Self {
            s,
            text: utf8(s),
            pos: 0,
            base,
        }
    }
    pub(crate) fn from_str(text: &'a str, base: usize) -> Self {
        Self {
            s: text.as_bytes(),
            text: Some(text),
            pos: 0,
            base,
        }
    }
    /// `start..end` of the input as text, if it is UTF-8 there.
    pub(crate) fn str_range(&self, start: usize, end: usize) -> Option<&'a str> {
        match self.text {
            Some(t) => t.get(start..end),
            None => utf8(self.s.get(start..end)?),
        }
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    pub(crate) fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.s.get(self.pos..).unwrap_or(&[])
    }
    pub(crate) fn range(&self, start: usize, end: usize) -> &'a [u8] {
        self.s.get(start..end).unwrap_or(&[])
    }
    pub(crate) fn slice(&self, start: usize) -> &'a [u8] {
        self.s.get(start..self.pos).unwrap_or(&[])
    }
    pub(crate) fn err(&self, kind: ErrorKind) -> ParseError {
        ParseError::new(kind, self.base + self.pos)
    }
    pub(crate) fn err_at(&self, kind: ErrorKind, pos: usize) -> ParseError {
        ParseError::new(kind, self.base + pos)
    }
    /// Skips linear white space, folds included. Returns true if any was skipped.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_lws) {
            self.pos += 1;
        }
        self.pos != start
    }
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Skips LWS, then eats `b` if present (the `SWS b SWS` separators of RFC 3261 §25.1).
    pub(crate) fn eat_sep(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_lws();
        if self.eat(b) {
            self.skip_lws();
            true
        } else {
            self.pos = save;
            false
        }
    }
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.slice(start)
    }
    pub(crate) fn token(&mut self, kind: ErrorKind) -> Result<&'a str, ParseError> {
        let start = self.pos;
        if self.take_while(is_token).is_empty() {
            return Err(self.err(kind));
        }
        Ok(self.str_range(start, self.pos).unwrap_or_default())
    }
    /// Reads a quoted string, returning it with its quotes.
    pub(crate) fn quoted(&mut self) -> Result<&'a [u8], ParseError> {
        let start = self.pos;
        match quoted_len(self.rest()) {
            Some(n) => {
                self.pos += n;
                Ok(self.slice(start))
            }
            None => Err(self.err_at(ErrorKind::UnterminatedQuotedString, start)),
        }
    }
}

/// Length of the quoted string at the start of `s` (which must start with `"`), quotes
/// included; `None` if it is not terminated.
pub(crate) fn quoted_len(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Removes the quotes of a quoted string and resolves its `\x` escapes.
///
/// A value without quotes is returned unchanged. Only allocates when the string holds an
/// escape.
///
/// ```
/// use sip_core::unquote;
/// assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
/// assert_eq!(unquote("token"), "token");
/// ```
pub fn unquote(raw: &str) -> Cow<'_, str> {
    let inner = match raw.as_bytes() {
        [b'"', .., b'"'] if raw.len() >= 2 => &raw[1..raw.len() - 1],
        _ => return Cow::Borrowed(raw),
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Splits a list value at top-level commas: not inside quoted strings or `<...>`.
#[derive(Clone, Debug)]
pub(crate) struct CommaSplit<'a> {
    rest: &'a [u8],
    offset: usize,
    done: bool,
    split: bool,
}

impl<'a> CommaSplit<'a> {
    pub(crate) fn new(value: &'a [u8], offset: usize) -> Self {
        Self {
            done: chars::trim_lws(value).is_empty(),
            rest: value,
            offset,
            split: true,
        }
    }
    pub(crate) fn whole(value: &'a [u8], offset: usize) -> Self {
        Self {
            rest: value,
            offset,
            done: false,
            split: false,
        }
    }
}

/// Position of the first top-level comma in `s`, skipping quoted strings and `<...>`.
pub(crate) fn find_comma(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut angle = false;
    while i < s.len() {
        match s[i] {
            b'"' => match quoted_len(&s[i..]) {
                Some(n) => i += n,
                None => return None,
            },
            b'<' => {
                angle = true;
                i += 1
            }
            b'>' => {
                angle = false;
                i += 1
            }
            b',' if !angle => return Some(i),
            _ => i += 1,
        }
    }
    None
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = (&'a [u8], usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (item, next) = match self.split.then(|| find_comma(self.rest)).flatten() {
            Some(i) => (&self.rest[..i], Some(i + 1)),
            None => (self.rest, None),
        };
        let lead = item.iter().take_while(|b| is_lws(**b)).count();
        let out = (chars::trim_lws(item), self.offset + lead);
        match next {
            Some(n) => {
                self.rest = &self.rest[n..];
                self.offset += n;
            }
            None => self.done = true,
        }
        Some(out)
    }
}

/// One `;name[=value]` parameter. The value is raw: quoted values keep their quotes (use
/// [`unquote`] to resolve them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Parameter name as on the wire.
    pub name: &'a str,
    /// Raw value, `None` for a parameter without `=`.
    pub value: Option<&'a str>,
}

/// A validated parameter list (`;a=b;c;d="x;y"`), iterated lazily without allocation.
///
/// Names compare case-insensitively in [`Params::get`]. The list keeps its raw text, so
/// unknown parameters are never lost.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a str,
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Which characters an unquoted parameter value may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamSyntax {
    /// Header `generic-param`: token, host (IPv4, IPv6 with or without brackets) or
    /// quoted-string; LWS allowed around `;` and `=`.
    Header,
    /// SIP URI parameters: `paramchar`s, no quoting, no white space.
    Uri,
}

impl<'a> Params<'a> {
    /// An empty parameter list.
    pub const EMPTY: Params<'static> = Params { raw: "" };

    /// Reads a parameter list starting at the cursor (which points at `;` or at the end).
    /// Stops before the first byte that cannot continue the list (`,`, `?`, `>` ...).
    pub(crate) fn read(c: &mut Cursor<'a>, syntax: ParamSyntax) -> Result<Self, ParseError> {
        let start = c.pos();
        let mut end = start;
        loop {
            if syntax == ParamSyntax::Header {
                c.skip_lws();
            }
            if !c.eat(b';') {
                break;
            }
            if syntax == ParamSyntax::Header {
                c.skip_lws();
            }
            let name = match syntax {
                ParamSyntax::Header => c.take_while(is_token),
                ParamSyntax::Uri => c.take_while(chars::is_uri_param),
            };
            if name.is_empty() {
                return Err(c.err(ErrorKind::InvalidParam));
            }
            end = c.pos();
            let eq = match syntax {
                ParamSyntax::Header => c.eat_sep(b'='),
                ParamSyntax::Uri => c.eat(b'='),
            };
            if eq {
                let value = match (syntax, c.peek()) {
                    (ParamSyntax::Header, Some(b'"')) => c.quoted()?,
                    (ParamSyntax::Header, _) => {
                        c.take_while(|b| is_token(b) || matches!(b, b':' | b'[' | b']'))
                    }
                    (ParamSyntax::Uri, _) => c.take_while(chars::is_uri_param),
                };
                if value.is_empty() {
                    return Err(c.err(ErrorKind::InvalidParam));
                }
                end = c.pos();
            }
        }
        // Trailing white space after the last parameter is not part of the list.
        let raw = c
            .str_range(start, end)
            .ok_or_else(|| c.err_at(ErrorKind::InvalidUtf8, start))?;
        if syntax == ParamSyntax::Header {
            // Leave the cursor right after the list, before any trailing LWS.
            c.reset_to(end);
        }
        Ok(Self { raw })
    }

    /// The raw parameter text, starting with `;` (empty if there are none).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True if there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates the parameters in order.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { rest: self.raw }
    }

    /// The first parameter with this name (case-insensitive): `Some(None)` for a
    /// parameter without value, `None` if absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// The value of a parameter that has one (raw, quotes kept).
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).flatten()
    }

    /// True if the parameter is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'a> Cursor<'a> {
    pub(crate) fn reset_to(&mut self, pos: usize) {
        self.pos = pos;
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Params`].
#[derive(Clone, Debug)]
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        let s = self
            .rest
            .trim_start_matches(|c: char| c.is_ascii_whitespace());
        let s = s.strip_prefix(';')?;
        // The list was validated on construction, so only quoting needs care here.
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && bytes[i] != b';' {
            if bytes[i] == b'"' {
                i += quoted_len(&bytes[i..]).unwrap_or(bytes.len() - i);
            } else {
                i += 1;
            }
        }
        let (item, rest) = s.split_at(i);
        self.rest = rest;
        let trim = |t: &'a str| t.trim_matches(|c: char| c.is_ascii_whitespace());
        Some(match item.split_once('=') {
            Some((n, v)) => Param {
                name: trim(n),
                value: Some(trim(v)),
            },
            None => Param {
                name: trim(item),
                value: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str, syntax: ParamSyntax) -> Result<(Params<'_>, usize), ParseError> {
        let mut c = Cursor::new(s.as_bytes(), 0);
        let p = Params::read(&mut c, syntax)?;
        Ok((p, c.pos()))
    }

    #[test]
    fn header_params() {
        let (p, end) = params(" ;   tag    = 1918181833n", ParamSyntax::Header).unwrap();
        assert_eq!(end, 25);
        assert_eq!(p.value("TAG"), Some("1918181833n"));
        let (p, _) = params(
            ";methods=\"INVITE, ACK\";proxy=replace;+sip.instance=\"<urn:uuid:1>\"",
            ParamSyntax::Header,
        )
        .unwrap();
        let v: Vec<_> = p.iter().collect();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].value, Some("\"INVITE, ACK\""));
        assert_eq!(
            p.value("+sip.instance").map(unquote).as_deref(),
            Some("<urn:uuid:1>")
        );
        assert_eq!(
            params(";;", ParamSyntax::Header).unwrap_err().kind(),
            ErrorKind::InvalidParam
        );
        assert_eq!(
            params(";a=\"x", ParamSyntax::Header).unwrap_err().kind(),
            ErrorKind::UnterminatedQuotedString
        );
        let (p, end) = params(";lr;x=1 ,next", ParamSyntax::Header).unwrap();
        assert_eq!((p.as_str(), end), (";lr;x=1", 7));
        assert_eq!(p.get("lr"), Some(None));
    }

    #[test]
    fn uri_params_stop_at_lws() {
        let (p, end) = params(";transport=tls;lr> x", ParamSyntax::Uri).unwrap();
        assert_eq!((p.as_str(), end), (";transport=tls;lr", 17));
        assert!(params("; lr", ParamSyntax::Uri).is_err());
    }

    #[test]
    fn comma_split() {
        let v: Vec<_> = CommaSplit::new(b"a, \"x,y\" <sip:a,b>, c", 10).collect();
        assert_eq!(
            v,
            vec![
                (&b"a"[..], 10),
                (&b"\"x,y\" <sip:a,b>"[..], 13),
                (&b"c"[..], 30)
            ]
        );
        assert_eq!(CommaSplit::new(b"  ", 0).count(), 0);
        assert_eq!(CommaSplit::new(b"a,,b", 0).count(), 3);
    }

    #[test]
    fn unquote_cases() {
        assert_eq!(unquote("\"\""), "");
        assert_eq!(unquote("\"a\\\\b\""), "a\\b");
        assert_eq!(unquote("\""), "\"");
    }
}
