//! The sign-in client: autodiscover, a web ticket (OrgID password or OAuth 2.0 device
//! code), SIP over TLS to the pool, the TLS-DSK challenge, certificate provisioning, the
//! three TLS-DSK rounds and the signed `200 OK`; then it stays registered.
//!
//! ```text
//!  signin(config) ─► web::Web::discover ─► (host, port) of the pool
//!                 ─► sip::SipSession::connect ─► REGISTER ─► 401 TLS-DSK sts-uri
//!                 ─► web::Web::provision_certificate ─► tls_dsk::ClientConfig
//!                 ─► three rounds ─► signed 200 OK ─► Registration
//!  Registration::stay_until(stop) ─► re-REGISTER before expiry, keep-alives, renewal,
//!                                    reconnect after a lost connection, unREGISTER on stop
//! ```
//!
//! Progress is reported as [`Event`]s to a caller-supplied sink; failures are
//! [`SigninError`]s naming the [`Step`], what the server said and what to try.

mod sip;
mod web;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use webticket::crypto::SecretString;

pub use sip::{Exchanged, Registration};

use crate::net::{Override, Resolver, Trust};

/// The steps of a sign-in, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Finding the SIP pool (`lyncdiscover.<domain>`).
    Autodiscover,
    /// The OAuth 2.0 device-code grant.
    DeviceCode,
    /// OrgID (`login.microsoftonline.com`) with the password.
    OrgId,
    /// The web-ticket service.
    WebTicket,
    /// TCP + TLS to the SIP pool.
    SipConnect,
    /// REGISTER and its challenge.
    Register,
    /// Certificate provisioning.
    Certificate,
    /// The TLS-DSK handshake rounds and the signed 200.
    TlsDsk,
    /// Staying registered: re-REGISTER, keep-alive, renewal.
    Refresh,
    /// Unregistering.
    Unregister,
}

impl Step {
    /// A short lowercase name (`--json` events use it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Autodiscover => "autodiscover",
            Self::DeviceCode => "device-code",
            Self::OrgId => "orgid",
            Self::WebTicket => "web-ticket",
            Self::SipConnect => "sip-connect",
            Self::Register => "register",
            Self::Certificate => "certificate",
            Self::TlsDsk => "tls-dsk",
            Self::Refresh => "refresh",
            Self::Unregister => "unregister",
        }
    }
}

/// Something that happened, for progress displays and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A step made progress: `detail` says what; `elapsed` is since the sign-in began.
    Progress {
        /// The step.
        step: Step,
        /// What happened.
        detail: String,
        /// Since the start of [`signin`].
        elapsed: Duration,
    },
    /// The user must approve a device code.
    DeviceCode {
        /// Where to go.
        verification_uri: String,
        /// What to type there.
        user_code: String,
        /// The server's own instruction.
        message: Option<String>,
    },
    /// Signed in: registered and every response verified.
    SignedIn {
        /// The address of record.
        aor: String,
        /// Seconds the registration lasts.
        expires: u32,
        /// Since the start of [`signin`].
        elapsed: Duration,
    },
}

impl Event {
    /// The event as one JSON object (`--json`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Progress {
                step,
                detail,
                elapsed,
            } => {
                json!({"event": "progress", "step": step.name(), "detail": detail, "ms": elapsed.as_millis() as u64})
            }
            Self::DeviceCode {
                verification_uri,
                user_code,
                message,
            } => {
                json!({"event": "device-code", "verification_uri": verification_uri, "user_code": user_code, "message": message})
            }
            Self::SignedIn {
                aor,
                expires,
                elapsed,
            } => {
                json!({"event": "signed-in", "aor": aor, "expires": expires, "ms": elapsed.as_millis() as u64})
            }
        }
    }
}

/// A failed sign-in: which step, what went wrong, what the server said, what to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigninError {
    /// The step that failed.
    pub step: Step,
    /// What went wrong.
    pub message: String,
    /// The server's own words (`X-Ms-diagnostics`, a SOAP fault, a SIP reason), if any.
    pub server_said: Option<String>,
    /// What to try.
    pub hint: &'static str,
    /// Whether trying again later may succeed (transport trouble, not a refusal).
    pub retryable: bool,
}

impl SigninError {
    pub(crate) fn new(step: Step, message: impl Into<String>) -> Self {
        Self {
            step,
            message: message.into(),
            server_said: None,
            hint: default_hint(step),
            retryable: false,
        }
    }

    pub(crate) fn transport(step: Step, message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            hint: "check the address, the --resolve overrides and the network; raise --timeout",
            ..Self::new(step, message)
        }
    }

    pub(crate) fn said(mut self, what: impl Into<String>) -> Self {
        self.server_said = Some(what.into());
        self
    }

    pub(crate) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

fn default_hint(step: Step) -> &'static str {
    match step {
        Step::Autodiscover => {
            "check the SIP address's domain, or use --resolve to point lyncdiscover.<domain> at the server"
        }
        Step::DeviceCode => "start again and approve the code before it expires",
        Step::OrgId => "check the user name and password",
        Step::WebTicket => "check the account; the server's words above say why it refused",
        Step::SipConnect => {
            "check --resolve and --ca: the pool's certificate must chain to a trusted CA"
        }
        Step::Register => "the registrar refused; check that the account is SIP-enabled",
        Step::Certificate => {
            "certificate provisioning refused; check the account and the server's words"
        }
        Step::TlsDsk => {
            "the TLS-DSK exchange failed; the client certificate may be expired or not trusted"
        }
        Step::Refresh => "the registration lapsed; sign in again",
        Step::Unregister => "the registration will lapse by itself at its expiry",
    }
}

