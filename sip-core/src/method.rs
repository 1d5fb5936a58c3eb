//! SIP request methods.

use std::fmt;

macro_rules! methods {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal; )*) => {
        /// A request method. Known methods have variants; every other token is kept in
        /// [`Method::Extension`] (methods are case-sensitive, RFC 3261 §7.1, so `invite` is
        /// an extension method and `RE%47IST%45R` is not REGISTER: RFC 4475 §3.1.1.5).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Method<'a> {
            $( $(#[$doc])* $variant, )*
            /// Any other method token, as on the wire.
            Extension(&'a str),
        }

        impl<'a> Method<'a> {
            /// Maps a method token to its variant. The token is not validated here.
            pub fn from_token(s: &'a str) -> Self {
                match s {
                    $( $name => Self::$variant, )*
                    other => Self::Extension(other),
                }
            }

            /// The method as written on the wire.
            pub fn as_str(&self) -> &'a str {
                match *self {
                    $( Self::$variant => $name, )*
                    Self::Extension(s) => s,
                }
            }
        }
    };
}

methods! {
    /// `INVITE` (RFC 3261).
    Invite = "INVITE";
    /// `ACK` (RFC 3261).
    Ack = "ACK";
    /// `BYE` (RFC 3261).
    Bye = "BYE";
    /// `CANCEL` (RFC 3261).
    Cancel = "CANCEL";
    /// `REGISTER` (RFC 3261).
    Register = "REGISTER";
    /// `OPTIONS` (RFC 3261).
    Options = "OPTIONS";
    /// `PRACK` (RFC 3262).
    Prack = "PRACK";
    /// `SUBSCRIBE` (RFC 6665).
    Subscribe = "SUBSCRIBE";
    /// `NOTIFY` (RFC 6665).
    Notify = "NOTIFY";
    /// `PUBLISH` (RFC 3903).
    Publish = "PUBLISH";
    /// `INFO` (RFC 6086).
    Info = "INFO";
    /// `REFER` (RFC 3515).
    Refer = "REFER";
    /// `MESSAGE` (RFC 3428).
    Message = "MESSAGE";
    /// `UPDATE` (RFC 3311).
    Update = "UPDATE";
    /// `SERVICE`: Microsoft Lync / Skype for Business web-service requests over SIP.
    Service = "SERVICE";
    /// `BENOTIFY`: Microsoft "best effort" NOTIFY that expects no response.
    Benotify = "BENOTIFY";
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_extension() {
        assert_eq!(Method::from_token("REGISTER"), Method::Register);
        assert_eq!(Method::from_token("BENOTIFY"), Method::Benotify);
        assert_eq!(
            Method::from_token("register"),
            Method::Extension("register")
        );
        assert_eq!(Method::from_token("RE%47IST%45R").as_str(), "RE%47IST%45R");
    }
}
