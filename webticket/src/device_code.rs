//! OAuth 2.0 device-code sign-in (RFC 8628, and the Azure AD v1 dialect desk phones use).
//!
//! ```text
//!  bootstrap_request() ─► DeviceConfig::parse      (optional: AadEndpointUrl, ClientId, AutoDiscoverUrl, ...)
//!  DeviceCodeConfig::aad_v1(authority, client_id, resource)
//!        .device_authorization_request() ─► POST …/oauth2/devicecode ─► DeviceAuthorization
//!                                                   (show user_code + verification_uri)
//!  DevicePoller::new(config, authorization, now)
//!        poll(now) ─► WaitUntil(t) | Send(POST …/oauth2/token) | Done(TokenResponse) | Err
//!        handle_response(resp, now): authorization_pending → wait interval
//!                                    slow_down → interval += 5 s
//!                                    expired_token / access_denied / bad_verification_code → Err
//!  TokenResponse ─► credential() = Bearer (autodiscover, web ticket) ─► refresh_request() before expiry
//! ```
//!
//! Time is passed in (`now`); the poller never sleeps. Azure AD v1 sends numbers as strings
//! (`"expires_in":"900"`): both forms are accepted everywhere.

use std::fmt;

use serde_json::{Map, Value};

use crate::autodiscover::{Credential, json_u64, parse_json_value};
use crate::crypto::SecretString;
use crate::error::{AuthError, Error, MisuseError, ServerError, invalid, missing};
use crate::http::{HttpRequest, HttpResponse, Method, form_encode, require_url};
use crate::time::UnixTime;

/// The DeviceConfig bootstrap URL seen on Polycom phones (WU2; UNCONFIRMED against public
/// documentation).
pub const BOOTSTRAP_URL: &str = "https://bootstrap.pinauth.services.skypeforbusiness.com/api/DeviceConfig/Polycom/Default?api-version=1.0";
/// The RFC 8628 grant type.
pub const GRANT_TYPE_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Largest JSON body accepted.
const MAX_JSON: usize = 64 * 1024;
/// Poll interval when the server gives none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: u64 = 5;
/// Seconds added to the interval on `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: i64 = 5;

/// `GET <url>` with `Accept: application/json` for the bootstrap DeviceConfig.
///
/// # Errors
///
/// [`MisuseError::InvalidUrl`] for a URL that is not absolute `http(s)`.
pub fn bootstrap_request(url: &str) -> Result<HttpRequest, Error> {
    require_url(url)?;
    HttpRequest::new(Method::Get, url).with_header("Accept", "application/json")
}

/// The bootstrap DeviceConfig JSON (WU2: `AadEndpointUrl`, `ClientId`,
/// `DevicePairingWebsiteUrl`, `AutoDiscoverUrl`; everything here is UNCONFIRMED). Keys are
/// matched case-insensitively; every other string-valued key is kept in
/// [`other`](Self::other).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DeviceConfig {
    /// `AadEndpointUrl` (e.g. `https://login.microsoftonline.com/`).
    pub aad_endpoint_url: Option<String>,
    /// `ClientId`.
    pub client_id: Option<String>,
    /// `DevicePairingWebsiteUrl` (e.g. `http://aka.ms/sphone`).
    pub device_pairing_website_url: Option<String>,
    /// `AutoDiscoverUrl`.
    pub auto_discover_url: Option<String>,
    /// Other string-valued keys (in the order the JSON map yields them).
    pub other: Vec<(String, String)>,
}