impl std::fmt::Display for SigninError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.step.name(), self.message)?;
        if let Some(s) = &self.server_said {
            write!(f, " (server said: {s})")?;
        }
        write!(f, "; {}", self.hint)
    }
}

impl std::error::Error for SigninError {}

/// How the user proves who they are.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A password: OrgID (`RST2.srf`) for a web ticket, or HTTP Basic where the web-ticket
    /// service offers only its WinNegotiate port.
    Password(SecretString),
    /// The OAuth 2.0 device-code grant, as desk phones do: the user approves a code on
    /// another device ([`Event::DeviceCode`] says where).
    DeviceCode,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Password(_) => "Password([redacted])",
            Self::DeviceCode => "DeviceCode",
        })
    }
}

/// Where progress goes.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// Sign-in settings. [`SigninConfig::new`] gives the defaults.
#[derive(Clone)]
#[non_exhaustive]
pub struct SigninConfig {
    /// The SIP address, `alice@contoso.com`.
    pub user: String,
    /// The credential.
    pub credentials: Credentials,
    /// Trusted CAs for HTTPS and SIP over TLS (PEM file); `None`: a trust built by the
    /// caller through [`SigninConfig::trust`].
    pub ca_file: Option<PathBuf>,
    /// Trust (overrides `ca_file`).
    pub trust: Option<Trust>,
    /// Name overrides (`--resolve`).
    pub overrides: Vec<Override>,
    /// The OrgID / OAuth authority (`https://login.microsoftonline.com`).
    pub login_base: String,
    /// OAuth client id for the device-code grant (UNCONFIRMED which one phones use).
    pub client_id: String,
    /// OAuth resource for the device-code grant (UNCONFIRMED, see web-services.md §5.2).
    pub resource: String,
    /// Each HTTP request and each SIP response may take this long.
    pub timeout: Duration,
    /// How long to wait for a device code to be approved (the server's expiry applies too).
    pub device_code_timeout: Duration,
    /// Registration time asked for, seconds.
    pub expires: u32,
    /// Keep-alive (CRLF ping) interval.
    pub keepalive: Duration,
    /// Renew the certificate when less than this is left of it.
    pub renew_margin: Duration,
    /// Attempts for the SIP sign-in when the connection breaks (with doubling backoff).
    pub attempts: u32,
    /// First backoff delay.
    pub backoff: Duration,
    /// Where progress goes.
    pub events: Option<EventSink>,
    /// Test hook: change one digit of the signature of every signed request.
    #[doc(hidden)]
    pub tamper_requests: bool,
}

impl std::fmt::Debug for SigninConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigninConfig")
            .field("user", &self.user)
            .field("credentials", &self.credentials)
            .field("overrides", &self.overrides)
            .finish_non_exhaustive()
    }
}

impl SigninConfig {
    /// Defaults: `login.microsoftonline.com`, 15 s timeouts, 5 min for a device code,
    /// 3600 s registrations, 30 s keep-alives, renewal an hour before the certificate
    /// lapses (SIPE), 4 attempts from 500 ms.
    pub fn new(user: &str, credentials: Credentials) -> Self {
        Self {
            user: user.trim_start_matches("sip:").to_ascii_lowercase(),
            credentials,
            ca_file: None,
            trust: None,
            overrides: Vec::new(),
            login_base: webticket::orgid::LOGIN_BASE.into(),
            client_id: "sipdsk-device".into(),
            resource: "https://api.skypeforbusiness.com".into(),
            timeout: Duration::from_secs(15),
            device_code_timeout: Duration::from_secs(300),
            expires: 3600,
            keepalive: Duration::from_secs(30),
            renew_margin: Duration::from_secs(3600),
            attempts: 4,
            backoff: Duration::from_millis(500),
            events: None,
            tamper_requests: false,
        }
    }
}

/// Shared by the web and SIP halves of one sign-in.
pub(crate) struct Context {
    pub(crate) config: SigninConfig,
    pub(crate) resolver: Resolver,
    pub(crate) trust: Trust,
    pub(crate) started: Instant,
}

impl Context {
    pub(crate) fn emit(&self, event: Event) {
        if let Some(sink) = &self.config.events {
            sink(&event);
        }
    }

    pub(crate) fn progress(&self, step: Step, detail: impl Into<String>) {
        let detail = detail.into();
        tracing::info!(step = step.name(), "{detail}");
        self.emit(Event::Progress {
            step,
            detail,
            elapsed: self.started.elapsed(),
        });
    }
}

/// Signs in: returns a live registration (call [`Registration::stay_until`] to keep it,
/// [`Registration::unregister`] to end it).
///
/// # Errors
///
/// The first step that failed, after retries for broken SIP connections.
pub async fn signin(config: SigninConfig) -> Result<Registration, SigninError> {
    let trust = match (&config.trust, &config.ca_file) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) => Trust::from_ca_file(path)
            .map_err(|e| SigninError::new(Step::Autodiscover, e).hint("check --ca"))?,
        (None, None) => {
            return Err(SigninError::new(Step::Autodiscover, "no trusted CA given")
                .hint("pass --ca with the server's CA certificate"));
        }
    };
    if !config.user.contains('@') {
        return Err(SigninError::new(
            Step::Autodiscover,
            format!("{:?} is not a SIP address", config.user),
        )
        .hint("use the form alice@contoso.com"));
    }
    let ctx = Arc::new(Context {
        resolver: Resolver::new(config.overrides.clone()),
        trust,
        started: Instant::now(),
        config,
    });
    let mut web = web::Web::new(ctx.clone());
    let pool = web.discover().await?;
    Registration::establish(ctx, web, pool).await
}
