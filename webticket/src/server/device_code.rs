//! An OAuth 2.0 device-code authority (RFC 8628 and the Azure AD v1 dialect of
//! `web-services.md` §5): the service side of [`crate::device_code`].
//!
//! ```text
//!  device  POST …/oauth2/devicecode (client_id, resource|scope) ─► handle_device_authorization
//!          ◄─ 200 {device_code, user_code "BCDF-GHJK", verification_url(+_uri), expires_in, interval, message}
//!  device  POST …/oauth2/token (grant_type=device_code&code=… | urn:…:device_code&device_code=…)
//!          ◄─ 400 authorization_pending | slow_down | expired_token | access_denied | bad_verification_code
//!          ◄─ 200 {token_type Bearer, access_token, refresh_token, expires_in, expires_on, resource|scope}
//!  user    GET/POST <verification page> (user_code, username, password) ─► handle_verification_page
//!          or the operator calls approve(user_code, user) / deny(user_code)
//!  others  verify_access_token(token, now) ─► TokenGrant { user, client_id, resource, … }
//!  device  POST …/oauth2/token (grant_type=refresh_token&refresh_token=…) ─► new tokens
//! ```
//!
//! What it does: issues device and user codes, tracks their approval, rate-limits polling
//! with `slow_down` (the per-code interval grows by 5 s each time, as RFC 8628 §3.5 tells
//! the client to do), issues opaque bearer access tokens and rotating refresh tokens, and
//! checks access tokens for the other emulated services. It also renders a minimal HTML
//! verification page and the bootstrap `DeviceConfig` JSON (§5.1).
//!
//! What it does **not** do: no sockets, no clock (every call takes `now`), no global RNG
//! (randomness comes in as `&mut dyn CryptoRngCore`), no user database (passwords are
//! checked by a caller callback), no JWTs (tokens are random opaque strings; real Azure AD
//! access tokens are signed JWTs, and no `id_token` is issued), no client authentication
//! (public clients only), no consent, no multi-factor prompts.
//!
//! Secrets (device codes, access and refresh tokens) are never stored: the authority keeps
//! only their SHA-1 digests and compares digests. State is bounded: at most
//! [`AuthorityConfig::max_pending`] outstanding codes and [`AuthorityConfig::max_tokens`]
//! access and refresh tokens each; expired entries are purged on every call that adds one.
//!
//! UNCONFIRMED choices (the sources do not say what Azure AD does):
//! - the first poll must also wait one interval after the code was issued, otherwise
//!   `slow_down`;
//! - a poll for an approved or declined code is answered with the outcome even when it
//!   came early; `slow_down` only applies to a pending code;
//! - an expired code answers `expired_token` for [`EXPIRED_RETENTION`] seconds, then is
//!   forgotten (`bad_verification_code`); a code that produced tokens is forgotten at once;
//! - refresh tokens rotate: a refresh returns a new refresh token and the old one stops
//!   working (`invalid_grant`); the old **access** token stays valid until its own expiry
//!   (like a self-contained Azure AD JWT, which cannot be recalled);
//! - a request in the AAD v1 form (`resource`, `grant_type=device_code`) is answered with
//!   numbers as strings (`"expires_in":"900"`, as AAD v1 does per ADAL-py), the RFC 8628
//!   form with JSON numbers; both carry `verification_url` and `verification_uri`;
//! - a wrong `client_id` on the token endpoint is `invalid_grant`, an unknown one on the
//!   device endpoint (when [`AuthorityConfig::allowed_client_ids`] is set) is
//!   `unauthorized_client`; a full store is `503 temporarily_unavailable`.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use rand_core::CryptoRngCore;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::{ServerRequest, ServerResponse};
use crate::crypto::{SecretString, sha1};
use crate::device_code::{DeviceConfig, GRANT_TYPE_DEVICE_CODE, SLOW_DOWN_STEP};
use crate::error::{AuthError, Error, MisuseError};
use crate::time::UnixTime;
use crate::xml::escape_attr;