impl DeviceConfig {
    /// Parses the JSON body.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Json`](crate::error::MalformedError::Json) for invalid JSON or a
    /// non-object document.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let v = parse_json_value(body, MAX_JSON)?;
        let obj = v
            .as_object()
            .ok_or_else(|| invalid("DeviceConfig document"))?;
        let mut out = Self::default();
        for (k, v) in obj {
            let Some(s) = v.as_str() else { continue };
            let slot = match k.to_ascii_lowercase().as_str() {
                "aadendpointurl" => &mut out.aad_endpoint_url,
                "clientid" => &mut out.client_id,
                "devicepairingwebsiteurl" => &mut out.device_pairing_website_url,
                "autodiscoverurl" => &mut out.auto_discover_url,
                _ => {
                    out.other.push((k.clone(), s.to_owned()));
                    continue;
                }
            };
            *slot = Some(s.trim().to_owned());
        }
        Ok(out)
    }

    /// The AAD v1 device-code settings this bootstrap points at, for `resource`.
    /// `None` when `AadEndpointUrl` or `ClientId` is missing. The tenant is `common`.
    pub fn aad_v1(&self, resource: &str) -> Option<DeviceCodeConfig> {
        let base = self.aad_endpoint_url.as_deref()?.trim_end_matches('/');
        Some(DeviceCodeConfig::aad_v1(
            &format!("{base}/common"),
            self.client_id.as_deref()?,
            resource,
        ))
    }
}

/// Which protocol dialect to speak.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// Azure AD v1: `resource=…`, token request `grant_type=device_code&code=…`
    /// (ADAL-py). Which `resource` phones use is UNCONFIRMED; the autodiscover host
    /// (`https://webdirNN.online.lync.com/`) is what \[UCWA-AAD\] uses.
    AadV1 {
        /// The `resource` parameter.
        resource: String,
    },
    /// RFC 8628 / AAD v2: `scope=…`, token request
    /// `grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=…`.
    Rfc8628 {
        /// The `scope` parameter (space-separated), if any.
        scope: Option<String>,
    },
}

/// Endpoints and client identity of a device-code flow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodeConfig {
    /// The device authorization endpoint.
    pub device_authorization_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// `client_id`.
    pub client_id: String,
    /// The dialect.
    pub dialect: Dialect,
}

impl DeviceCodeConfig {
    /// Azure AD v1 under `authority` (e.g. `https://login.microsoftonline.com/common`):
    /// `POST {authority}/oauth2/devicecode?api-version=1.0` and
    /// `POST {authority}/oauth2/token`.
    pub fn aad_v1(authority: &str, client_id: &str, resource: &str) -> Self {
        let a = authority.trim_end_matches('/');
        Self {
            device_authorization_url: format!("{a}/oauth2/devicecode?api-version=1.0"),
            token_url: format!("{a}/oauth2/token"),
            client_id: client_id.to_owned(),
            dialect: Dialect::AadV1 {
                resource: resource.to_owned(),
            },
        }
    }

    /// RFC 8628 with explicit endpoints.
    pub fn rfc8628(
        device_authorization_url: &str,
        token_url: &str,
        client_id: &str,
        scope: Option<&str>,
    ) -> Self {
        Self {
            device_authorization_url: device_authorization_url.to_owned(),
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            dialect: Dialect::Rfc8628 {
                scope: scope.map(str::to_owned),
            },
        }
    }

    fn form_post(&self, url: &str, fields: &[(&str, &str)]) -> Result<HttpRequest, Error> {
        require_url(url)?;
        if self.client_id.is_empty() {
            return Err(MisuseError::Empty { what: "client_id" }.into());
        }
        Ok(HttpRequest::new(Method::Post, url)
            .with_header("Content-Type", "application/x-www-form-urlencoded")?
            .with_header("Accept", "application/json")?
            .with_body(form_encode(fields).into_bytes()))
    }

    fn audience(&self) -> (&'static str, Option<&str>) {
        match &self.dialect {
            Dialect::AadV1 { resource } => ("resource", Some(resource)),
            Dialect::Rfc8628 { scope } => ("scope", scope.as_deref()),
        }
    }

