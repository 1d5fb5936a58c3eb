//! A TLS-DSK registrar as a pure state machine: requests in, responses out. The emulator
//! puts it behind sockets ([`super::sip`]); unit tests drive it directly.

use std::collections::HashMap;

use rand_core::CryptoRngCore;
use sip_core::{KnownHeader as H, Message, MessageBuilder, Method, SipMessage};
use tls_dsk::{Decision, ServerAuth, UnixTime};

/// One registered contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The address of record (`sip:alice@contoso.com`).
    pub aor: String,
    /// The `Contact` header value as registered.
    pub contact: String,
    /// When it lapses, Unix seconds.
    pub expires_at: u64,
}

/// What happened to one request, for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Challenged { reason: Option<String> },
    Registered { aor: String, expires: u32 },
    Unregistered { aor: String },
    Served { method: String, aor: String },
}

/// The registrar's state: TLS-DSK associations and bindings.
pub(crate) struct Registrar {
    auth: ServerAuth,
    /// This server's host name, for `Contact`.
    host: String,
    bindings: HashMap<String, Bound>,
    max_expires: u32,
}

/// A binding and the TLS-DSK association (`opaque`) it was registered over, which signs
/// what the registrar sends to that client.
struct Bound {
    binding: Binding,
    opaque: String,
}

/// Lync's `Supported` and `Allow-Events` on the REGISTER 200 OK: SIPE only subscribes
/// after seeing them, one option per header (tls-dsk.md, SIPE corrections).
const SUPPORTED: &[&str] = &[
    "adhoclist",
    "msrtc-event-categories",
    "ms-userservices-state-notification",
    "gruu-10",
];
const ALLOW_EVENTS: &str = "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,vnd-microsoft-roaming-ACL,presence,presence.wpending,vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2";