/// Default lifetime of a device code in seconds (`expires_in`; 900 in WU2).
pub const DEFAULT_EXPIRES_IN: u64 = 900;
/// Default polling interval in seconds.
pub const DEFAULT_INTERVAL: u64 = 5;
/// Default access-token lifetime in seconds (Azure AD's 1 h minus one second, as in §8 F11).
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: u64 = 3599;
/// Default refresh-token lifetime in seconds (14 days; UNCONFIRMED).
pub const DEFAULT_REFRESH_TOKEN_LIFETIME: u64 = 14 * 86_400;
/// Default cap on outstanding device codes.
pub const DEFAULT_MAX_PENDING: usize = 1_000;
/// Default cap on live access tokens (and, separately, refresh tokens).
pub const DEFAULT_MAX_TOKENS: usize = 10_000;
/// How long an expired device code still answers `expired_token` before it is forgotten.
pub const EXPIRED_RETENTION: i64 = 300;
/// Largest form body accepted, in bytes.
pub const MAX_FORM_BODY: usize = 16 * 1024;
/// Largest number of fields accepted in a form body or query.
const MAX_FORM_FIELDS: usize = 64;
/// The user-code alphabet: 20 consonants without vowels (no words) and without look-alikes,
/// the example of RFC 8628 §6.1.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Letters in a user code (shown as `XXXX-XXXX`): 20^8, about 34.5 bits.
const USER_CODE_LEN: usize = 8;
/// Random bytes in a device code, an access token or a refresh token.
const TOKEN_BYTES: usize = 32;

/// Settings of a [`DeviceCodeAuthority`]. Build with [`Default`] and the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorityConfig {
    /// Where users go to enter the code (`verification_uri`). Point it at the URL the
    /// caller maps to [`DeviceCodeAuthority::handle_verification_page`]. Default
    /// `https://microsoft.com/devicelogin`.
    pub verification_uri: String,
    /// Device-code lifetime in seconds (default 900).
    pub expires_in: u64,
    /// Initial polling interval in seconds (default 5, at least 1).
    pub interval: u64,
    /// Access-token lifetime in seconds (default 3599).
    pub access_token_lifetime: u64,
    /// Refresh-token lifetime in seconds (default 14 days).
    pub refresh_token_lifetime: u64,
    /// Cap on outstanding device codes (default 1 000).
    pub max_pending: usize,
    /// Cap on live access tokens and on live refresh tokens (default 10 000 each).
    pub max_tokens: usize,
    /// Accepted `client_id`s; empty accepts any.
    pub allowed_client_ids: Vec<String>,
}

impl Default for AuthorityConfig {
    fn default() -> Self {
        Self {
            verification_uri: "https://microsoft.com/devicelogin".to_owned(),
            expires_in: DEFAULT_EXPIRES_IN,
            interval: DEFAULT_INTERVAL,
            access_token_lifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
            refresh_token_lifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
            max_pending: DEFAULT_MAX_PENDING,
            max_tokens: DEFAULT_MAX_TOKENS,
            allowed_client_ids: Vec::new(),
        }
    }
}

impl AuthorityConfig {
    /// Sets [`verification_uri`](Self::verification_uri).
    pub fn verification_uri(mut self, uri: impl Into<String>) -> Self {
        self.verification_uri = uri.into();
        self
    }

    /// Sets [`expires_in`](Self::expires_in).
    pub fn expires_in(mut self, secs: u64) -> Self {
        self.expires_in = secs;
        self
    }

    /// Sets [`interval`](Self::interval).
    pub fn interval(mut self, secs: u64) -> Self {
        self.interval = secs;
        self
    }

    /// Sets [`access_token_lifetime`](Self::access_token_lifetime).
    pub fn access_token_lifetime(mut self, secs: u64) -> Self {
        self.access_token_lifetime = secs;
        self
    }

    /// Sets [`refresh_token_lifetime`](Self::refresh_token_lifetime).
    pub fn refresh_token_lifetime(mut self, secs: u64) -> Self {
        self.refresh_token_lifetime = secs;
        self
    }

    /// Sets [`max_pending`](Self::max_pending).
    pub fn max_pending(mut self, n: usize) -> Self {
        self.max_pending = n;
        self
    }

    /// Sets [`max_tokens`](Self::max_tokens).
    pub fn max_tokens(mut self, n: usize) -> Self {
        self.max_tokens = n;
        self
    }

    /// Adds an accepted `client_id`.
    pub fn allow_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.allowed_client_ids.push(client_id.into());
        self
    }
}

/// What a token is for: `resource` (Azure AD v1) or `scope` (RFC 8628 / v2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// The AAD v1 `resource` parameter.
    Resource(String),
    /// The `scope` parameter (space-separated), if any.
    Scope(Option<String>),
}

/// Which request form a code was obtained with; decides the response form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    AadV1,
    Rfc8628,
}

/// The decision on a device code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeState {
    /// Waiting for the user.
    Pending,
    /// Approved for this user; the next poll gets the tokens.
    Approved(String),
    /// Declined; the next poll gets `access_denied`.
    Denied,
}

/// An outstanding device code as [`DeviceCodeAuthority::pending`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingCode {
    /// The user code, formatted `XXXX-XXXX`.
    pub user_code: String,
    /// The `client_id` that asked for it.
    pub client_id: String,
    /// The audience asked for.
    pub audience: Audience,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// The decision so far.
    pub state: CodeState,
}