    /// The device authorization request: `client_id` and `resource` (v1) or `scope`.
    ///
    /// # Errors
    ///
    /// [`MisuseError::InvalidUrl`] for a bad endpoint, [`MisuseError::Empty`] for an empty
    /// client id.
    pub fn device_authorization_request(&self) -> Result<HttpRequest, Error> {
        let mut f = vec![("client_id", self.client_id.as_str())];
        if let (name, Some(v)) = self.audience() {
            f.push((name, v));
        }
        self.form_post(&self.device_authorization_url, &f)
    }

    /// The token (polling) request for `device_code`.
    ///
    /// # Errors
    ///
    /// As [`device_authorization_request`](Self::device_authorization_request).
    pub fn token_request(&self, device_code: &SecretString) -> Result<HttpRequest, Error> {
        let code = device_code.dangerous_expose();
        let mut f = vec![];
        match &self.dialect {
            Dialect::AadV1 { resource } => {
                f.push(("grant_type", "device_code"));
                f.push(("client_id", self.client_id.as_str()));
                f.push(("resource", resource.as_str()));
                f.push(("code", code));
            }
            Dialect::Rfc8628 { .. } => {
                f.push(("grant_type", GRANT_TYPE_DEVICE_CODE));
                f.push(("client_id", self.client_id.as_str()));
                f.push(("device_code", code));
            }
        }
        self.form_post(&self.token_url, &f)
    }

    /// The refresh request: `grant_type=refresh_token&refresh_token=…&client_id=…` plus
    /// `resource` (v1) or `scope`.
    ///
    /// # Errors
    ///
    /// As [`device_authorization_request`](Self::device_authorization_request).
    pub fn refresh_request(&self, refresh_token: &SecretString) -> Result<HttpRequest, Error> {
        let mut f = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.dangerous_expose()),
            ("client_id", self.client_id.as_str()),
        ];
        if let (name, Some(v)) = self.audience() {
            f.push((name, v));
        }
        self.form_post(&self.token_url, &f)
    }
}

/// The device authorization response.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The code the user types (`BX7KQ2LMP`).
    pub user_code: String,
    /// The device code used when polling (secret).
    pub device_code: SecretString,
    /// Where the user goes: `verification_uri` (RFC 8628) or `verification_url` (AAD v1).
    pub verification_uri: String,
    /// `verification_uri_complete`, if sent.
    pub verification_uri_complete: Option<String>,
    /// Seconds the codes are valid.
    pub expires_in: u64,
    /// Seconds between polls (default 5; 0 is taken as 1).
    pub interval: u64,
    /// The human-readable instruction, if sent.
    pub message: Option<String>,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn str_field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn object<'v>(v: &'v Value, what: &'static str) -> Result<&'v Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| invalid(what))
}

/// Maps an OAuth error body to an error: the device-code outcomes to [`AuthError`], the rest
/// to [`ServerError::OAuth`]; a non-JSON body to [`ServerError::Http`].
fn oauth_error(resp: &HttpResponse<'_>) -> Error {
    let parsed = parse_json_value(resp.body, MAX_JSON).ok();
    let obj = parsed.as_ref().and_then(Value::as_object);
    let Some(error) = obj.and_then(|o| str_field(o, "error")) else {
        return ServerError::Http {
            status: resp.status,
            diagnostics: None,
        }
        .into();
    };
    match error {
        "expired_token" | "code_expired" => AuthError::DeviceCodeExpired.into(),
        "access_denied" | "authorization_declined" => AuthError::AccessDenied.into(),
        "bad_verification_code" => AuthError::BadVerificationCode.into(),
        e => ServerError::OAuth {
            error: e.to_owned(),
            description: obj
                .and_then(|o| str_field(o, "error_description"))
                .map(str::to_owned),
        }
        .into(),
    }
}

