//! Typed, lazily parsed header values. Every parser borrows from its input and allocates
//! nothing; unknown parameters are kept.

mod addr;
mod auth;
mod misc;
mod via;

pub use addr::{Contact, NameAddr};
pub use auth::{AuthParam, AuthParams, Authentication, AuthenticationInfo, Challenges};
pub use misc::{CSeq, Date, Event, MediaType};
pub use via::Via;

pub(crate) use addr::parse_contact;
pub(crate) use misc::{MONTHS, WEEKDAYS, parse_call_id, parse_number, parse_token};

use crate::error::{ErrorKind, ParseError};
use crate::scan::Cursor;

/// Fails unless only white space is left.
pub(crate) fn expect_end(c: &mut Cursor<'_>, kind: ErrorKind) -> Result<(), ParseError> {
    c.skip_lws();
    if c.eof() { Ok(()) } else { Err(c.err(kind)) }
}