#[derive(Clone, Debug)]
struct Pending {
    info: PendingCode,
    interval: i64,
    last_poll: UnixTime,
}

/// What an access token stands for, returned by
/// [`DeviceCodeAuthority::verify_access_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenGrant {
    /// The user who approved the sign-in.
    pub user: String,
    /// The client it was issued to.
    pub client_id: String,
    /// What it is for.
    pub audience: Audience,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
}

type Digest = [u8; 20];

/// An OAuth 2.0 device-code authority. See the [module documentation](self) for the flow
/// and the choices made.
///
/// Call order: the caller's HTTP server maps requests to [`handle`](Self::handle) (or to
/// the individual `handle_*` methods) and sends back the [`ServerResponse`]; an operator
/// may also [`approve`](Self::approve) or [`deny`](Self::deny) a code listed by
/// [`pending`](Self::pending); other services call
/// [`verify_access_token`](Self::verify_access_token).
///
/// ```
/// use webticket::server::device_code::{AuthorityConfig, DeviceCodeAuthority};
/// use webticket::server::ServerRequest;
/// use webticket::UnixTime;
/// use rand_core::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1); // OsRng in production
/// let mut authority = DeviceCodeAuthority::new(AuthorityConfig::default());
/// let req = ServerRequest::new("POST", "/common/oauth2/devicecode?api-version=1.0")
///     .body(b"client_id=c1&resource=https%3A%2F%2Fwebdir.contoso.com%2F");
/// let resp = authority.handle_device_authorization(&req, UnixTime(1_000), &mut rng);
/// assert_eq!(resp.status, 200);
/// let code = authority.pending(UnixTime(1_000))[0].user_code.clone();
/// authority.approve(&code, "alice@contoso.com", UnixTime(1_010))?;
/// # Ok::<(), webticket::Error>(())
/// ```
pub struct DeviceCodeAuthority {
    config: AuthorityConfig,
    pending: HashMap<Digest, Pending>,
    access: HashMap<Digest, TokenGrant>,
    refresh: HashMap<Digest, TokenGrant>,
}

impl fmt::Debug for DeviceCodeAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeAuthority")
            .field("config", &self.config)
            .field("pending", &self.pending.len())
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .finish()
    }
}

/// A password check the caller supplies: `(username, password) -> accepted`.
pub type PasswordCheck<'c> = &'c mut dyn FnMut(&str, &SecretString) -> bool;