impl DeviceAuthorization {
    /// Parses the response body. `device_code`, `user_code`, `expires_in` and
    /// `verification_uri`/`verification_url` are required (ADAL rejects responses without
    /// the first three).
    ///
    /// # Errors
    ///
    /// [`MalformedError::Json`](crate::error::MalformedError::Json),
    /// [`MalformedError::Missing`](crate::error::MalformedError::Missing).
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let v = parse_json_value(body, MAX_JSON)?;
        let o = object(&v, "device authorization response")?;
        let interval = match o.get("interval") {
            None | Some(Value::Null) => DEFAULT_INTERVAL,
            Some(i) => json_u64(i).ok_or_else(|| invalid("interval"))?.max(1),
        };
        Ok(Self {
            user_code: str_field(o, "user_code")
                .ok_or_else(|| missing("user_code"))?
                .to_owned(),
            device_code: SecretString::new(
                str_field(o, "device_code").ok_or_else(|| missing("device_code"))?,
            ),
            verification_uri: str_field(o, "verification_uri")
                .or_else(|| str_field(o, "verification_url"))
                .ok_or_else(|| missing("verification_uri"))?
                .to_owned(),
            verification_uri_complete: str_field(o, "verification_uri_complete").map(str::to_owned),
            expires_in: o
                .get("expires_in")
                .ok_or_else(|| missing("expires_in"))
                .and_then(|e| json_u64(e).ok_or_else(|| invalid("expires_in")))?,
            interval,
            message: str_field(o, "message").map(str::to_owned),
        })
    }

    /// Parses a 2xx response; maps an error response to the OAuth error.
    ///
    /// # Errors
    ///
    /// [`ServerError::OAuth`] / [`ServerError::Http`] for error statuses, else as
    /// [`parse`](Self::parse).
    pub fn from_response(resp: &HttpResponse<'_>) -> Result<Self, Error> {
        if !resp.is_success() {
            return Err(oauth_error(resp));
        }
        Self::parse(resp.body)
    }
}

/// A successful token response.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenResponse {
    /// `token_type` (`Bearer`).
    pub token_type: String,
    /// `access_token`.
    pub access_token: SecretString,
    /// `refresh_token`, if sent.
    pub refresh_token: Option<SecretString>,
    /// `id_token`, if sent.
    pub id_token: Option<SecretString>,
    /// When the access token expires: `now + expires_in` when `expires_in` is given
    /// (immune to clock skew), else `expires_on`.
    pub expires_at: UnixTime,
    /// `resource`, if sent.
    pub resource: Option<String>,
    /// `scope`, if sent.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("resource", &self.resource)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Refresh this many seconds before expiry by default (ADAL's 5-minute clock buffer).
pub const REFRESH_MARGIN: i64 = 300;

impl TokenResponse {
    /// Parses a token response received at `now`.
    ///
    /// # Errors
    ///
    /// [`MalformedError::Json`](crate::error::MalformedError::Json), [`MalformedError::Missing`](crate::error::MalformedError::Missing)
    /// (`access_token`, or both `expires_in` and `expires_on`), [`MalformedError::Invalid`](crate::error::MalformedError::Invalid)
    /// for a `token_type` other than `Bearer`.
    pub fn parse(body: &[u8], now: UnixTime) -> Result<Self, Error> {
        let v = parse_json_value(body, MAX_JSON)?;
        let o = object(&v, "token response")?;
        let token_type = str_field(o, "token_type").unwrap_or("Bearer").to_owned();
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(invalid("token_type"));
        }
        let secret = |k: &str| str_field(o, k).map(SecretString::new);
        let expires_in = o.get("expires_in").and_then(json_u64);
        let expires_on = o.get("expires_on").and_then(json_u64);
        let expires_at = match (expires_in, expires_on) {
            (Some(i), _) => now.plus(i64::try_from(i).unwrap_or(i64::MAX)),
            (None, Some(on)) => UnixTime(i64::try_from(on).unwrap_or(i64::MAX)),
            (None, None) => return Err(missing("expires_in")),
        };
        Ok(Self {
            token_type,
            access_token: secret("access_token").ok_or_else(|| missing("access_token"))?,
            refresh_token: secret("refresh_token"),
            id_token: secret("id_token"),
            expires_at,
            resource: str_field(o, "resource").map(str::to_owned),
            scope: str_field(o, "scope").map(str::to_owned),
        })
    }

    /// Parses a 2xx response; maps an error response (e.g. an `invalid_grant` refresh) to
    /// the OAuth error.
    ///
    /// # Errors
    ///
    /// [`ServerError::OAuth`], [`AuthError`] for the device-code outcomes, else as
    /// [`parse`](Self::parse).
    pub fn from_response(resp: &HttpResponse<'_>, now: UnixTime) -> Result<Self, Error> {
        if !resp.is_success() {
            return Err(oauth_error(resp));
        }
        Self::parse(resp.body, now)
    }

    /// Whether the access token should be refreshed at `now`: `margin` seconds or less
    /// left (use [`REFRESH_MARGIN`]).
    pub fn needs_refresh(&self, now: UnixTime, margin: i64) -> bool {
        self.expires_at.since(now) <= margin
    }

    /// The access token as an autodiscover credential (`Authorization: Bearer`).
    pub fn credential(&self) -> Credential {
        Credential::Bearer(self.access_token.clone())
    }
}