fn date(now: UnixTime) -> String {
    i64::try_from(now.0)
        .ok()
        .and_then(sip_core::Date::from_unix_time)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

impl Registrar {
    pub(crate) fn new(auth: ServerAuth, host: &str) -> Self {
        Self {
            auth,
            host: host.into(),
            bindings: HashMap::new(),
            max_expires: 7200,
        }
    }

    /// The live bindings at `now`, sorted by address of record.
    pub(crate) fn bindings(&self, now: UnixTime) -> Vec<Binding> {
        let mut v: Vec<Binding> = self
            .bindings
            .values()
            .filter(|b| b.binding.expires_at > now.0)
            .map(|b| b.binding.clone())
            .collect();
        v.sort_by(|a, b| a.aor.cmp(&b.aor));
        v
    }

    /// Drops lapsed bindings.
    fn forget_expired(&mut self, now: UnixTime) {
        self.bindings.retain(|_, b| b.binding.expires_at > now.0);
    }

    /// Caps the expiry granted to clients, seconds.
    pub(crate) fn set_max_expires(&mut self, secs: u32) {
        self.max_expires = secs;
    }

    /// Answers one request. Responses to authenticated clients are signed.
    pub(crate) fn handle(
        &mut self,
        req: &SipMessage,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> (Vec<SipMessage>, Event) {
        self.forget_expired(now);
        let m = req.message();
        if m.method() == Some(Method::Ack) {
            return (
                Vec::new(),
                Event::Served {
                    method: "ACK".into(),
                    aor: String::new(),
                },
            );
        }
        match self.auth.handle_request(&m, now, rng) {
            Decision::Challenge { challenge, reason } => {
                let resp = MessageBuilder::response_to(&m, 401, "Unauthorized", Some("reg1"))
                    .header(H::Date, date(now))
                    .header(H::WwwAuthenticate, challenge.to_value())
                    .build();
                let event = Event::Challenged {
                    reason: reason.map(|r| r.to_string()),
                };
                (resp.into_iter().collect(), event)
            }
            Decision::Authenticated { opaque, aor, .. } => {
                let (builder, event) = self.serve(&m, &aor, &opaque, now);
                let signed = builder
                    .build()
                    .ok()
                    .and_then(|resp| self.sign(&opaque, &resp, rng));
                (signed.into_iter().collect(), event)
            }
            _ => (
                Vec::new(),
                Event::Challenged {
                    reason: Some("unknown decision".into()),
                },
            ),
        }
    }

    /// A request from the registrar to the registered client `aor` (`sip:user@host`),
    /// signed with that client's association, or `None` when `aor` is not registered.
    pub(crate) fn request_to(
        &mut self,
        aor: &str,
        method: Method<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Option<SipMessage> {
        self.forget_expired(now);
        let opaque = self.bindings.get(aor)?.opaque.clone();
        let id = format!("{:016x}", rng.next_u64());
        let unsigned = MessageBuilder::request(method, aor)
            .header(
                H::Via,
                format!("SIP/2.0/TLS {};branch=z9hG4bK{id}", self.host),
            )
            .header(H::MaxForwards, "70")
            .header(H::From, format!("<sip:{}>;tag={}", self.host, &id[..8]))
            .header(H::To, format!("<{aor}>"))
            .header(H::CallId, id.as_str())
            .header(H::CSeq, format!("1 {}", method.as_str()))
            .build()
            .ok()?;
        self.sign(&opaque, &unsigned, rng)
    }

    /// `msg` with the registrar's signature for association `opaque` added as
    /// `Authentication-Info`.
    fn sign(
        &mut self,
        opaque: &str,
        msg: &SipMessage,
        rng: &mut dyn CryptoRngCore,
    ) -> Option<SipMessage> {
        let info = self.auth.sign_response(opaque, &msg.message(), rng).ok()?;
        MessageBuilder::from_message(&msg.message())
            .header(H::AuthenticationInfo, info.to_value())
            .build()
            .ok()
    }

    /// Checks the client's signature on its answer to one of [`Registrar::request_to`]'s
    /// requests, which must come from the association that request was signed with (the
    /// client's current one); returns the client's address of record.
    pub(crate) fn verify_answer(
        &mut self,
        resp: &SipMessage,
        now: UnixTime,
    ) -> Result<String, tls_dsk::SaError> {
        let (opaque, aor) = self.auth.verify_response(&resp.message(), now)?;
        let aor = format!("sip:{aor}");
        if self.bindings.get(&aor).map(|b| &b.opaque) != Some(&opaque) {
            return Err(tls_dsk::SignError::WrongSecurityAssociation.into());
        }
        Ok(aor)
    }

    /// A `200 OK` to a SUBSCRIBE: `Event` and `Expires` echoed (capped), the server's
    /// `Contact`, and for the self-subscriptions Lync clients make at sign-in an empty but
    /// well-formed first notification piggybacked on the response (`ms-piggyback-cseq`, the
    /// `ms-piggyback-first-notify` extension SIPE and Lync offer), so the client starts
    /// with an empty contact list, no roaming data and no provisioning overrides.
    /// Subscriptions are not kept: the emulator never sends NOTIFYs.
    fn subscribe(&self, m: &Message<'_>) -> MessageBuilder {
        let event = m
            .event()
            .ok()
            .flatten()
            .map(|e| e.package.to_string())
            .unwrap_or_default();
        let expires = m
            .expires()
            .ok()
            .flatten()
            .unwrap_or(3600)
            .min(self.max_expires);
        let mut b = MessageBuilder::response_to(m, 200, "OK", Some("reg1"))
            .header(H::Event, event.as_str())
            .header(H::Expires, expires.to_string())
            .header(H::Contact, format!("<sip:{};transport=tls>", self.host));
        if let Some((content_type, body)) = first_notify(&event) {
            b = b
                .header_named("ms-piggyback-cseq", "1")
                .header(H::ContentType, content_type)
                .body(body.as_bytes().to_vec());
        }
        if expires == 0 {
            b = b.header(H::SubscriptionState, "terminated;expires=0");
        }
        b
    }

    fn serve(
        &mut self,
        m: &Message<'_>,
        aor: &str,
        opaque: &str,
        now: UnixTime,
    ) -> (MessageBuilder, Event) {
        let aor = if aor.starts_with("sip:") {
            aor.to_string()
        } else {
            format!("sip:{aor}")
        };
        let aor = aor.as_str();
        let method = m
            .method()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default();
        if m.method() == Some(Method::Subscribe) {
            return (
                self.subscribe(m),
                Event::Served {
                    method,
                    aor: aor.into(),
                },
            );
        }
        if m.method() == Some(Method::Invite) {
            // No proxying and no conferencing here: nobody can be reached (SIPE invites
            // the group-chat service at sign-in and gives up gracefully on 480).
            let b = MessageBuilder::response_to(m, 480, "Temporarily Unavailable", Some("reg1"));
            return (
                b,
                Event::Served {
                    method,
                    aor: aor.into(),
                },
            );
        }
        if m.method() != Some(Method::Register) {
            let b = MessageBuilder::response_to(m, 200, "OK", Some("reg1"));
            return (
                b,
                Event::Served {
                    method,
                    aor: aor.into(),
                },
            );
        }
        let requested = m.expires().ok().flatten().or_else(|| {
            m.contacts()
                .flatten()
                .find_map(|c| c.address().and_then(|a| a.expires()))
        });
        let expires = requested.unwrap_or(3600).min(self.max_expires);
        let contact = m
            .headers()
            .first(H::Contact)
            .and_then(|h| h.value_str())
            .unwrap_or("")
            .to_string();
        let mut b = MessageBuilder::response_to(m, 200, "OK", Some("reg1"));
        let event = if expires == 0 {
            self.bindings.remove(aor);
            Event::Unregistered { aor: aor.into() }
        } else {
            self.bindings.insert(
                aor.into(),
                Bound {
                    binding: Binding {
                        aor: aor.into(),
                        contact: contact.clone(),
                        expires_at: now.0 + u64::from(expires),
                    },
                    opaque: opaque.into(),
                },
            );
            b = b.header(H::Contact, format!("{contact};expires={expires}"));
            Event::Registered {
                aor: aor.into(),
                expires,
            }
        };
        b = b.header(H::Expires, expires.to_string());
        for s in SUPPORTED {
            b = b.header(H::Supported, *s);
        }
        (b.header(H::AllowEvents, ALLOW_EVENTS), event)
    }
}

/// The empty first notification for the sign-in self-subscriptions (content type, body),
/// in the shapes of [MS-SIP] roaming data: no contacts, no categories, no provisioning
/// groups. UNCONFIRMED beyond what SIPE parses.
fn first_notify(event: &str) -> Option<(&'static str, &'static str)> {
    match event.to_ascii_lowercase().as_str() {
        "vnd-microsoft-roaming-contacts" => Some((
            "application/vnd-microsoft-roaming-contacts+xml",
            r#"<contactList deltaNum="1" xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-contacts"/>"#,
        )),
        "vnd-microsoft-roaming-self" => Some((
            "application/vnd-microsoft-roaming-self+xml",
            r#"<roamingData xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><categories/><containers/><subscribers/></roamingData>"#,
        )),
        "vnd-microsoft-provisioning-v2" => Some((
            "application/vnd-microsoft-roaming-provisioning-v2+xml",
            r#"<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification"/>"#,
        )),
        _ => None,
    }
}

/// The same response with one hex digit of `rspauth` changed: what an attacker on the
/// path would produce. For fault tests.
pub(crate) fn tamper_rspauth(resp: &SipMessage) -> Option<SipMessage> {
    let wire = resp.message().wire_bytes().to_vec();
    let at = wire.windows(9).position(|w| w == b"rspauth=\"")? + 9;
    let mut wire = wire;
    wire[at] = if wire[at] == b'0' { b'1' } else { b'0' };
    SipMessage::parse(bytes::Bytes::from(wire)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date(UnixTime(1_487_741_245)),
            "Wed, 22 Feb 2017 05:27:25 GMT"
        );
        assert_eq!(date(UnixTime(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(sip_core::Date::parse(date(UnixTime(1_795_600_000)).as_bytes()).is_ok());
    }
}