impl DeviceCodeAuthority {
    /// An authority with no codes and no tokens.
    pub fn new(config: AuthorityConfig) -> Self {
        Self {
            config,
            pending: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &AuthorityConfig {
        &self.config
    }

    /// Routes a request by path (case-insensitive): `…/oauth2/devicecode` and
    /// `…/oauth2/v2.0/devicecode` to [`handle_device_authorization`](Self::handle_device_authorization),
    /// `…/oauth2/token` and `…/oauth2/v2.0/token` to [`handle_token`](Self::handle_token),
    /// the path of [`AuthorityConfig::verification_uri`] to
    /// [`handle_verification_page`](Self::handle_verification_page); anything else is `404`.
    pub fn handle(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
        check_password: PasswordCheck<'_>,
    ) -> ServerResponse {
        let path = req.path().trim_end_matches('/').to_ascii_lowercase();
        if path.ends_with("/oauth2/devicecode") || path.ends_with("/oauth2/v2.0/devicecode") {
            self.handle_device_authorization(req, now, rng)
        } else if path.ends_with("/oauth2/token") || path.ends_with("/oauth2/v2.0/token") {
            self.handle_token(req, now, rng)
        } else if path
            == self
                .verification_path()
                .trim_end_matches('/')
                .to_ascii_lowercase()
        {
            self.handle_verification_page(req, now, check_password)
        } else {
            ServerResponse::new(404)
        }
    }

    /// The path part of [`AuthorityConfig::verification_uri`] (`/` when it has none).
    pub fn verification_path(&self) -> &str {
        let uri = &self.config.verification_uri;
        let after_scheme = uri.split_once("://").map_or(uri.as_str(), |(_, r)| r);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        path.split(['?', '#']).next().unwrap_or("/")
    }

    /// `POST …/oauth2/devicecode`: form `client_id` plus `resource` (AAD v1) or `scope`
    /// (RFC 8628). Answers `200` with the codes, or `400`/`405`/`503` with an OAuth error.
    pub fn handle_device_authorization(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return method_not_allowed("POST");
        }
        let Some(form) = parse_form(req.body) else {
            return oauth_error(400, "invalid_request", "malformed form body", None);
        };
        let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
            return oauth_error(400, "invalid_request", "client_id is required", None);
        };
        if !self.client_allowed(client_id) {
            return oauth_error(400, "unauthorized_client", "unknown client_id", None);
        }
        let (audience, form_kind) = match form.get("resource").filter(|r| !r.is_empty()) {
            Some(r) => (Audience::Resource(r.to_owned()), Form::AadV1),
            None => (
                Audience::Scope(form.get("scope").map(str::to_owned)),
                Form::Rfc8628,
            ),
        };
        self.purge_expired(now);
        if self.pending.len() >= self.config.max_pending {
            return oauth_error(
                503,
                "temporarily_unavailable",
                "too many outstanding device codes",
                None,
            );
        }
        let Some(user_code) = self.fresh_user_code(rng) else {
            return oauth_error(503, "temporarily_unavailable", "no free user code", None);
        };
        let device_code = random_token(rng);
        let expires_in = self.config.expires_in;
        let interval = self.config.interval.max(1);
        let expires_at = now.plus(i64::try_from(expires_in).unwrap_or(i64::MAX));
        self.pending.insert(
            digest(device_code.dangerous_expose()),
            Pending {
                info: PendingCode {
                    user_code: user_code.clone(),
                    client_id: client_id.to_owned(),
                    audience,
                    issued_at: now,
                    expires_at,
                    state: CodeState::Pending,
                },
                interval: i64::try_from(interval).unwrap_or(i64::MAX),
                last_poll: now,
            },
        );
        let uri = &self.config.verification_uri;
        let sep = if uri.contains('?') { '&' } else { '?' };
        let body = json!({
            "device_code": device_code.dangerous_expose(),
            "user_code": user_code,
            "verification_url": uri,
            "verification_uri": uri,
            "verification_uri_complete": format!("{uri}{sep}user_code={user_code}"),
            "expires_in": number(form_kind, expires_in),
            "interval": number(form_kind, interval),
            "message": format!(
                "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
            ),
        });
        json_response(200, &body)
    }

