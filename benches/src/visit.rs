//! The answers every contender gives: what a user needs from a parsed message.
//!
//! Each contender parses the message and then reports the request method or status code,
//! the top Via `branch`, the From and To tags, the Call-ID and the CSeq number and method
//! through a [`Visit`]. The timed path uses [`Touch`], which only keeps the values alive
//! (no formatting, no allocation); [`Answers`] formats them once, outside timing, so the
//! report can check that every contender found the same values.

use std::fmt::{self, Display};
use std::hint::black_box;

/// A text answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `branch` parameter of the top Via.
    ViaBranch,
    /// `tag` parameter of From.
    FromTag,
    /// `tag` parameter of To.
    ToTag,
    /// Call-ID value.
    CallId,
    /// Method in CSeq.
    CSeqMethod,
}

/// What a start line says.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// A request and its method.
    Method(&'a dyn Display),
    /// A response and its status code.
    Status(u16),
}

impl fmt::Debug for Start<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Method(m) => write!(f, "Method({m})"),
            Self::Status(c) => write!(f, "Status({c})"),
        }
    }
}

/// Receives the answers of one parse.
pub trait Visit {
    /// The start line.
    fn start(&mut self, start: Start<'_>);
    /// A text answer; `None` when the message has no such value (no To tag).
    fn text(&mut self, field: Field, value: Option<&dyn Display>);
    /// The CSeq sequence number.
    fn cseq(&mut self, seq: u32);
}

/// The timed visitor: keeps every value alive with `black_box` and counts them, so the
/// optimizer cannot drop the accessors, without formatting anything.
#[derive(Debug, Default)]
pub struct Touch {
    acc: u64,
}

impl Touch {
    /// A value that depends on every answer having been produced.
    pub fn finish(self) -> u64 {
        self.acc
    }
}

impl Visit for Touch {
    #[inline]
    fn start(&mut self, start: Start<'_>) {
        match start {
            Start::Method(m) => {
                black_box(m);
                self.acc += 1;
            }
            Start::Status(c) => self.acc += u64::from(c),
        }
    }
    #[inline]
    fn text(&mut self, _field: Field, value: Option<&dyn Display>) {
        if let Some(v) = value {
            black_box(v);
            self.acc += 3;
        }
    }
    #[inline]
    fn cseq(&mut self, seq: u32) {
        self.acc = self.acc.wrapping_add(u64::from(seq));
    }
}

/// The answers as strings, to compare contenders (never timed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answers {
    /// Method name, or status code as decimal text.
    pub start: String,
    /// Top Via branch.
    pub via_branch: Option<String>,
    /// From tag.
    pub from_tag: Option<String>,
    /// To tag.
    pub to_tag: Option<String>,
    /// Call-ID.
    pub call_id: Option<String>,
    /// CSeq number.
    pub cseq: Option<u32>,
    /// CSeq method.
    pub cseq_method: Option<String>,
}

impl Answers {
    /// The fields where `self` differs from `reference`: (field, this value, reference
    /// value), values shown as `Debug` text.
    pub fn differences(&self, reference: &Self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, a: String, b: String| {
            if a != b {
                out.push((name, a, b));
            }
        };
        check(
            "start line",
            format!("{:?}", self.start),
            format!("{:?}", reference.start),
        );
        check(
            "Via branch",
            format!("{:?}", self.via_branch),
            format!("{:?}", reference.via_branch),
        );
        check(
            "From tag",
            format!("{:?}", self.from_tag),
            format!("{:?}", reference.from_tag),
        );
        check(
            "To tag",
            format!("{:?}", self.to_tag),
            format!("{:?}", reference.to_tag),
        );
        check(
            "Call-ID",
            format!("{:?}", self.call_id),
            format!("{:?}", reference.call_id),
        );
        check(
            "CSeq",
            format!("{:?} {:?}", self.cseq, self.cseq_method),
            format!("{:?} {:?}", reference.cseq, reference.cseq_method),
        );
        out
    }
}

impl Visit for Answers {
    fn start(&mut self, start: Start<'_>) {
        self.start = match start {
            Start::Method(m) => m.to_string(),
            Start::Status(c) => c.to_string(),
        };
    }
    fn text(&mut self, field: Field, value: Option<&dyn Display>) {
        let value = value.map(ToString::to_string);
        match field {
            Field::ViaBranch => self.via_branch = value,
            Field::FromTag => self.from_tag = value,
            Field::ToTag => self.to_tag = value,
            Field::CallId => self.call_id = value,
            Field::CSeqMethod => self.cseq_method = value,
        }
    }
    fn cseq(&mut self, seq: u32) {
        self.cseq = Some(seq);
    }
}