impl crate::cache::Expiring for TokenResponse {
    fn expires(&self) -> UnixTime {
        self.expires_at
    }
}

/// What the caller must do next, returned by [`DevicePoller::poll`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum PollStep {
    /// Nothing to do before this instant; call [`DevicePoller::poll`] again then.
    WaitUntil(UnixTime),
    /// Send this token request, then call [`DevicePoller::handle_response`].
    Send(HttpRequest),
    /// Signed in.
    Done(TokenResponse),
}

#[derive(Debug)]
enum PollState {
    Waiting,
    Awaiting,
    Done(TokenResponse),
    Failed(Error),
    Finished,
}

/// The device-code polling state machine.
///
/// Call order: [`poll`](Self::poll)`(now)` → `WaitUntil` (sleep) / `Send` (send, then
/// [`handle_response`](Self::handle_response)`(resp, now)` or
/// [`handle_transport_error`](Self::handle_transport_error)`(now)`) → `poll` again until
/// `Done` or an error. The first poll is one interval after creation; `slow_down` adds 5 s
/// to the interval for good; no request is sent once `expires_in` has elapsed.
///
/// ```
/// use webticket::device_code::{DeviceAuthorization, DeviceCodeConfig, DevicePoller, PollStep};
/// use webticket::http::HttpResponse;
/// use webticket::UnixTime;
///
/// let cfg = DeviceCodeConfig::aad_v1("https://login.microsoftonline.com/common", "client", "https://webdir1a.online.lync.com/");
/// let auth = DeviceAuthorization::parse(br#"{"user_code":"BX7KQ2LMP","device_code":"D","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":"5"}"#)?;
/// let t0 = UnixTime(1_000);
/// let mut p = DevicePoller::new(cfg, auth, t0);
/// assert!(matches!(p.poll(t0)?, PollStep::WaitUntil(UnixTime(1_005))));
/// let PollStep::Send(_req) = p.poll(UnixTime(1_005))? else { unreachable!() };
/// p.handle_response(&HttpResponse::new(400, br#"{"error":"authorization_pending"}"#), UnixTime(1_006))?;
/// assert!(matches!(p.poll(UnixTime(1_006))?, PollStep::WaitUntil(UnixTime(1_011))));
/// # Ok::<(), webticket::Error>(())
/// ```
#[derive(Debug)]
pub struct DevicePoller {
    config: DeviceCodeConfig,
    authorization: DeviceAuthorization,
    interval: i64,
    next_poll: UnixTime,
    expires_at: UnixTime,
    polls: u32,
    state: PollState,
}