    /// `POST …/oauth2/token`: the device-code grant in both forms (`grant_type=device_code`
    /// with `code`, or `grant_type=urn:ietf:params:oauth:grant-type:device_code` with
    /// `device_code`) and `grant_type=refresh_token`. See the module documentation for the
    /// answers.
    pub fn handle_token(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return method_not_allowed("POST");
        }
        let Some(form) = parse_form(req.body) else {
            return oauth_error(400, "invalid_request", "malformed form body", None);
        };
        let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
            return oauth_error(400, "invalid_request", "client_id is required", None);
        };
        match form.get("grant_type").unwrap_or("") {
            "device_code" => {
                let code = form.get("code").or_else(|| form.get("device_code"));
                self.device_code_grant(code, client_id, Form::AadV1, now, rng)
            }
            GRANT_TYPE_DEVICE_CODE => {
                let code = form.get("device_code").or_else(|| form.get("code"));
                self.device_code_grant(code, client_id, Form::Rfc8628, now, rng)
            }
            "refresh_token" => self.refresh_grant(&form, client_id, now, rng),
            "" => oauth_error(400, "invalid_request", "grant_type is required", None),
            _ => oauth_error(
                400,
                "unsupported_grant_type",
                "unsupported grant_type",
                None,
            ),
        }
    }

    fn device_code_grant(
        &mut self,
        code: Option<&str>,
        client_id: &str,
        form: Form,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerResponse {
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return oauth_error(400, "invalid_request", "device code is required", None);
        };
        let key = digest(code);
        let Some(p) = self.pending.get_mut(&key) else {
            return oauth_error(
                400,
                "bad_verification_code",
                "the device code is not recognised",
                None,
            );
        };
        if p.info.client_id != client_id {
            return oauth_error(
                400,
                "invalid_grant",
                "the device code was issued to another client",
                None,
            );
        }
        if now >= p.info.expires_at {
            return oauth_error(400, "expired_token", "the device code has expired", None);
        }
        match &p.info.state {
            CodeState::Denied => {
                self.pending.remove(&key);
                oauth_error(400, "access_denied", "the user declined the sign-in", None)
            }
            CodeState::Pending => {
                let too_early = now < p.last_poll.plus(p.interval);
                p.last_poll = now;
                if too_early {
                    p.interval = p.interval.saturating_add(SLOW_DOWN_STEP);
                    let interval = p.interval;
                    oauth_error(
                        400,
                        "slow_down",
                        "polled faster than the interval",
                        Some(interval),
                    )
                } else {
                    oauth_error(
                        400,
                        "authorization_pending",
                        "the user has not yet completed sign-in",
                        None,
                    )
                }
            }
            CodeState::Approved(user) => {
                let grant = TokenGrant {
                    user: user.clone(),
                    client_id: p.info.client_id.clone(),
                    audience: p.info.audience.clone(),
                    issued_at: now,
                    expires_at: now,
                };
                self.pending.remove(&key);
                self.issue_tokens(grant, form, now, rng)
            }
        }
    }

    fn refresh_grant(
        &mut self,
        form: &FormFields,
        client_id: &str,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerResponse {
        let Some(token) = form.get("refresh_token").filter(|t| !t.is_empty()) else {
            return oauth_error(400, "invalid_request", "refresh_token is required", None);
        };
        let key = digest(token);
        let valid = self
            .refresh
            .get(&key)
            .is_some_and(|g| g.client_id == client_id && now < g.expires_at);
        if !valid {
            return oauth_error(400, "invalid_grant", "the refresh token is not valid", None);
        }
        let Some(old) = self.refresh.remove(&key) else {
            return oauth_error(400, "invalid_grant", "the refresh token is not valid", None);
        };
        let (audience, form_kind) = match (form.get("resource"), form.get("scope")) {
            (Some(r), _) if !r.is_empty() => (Audience::Resource(r.to_owned()), Form::AadV1),
            (_, Some(s)) if !s.is_empty() => (Audience::Scope(Some(s.to_owned())), Form::Rfc8628),
            _ => {
                let f = match old.audience {
                    Audience::Resource(_) => Form::AadV1,
                    Audience::Scope(_) => Form::Rfc8628,
                };
                (old.audience.clone(), f)
            }
        };
        let grant = TokenGrant {
            audience,
            issued_at: now,
            ..old
        };
        self.issue_tokens(grant, form_kind, now, rng)
    }

    fn issue_tokens(
        &mut self,
        grant: TokenGrant,
        form: Form,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> ServerResponse {
        self.purge_expired(now);
        let access = random_token(rng);
        let refresh = random_token(rng);
        let at_life = i64::try_from(self.config.access_token_lifetime).unwrap_or(i64::MAX);
        let rt_life = i64::try_from(self.config.refresh_token_lifetime).unwrap_or(i64::MAX);
        let access_grant = TokenGrant {
            issued_at: now,
            expires_at: now.plus(at_life),
            ..grant.clone()
        };
        let refresh_grant = TokenGrant {
            issued_at: now,
            expires_at: now.plus(rt_life),
            ..grant
        };
        let expires_on = access_grant.expires_at.secs();
        let mut body = Map::new();
        body.insert("token_type".into(), "Bearer".into());
        body.insert(
            "expires_in".into(),
            number(form, self.config.access_token_lifetime),
        );
        body.insert(
            "expires_on".into(),
            match form {
                Form::AadV1 => Value::String(expires_on.to_string()),
                Form::Rfc8628 => Value::from(expires_on),
            },
        );
        match &access_grant.audience {
            Audience::Resource(r) => {
                body.insert("resource".into(), Value::String(r.clone()));
            }
            Audience::Scope(Some(s)) => {
                body.insert("scope".into(), Value::String(s.clone()));
            }
            Audience::Scope(None) => {}
        }
        body.insert(
            "access_token".into(),
            access.dangerous_expose().to_owned().into(),
        );
        body.insert(
            "refresh_token".into(),
            refresh.dangerous_expose().to_owned().into(),
        );
        insert_capped(
            &mut self.access,
            digest(access.dangerous_expose()),
            access_grant,
            self.config.max_tokens,
        );
        insert_capped(
            &mut self.refresh,
            digest(refresh.dangerous_expose()),
            refresh_grant,
            self.config.max_tokens,
        );
        let body = Zeroizing::new(Value::Object(body).to_string());
        json_response_text(200, body.as_bytes())
    }

    /// The verification page. `GET` shows a form (the `user_code` query parameter
    /// pre-fills the code); `POST` with form fields `user_code`, `username`, `password`
    /// (and optionally `action=deny`) checks the password through `check_password` and
    /// approves (or declines) the code. Answers `200` on success, `400` for a missing
    /// field or an unknown or expired code, `403` for a rejected password.
    ///
    /// The user code is matched ignoring case, spaces and dashes.
    pub fn handle_verification_page(
        &mut self,
        req: &ServerRequest<'_>,
        now: UnixTime,
        check_password: PasswordCheck<'_>,
    ) -> ServerResponse {
        if req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD") {
            let code = req
                .query()
                .and_then(|q| parse_form(q.as_bytes()))
                .and_then(|f| f.get("user_code").map(str::to_owned))
                .unwrap_or_default();
            return html_page(200, "Sign in", "", &code);
        }
        if !req.method.eq_ignore_ascii_case("POST") {
            return method_not_allowed("GET, POST");
        }
        let Some(form) = parse_form(req.body) else {
            return html_page(400, "Sign in", "The form could not be read.", "");
        };
        let code = form.get("user_code").unwrap_or("").to_owned();
        let username = form.get("username").unwrap_or("").trim().to_owned();
        let password = SecretString::new(form.get("password").unwrap_or(""));
        if code.is_empty() || username.is_empty() || password.is_empty() {
            return html_page(
                400,
                "Sign in",
                "Enter the code, your user name and your password.",
                &code,
            );
        }
        let Some(key) = self.find_user_code(&code) else {
            return html_page(400, "Sign in", "That code is not valid.", "");
        };
        if self
            .pending
            .get(&key)
            .is_none_or(|p| now >= p.info.expires_at)
        {
            return html_page(400, "Sign in", "That code has expired.", "");
        }
        if !check_password(&username, &password) {
            return html_page(
                403,
                "Sign in",
                "The user name or password is incorrect.",
                &code,
            );
        }
        let deny = form
            .get("action")
            .is_some_and(|a| a.eq_ignore_ascii_case("deny"));
        let result = if deny {
            self.decide(&code, CodeState::Denied, now)
        } else {
            self.decide(&code, CodeState::Approved(username.clone()), now)
        };
        match result {
            Ok(()) if deny => html_page(200, "Declined", "The sign-in was declined.", ""),
            Ok(()) => html_page(
                200,
                "Signed in",
                &format!(
                    "You are signed in as {username} on your device. You can close this window."
                ),
                "",
            ),
            Err(_) => html_page(400, "Sign in", "That code was already used.", ""),
        }
    }

    /// Approves `user_code` (matched ignoring case, spaces and dashes) for `user`: the
    /// device's next poll gets the tokens.
    ///
    /// # Errors
    ///
    /// [`AuthError::BadVerificationCode`] for an unknown code,
    /// [`AuthError::DeviceCodeExpired`] for an expired one,
    /// [`MisuseError::UnexpectedCall`] when it was already approved or declined,
    /// [`MisuseError::Empty`] for an empty user.
    pub fn approve(&mut self, user_code: &str, user: &str, now: UnixTime) -> Result<(), Error> {
        if user.trim().is_empty() {
            return Err(MisuseError::Empty { what: "user" }.into());
        }
        self.decide(user_code, CodeState::Approved(user.trim().to_owned()), now)
    }

    /// Declines `user_code`: the device's next poll gets `access_denied`.
    ///
    /// # Errors
    ///
    /// As [`approve`](Self::approve).
    pub fn deny(&mut self, user_code: &str, now: UnixTime) -> Result<(), Error> {
        self.decide(user_code, CodeState::Denied, now)
    }

    fn decide(&mut self, user_code: &str, state: CodeState, now: UnixTime) -> Result<(), Error> {
        let key = self
            .find_user_code(user_code)
            .ok_or(AuthError::BadVerificationCode)?;
        let p = self
            .pending
            .get_mut(&key)
            .ok_or(AuthError::BadVerificationCode)?;
        if now >= p.info.expires_at {
            return Err(AuthError::DeviceCodeExpired.into());
        }
        if p.info.state != CodeState::Pending {
            return Err(MisuseError::UnexpectedCall {
                call: "approve/deny",
                state: "the code was already decided",
            }
            .into());
        }
        p.info.state = state;
        Ok(())
    }

    /// The unexpired device codes, oldest first (for an operator console).
    pub fn pending(&self, now: UnixTime) -> Vec<PendingCode> {
        let mut out: Vec<PendingCode> = self
            .pending
            .values()
            .filter(|p| now < p.info.expires_at)
            .map(|p| p.info.clone())
            .collect();
        out.sort_by(|a, b| (a.issued_at, &a.user_code).cmp(&(b.issued_at, &b.user_code)));
        out
    }

    /// Checks an access token for another service: the grant when the token was issued
    /// here and `now` is before its expiry.
    ///
    /// # Errors
    ///
    /// [`AuthError::TokenExpired`] for an expired token, [`AuthError::CredentialRejected`]
    /// (with `url` = the verification URI, naming this authority) for an unknown one.
    pub fn verify_access_token(&self, token: &str, now: UnixTime) -> Result<TokenGrant, Error> {
        match self.access.get(&digest(token.trim())) {
            Some(g) if now < g.expires_at => Ok(g.clone()),
            Some(_) => Err(AuthError::TokenExpired.into()),
            None => Err(AuthError::CredentialRejected {
                url: self.config.verification_uri.clone(),
            }
            .into()),
        }
    }

    /// [`verify_access_token`](Self::verify_access_token) on an `Authorization` header
    /// value (`Bearer <token>`, scheme matched case-insensitively).
    ///
    /// # Errors
    ///
    /// As [`verify_access_token`](Self::verify_access_token);
    /// [`AuthError::NoSupportedScheme`] when the value is not a bearer credential.
    pub fn verify_authorization_header(
        &self,
        value: &str,
        now: UnixTime,
    ) -> Result<TokenGrant, Error> {
        let value = value.trim();
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                self.verify_access_token(token, now)
            }
            _ => Err(AuthError::NoSupportedScheme.into()),
        }
    }

    /// Revokes every access and refresh token of `user` (case-insensitive); returns how
    /// many were dropped.
    pub fn revoke_user(&mut self, user: &str) -> usize {
        let before = self.access.len() + self.refresh.len();
        self.access
            .retain(|_, g| !g.user.eq_ignore_ascii_case(user));
        self.refresh
            .retain(|_, g| !g.user.eq_ignore_ascii_case(user));
        before - self.access.len() - self.refresh.len()
    }

    /// Drops expired tokens and device codes expired for longer than
    /// [`EXPIRED_RETENTION`]; returns how many entries were dropped. Called by every
    /// method that adds an entry.
    pub fn purge_expired(&mut self, now: UnixTime) -> usize {
        let before = self.pending.len() + self.access.len() + self.refresh.len();
        self.pending
            .retain(|_, p| now < p.info.expires_at.plus(EXPIRED_RETENTION));
        self.access.retain(|_, g| now < g.expires_at);
        self.refresh.retain(|_, g| now < g.expires_at);
        before - self.pending.len() - self.access.len() - self.refresh.len()
    }

    /// Live entries: (device codes, access tokens, refresh tokens).
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.pending.len(), self.access.len(), self.refresh.len())
    }

    fn client_allowed(&self, client_id: &str) -> bool {
        self.config.allowed_client_ids.is_empty()
            || self
                .config
                .allowed_client_ids
                .iter()
                .any(|c| c.eq_ignore_ascii_case(client_id))
    }

    fn find_user_code(&self, user_code: &str) -> Option<Digest> {
        let wanted = normalize_user_code(user_code)?;
        self.pending
            .iter()
            .find(|(_, p)| normalize_user_code(&p.info.user_code).as_deref() == Some(&wanted))
            .map(|(k, _)| *k)
    }

    fn fresh_user_code(&self, rng: &mut dyn CryptoRngCore) -> Option<String> {
        (0..16)
            .map(|_| user_code(rng))
            .find(|c| !self.pending.values().any(|p| p.info.user_code == *c))
    }
}

/// The bootstrap `DeviceConfig` document (§5.1, keys `AadEndpointUrl`, `ClientId`,
/// `DevicePairingWebsiteUrl`, `AutoDiscoverUrl`, then [`DeviceConfig::other`]) as a `200`
/// JSON response that [`DeviceConfig::parse`] reads back. Absent values are omitted. The
/// key set is UNCONFIRMED (WU2 only).
pub fn device_config_response(config: &DeviceConfig) -> ServerResponse {
    let mut m = Map::new();
    for (k, v) in [
        ("AadEndpointUrl", &config.aad_endpoint_url),
        ("ClientId", &config.client_id),
        (
            "DevicePairingWebsiteUrl",
            &config.device_pairing_website_url,
        ),
        ("AutoDiscoverUrl", &config.auto_discover_url),
    ] {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::String(v.clone()));
        }
    }
    for (k, v) in &config.other {
        m.entry(k.clone())
            .or_insert_with(|| Value::String(v.clone()));
    }
    json_response(200, &Value::Object(m))
}

fn number(form: Form, n: u64) -> Value {
    match form {
        Form::AadV1 => Value::String(n.to_string()),
        Form::Rfc8628 => Value::from(n),
    }
}

fn insert_capped(
    map: &mut HashMap<Digest, TokenGrant>,
    key: Digest,
    grant: TokenGrant,
    cap: usize,
) {
    while map.len() >= cap.max(1) {
        // Full even after purging: evict the entry that expires first.
        let Some(victim) = map
            .iter()
            .min_by_key(|(_, g)| g.expires_at)
            .map(|(k, _)| *k)
        else {
            break;
        };
        map.remove(&victim);
    }
    map.insert(key, grant);
}