impl DevicePoller {
    /// Starts polling for `authorization`, received at `now`.
    pub fn new(
        config: DeviceCodeConfig,
        authorization: DeviceAuthorization,
        now: UnixTime,
    ) -> Self {
        let interval = i64::try_from(authorization.interval.max(1)).unwrap_or(i64::MAX);
        let expires_at = now.plus(i64::try_from(authorization.expires_in).unwrap_or(i64::MAX));
        Self {
            config,
            authorization,
            interval,
            next_poll: now.plus(interval),
            expires_at,
            polls: 0,
            state: PollState::Waiting,
        }
    }

    /// The current poll interval in seconds (grows on `slow_down`).
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// When the device code expires.
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// Token requests sent so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// The authorization being polled (to show `user_code` and `verification_uri`).
    pub fn authorization(&self) -> &DeviceAuthorization {
        &self.authorization
    }

    /// The next step at `now`.
    ///
    /// # Errors
    ///
    /// The final failure once ([`AuthError::DeviceCodeExpired`], [`AuthError::AccessDenied`],
    /// [`AuthError::BadVerificationCode`], [`ServerError::OAuth`], a malformed token
    /// response); afterwards, and while a response is outstanding,
    /// [`MisuseError::UnexpectedCall`].
    pub fn poll(&mut self, now: UnixTime) -> Result<PollStep, Error> {
        match &self.state {
            PollState::Waiting => {}
            PollState::Awaiting => return Err(misuse("poll", "a response is outstanding")),
            PollState::Done(t) => return Ok(PollStep::Done(t.clone())),
            PollState::Failed(_) => {
                let PollState::Failed(e) = std::mem::replace(&mut self.state, PollState::Finished)
                else {
                    unreachable!()
                };
                return Err(e);
            }
            PollState::Finished => return Err(misuse("poll", "polling has failed")),
        }
        if now >= self.expires_at {
            self.state = PollState::Finished;
            return Err(AuthError::DeviceCodeExpired.into());
        }
        if now < self.next_poll {
            return Ok(PollStep::WaitUntil(self.next_poll.min(self.expires_at)));
        }
        let req = self.config.token_request(&self.authorization.device_code)?;
        self.state = PollState::Awaiting;
        self.polls += 1;
        Ok(PollStep::Send(req))
    }

    /// Feeds the token endpoint's answer, received at `now`.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnexpectedCall`] when no request is outstanding.
    pub fn handle_response(&mut self, resp: &HttpResponse<'_>, now: UnixTime) -> Result<(), Error> {
        if !matches!(self.state, PollState::Awaiting) {
            return Err(misuse("handle_response", "no request is outstanding"));
        }
        if resp.is_success() {
            self.state = match TokenResponse::parse(resp.body, now) {
                Ok(t) => PollState::Done(t),
                Err(e) => PollState::Failed(e),
            };
            return Ok(());
        }
        let error = parse_json_value(resp.body, MAX_JSON).ok().and_then(|v| {
            v.as_object()
                .and_then(|o| str_field(o, "error"))
                .map(str::to_owned)
        });
        match error.as_deref() {
            Some("authorization_pending") => {
                self.next_poll = now.plus(self.interval);
                self.state = PollState::Waiting;
            }
            Some("slow_down") => {
                self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
                self.next_poll = now.plus(self.interval);
                self.state = PollState::Waiting;
            }
            _ => self.state = PollState::Failed(oauth_error(resp)),
        }
        Ok(())
    }

    /// Reports that the outstanding request failed below HTTP; the next poll is one
    /// interval later.
    ///
    /// # Errors
    ///
    /// [`MisuseError::UnexpectedCall`] when no request is outstanding.
    pub fn handle_transport_error(&mut self, now: UnixTime) -> Result<(), Error> {
        if !matches!(self.state, PollState::Awaiting) {
            return Err(misuse(
                "handle_transport_error",
                "no request is outstanding",
            ));
        }
        self.next_poll = now.plus(self.interval);
        self.state = PollState::Waiting;
        Ok(())
    }
}

fn misuse(call: &'static str, state: &'static str) -> Error {
    MisuseError::UnexpectedCall { call, state }.into()
}