fn user_code(rng: &mut dyn CryptoRngCore) -> String {
    let mut out = String::with_capacity(USER_CODE_LEN + 1);
    let mut buf = [0u8; 32];
    while out.len() < USER_CODE_LEN + 1 {
        rng.fill_bytes(&mut buf);
        for &b in &buf {
            // Rejection sampling: 240 = 12 * 20 keeps the choice uniform.
            if b >= 240 {
                continue;
            }
            if out.len() == USER_CODE_LEN / 2 {
                out.push('-');
            }
            out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
            if out.len() == USER_CODE_LEN + 1 {
                break;
            }
        }
    }
    out
}

/// The letters of a user code, upper-cased, without spaces and dashes; `None` when
/// anything else is left or the length is wrong.
fn normalize_user_code(code: &str) -> Option<String> {
    let s: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == USER_CODE_LEN && s.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(s)
}

/// A random opaque token: 32 bytes from `rng`, base64url without padding (43 characters).
pub(crate) fn random_token(rng: &mut dyn CryptoRngCore) -> SecretString {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    rng.fill_bytes(&mut bytes[..]);
    SecretString::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..]))
}

/// The SHA-1 digest under which a secret is remembered.
pub(crate) fn digest(secret: &str) -> Digest {
    sha1(secret.as_bytes())
}

/// Decoded `application/x-www-form-urlencoded` fields (values zeroized on drop).
pub(crate) struct FormFields(Vec<(String, Zeroizing<String>)>);

impl FormFields {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a form body or query string: `+` is a space, `%XX` a byte, the result must be
/// UTF-8. `None` when the input is larger than [`MAX_FORM_BODY`], has more than 64 fields,
/// or does not decode.
pub(crate) fn parse_form(input: &[u8]) -> Option<FormFields> {
    if input.len() > MAX_FORM_BODY {
        return None;
    }
    let text = std::str::from_utf8(input).ok()?;
    let mut out = Vec::new();
    for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
        if out.len() == MAX_FORM_FIELDS {
            return None;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((percent_decode(k)?.to_string(), percent_decode(v)?));
    }
    Some(FormFields(out))
}

fn percent_decode(s: &str) -> Option<Zeroizing<String>> {
    let b = s.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(b.len()));
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hi = char::from(hex[0]).to_digit(16)?;
                let lo = char::from(hex[1]).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    let text = std::str::from_utf8(&out).ok()?.to_owned();
    Some(Zeroizing::new(text))
}

fn json_response(status: u16, body: &Value) -> ServerResponse {
    json_response_text(status, body.to_string().as_bytes())
}

fn json_response_text(status: u16, body: &[u8]) -> ServerResponse {
    ServerResponse::new(status)
        .header("Cache-Control", "no-store")
        .header("Pragma", "no-cache")
        .body("application/json; charset=utf-8", body.to_vec())
}

fn oauth_error(
    status: u16,
    error: &str,
    description: &str,
    interval: Option<i64>,
) -> ServerResponse {
    let mut m = Map::new();
    m.insert("error".into(), error.into());
    m.insert("error_description".into(), description.into());
    if let Some(i) = interval {
        m.insert("interval".into(), i.into());
    }
    json_response(status, &Value::Object(m))
}

fn method_not_allowed(allow: &str) -> ServerResponse {
    ServerResponse::new(405).header("Allow", allow)
}

fn html_page(status: u16, title: &str, message: &str, user_code: &str) -> ServerResponse {
    let mut html = String::with_capacity(1024);
    html.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
    html.push_str(&escape_attr(title));
    html.push_str("</title></head><body><h1>");
    html.push_str(&escape_attr(title));
    html.push_str("</h1>");
    if !message.is_empty() {
        html.push_str("<p>");
        html.push_str(&escape_attr(message));
        html.push_str("</p>");
    }
    if status != 200 || message.is_empty() {
        html.push_str(concat!(
            "<form method=\"post\">",
            "<p><label>Code <input name=\"user_code\" autocomplete=\"off\" value=\""
        ));
        html.push_str(&escape_attr(user_code));
        html.push_str(concat!(
            "\"></label></p>",
            "<p><label>User name <input name=\"username\" autocomplete=\"username\"></label></p>",
            "<p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label></p>",
            "<p><button name=\"action\" value=\"approve\">Sign in</button> ",
            "<button name=\"action\" value=\"deny\">Decline</button></p>",
            "</form>"
        ));
    }
    html.push_str("</body></html>");
    ServerResponse::new(status)
        .header("Cache-Control", "no-store")
        .header("X-Frame-Options", "DENY")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        .body("text/html; charset=utf-8", html.into_bytes())
}
