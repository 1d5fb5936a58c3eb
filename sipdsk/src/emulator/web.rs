//! The emulator's HTTPS services: routing by path to the sans-IO server sides of
//! `webticket` and `certprov`.
//!
//! | path | service |
//! |---|---|
//! | `/`, `/autodiscover/autodiscoverservice.svc/root[/user, /oauth/user]` | autodiscover |
//! | `/WebTicket/WebTicketService.svc/mex`, `…/WinNegotiate` (Basic), `…/WsFedBearer` (OrgID token), `…/OAuth` (Bearer) | web ticket |
//! | `/getuserrealm.srf`, `/RST2.srf` | OrgID |
//! | `/common/oauth2/devicecode`, `/common/oauth2/token`, `/devicelogin` | device code |
//! | `/api/DeviceConfig/…` | phone bootstrap |
//! | `/CertProv/CertProvisioningService.svc/mex`, `…/WebTicket_Proof_SHA1` | certificate provisioning |

use std::sync::Arc;
use std::sync::atomic::Ordering;

use certprov::server::{CertAuthority, CertProvService, IssuePolicy, KnownTicket};
use rand_core::OsRng;
use webticket::UnixTime;
use webticket::autodiscover::SipAddress;
use webticket::crypto::SecretString;
use webticket::device_code::DeviceConfig;
use webticket::server::autodiscover::{
    AutodiscoverResponder, CredentialCheck, SiteConfig, UserAuth, UserCredential,
};
use webticket::server::device_code::{AuthorityConfig, DeviceCodeAuthority};
use webticket::server::mex;
use webticket::server::orgid::{OrgIdServer, OrgIdServerConfig};
use webticket::server::ticket::{
    AuthFailure, AuthRequest, PresentedCredential, TicketService, TicketServiceConfig,
};
use webticket::server::{ServerRequest, ServerResponse};

pub use webticket::server::device_code::PendingCode;

use super::{EmulatorConfig, Names, Shared, User, web_now};
use crate::http::{Handler, Received};

pub(crate) const CERTPROV_PATH: &str = "/CertProv/CertProvisioningService.svc";
const CERTPROV_PORT_PATH: &str = "/CertProv/CertProvisioningService.svc/WebTicket_Proof_SHA1";
const WEBTICKET_PATH: &str = "/WebTicket/WebTicketService.svc";

/// Everything the web services remember.
pub(crate) struct WebState {
    users: Vec<User>,
    base: String,
    autodiscover: AutodiscoverResponder,
    tickets: TicketService,
    orgid: OrgIdServer,
    devices: DeviceCodeAuthority,
    auto_approve: Option<String>,
    ca: CertAuthority,
    cert_lifetime: i64,
    login_base: String,
}

impl WebState {
    pub(crate) fn new(
        config: &EmulatorConfig,
        names: &Names,
        base: &str,
        sip_port: u16,
        ca: CertAuthority,
    ) -> Result<Self, String> {
        let login_base = format!("https://{}", names.login);
        let ad = |e: webticket::Error| format!("autodiscover: {e}");
        let mut site = SiteConfig::new(&config.domain, base, &format!("{base}{WEBTICKET_PATH}"))
            .map_err(ad)?
            .internal_pool(&names.sip, sip_port)
            .external_pool(&names.sip, sip_port)
            // SIPE answers the User resource's 401 only with HTTP authentication.
            .offer_basic(true);
        for host in [&names.autodiscover, &names.autodiscover_internal] {
            site = site.base_url(&format!("https://{host}")).map_err(ad)?;
            if let Some(p) = config.autodiscover_port.filter(|p| *p != 443) {
                site = site.base_url(&format!("https://{host}:{p}")).map_err(ad)?;
            }
        }
        let tickets = TicketService::new(
            TicketServiceConfig::new(&format!("{base}{WEBTICKET_PATH}"))
                .map_err(|e| format!("web-ticket service: {e}"))?
                .lifetime_secs(config.ticket_lifetime)
                .oauth_port(true),
        );
        let orgid =
            OrgIdServer::new(OrgIdServerConfig::default().token_lifetime(config.ticket_lifetime));
        let devices = DeviceCodeAuthority::new(
            AuthorityConfig::default()
                .verification_uri(format!("{login_base}/devicelogin"))
                .interval(config.device_code_interval.max(1) as u64)
                .expires_in(config.device_code_expires.max(1) as u64),
        );
        Ok(Self {
            users: config.users.clone(),
            base: base.to_string(),
            autodiscover: AutodiscoverResponder::new(site),
            tickets,
            orgid,
            devices,
            auto_approve: config.auto_approve.clone(),
            ca,
            cert_lifetime: config.cert_lifetime,
            login_base,
        })
    }

    fn user_exists(&self, user: &str) -> bool {
        let user = user.trim_start_matches("sip:");
        self.users
            .iter()
            .any(|u| u.address.eq_ignore_ascii_case(user))
    }

    pub(crate) fn pending_codes(&self, now: UnixTime) -> Vec<PendingCode> {
        self.devices.pending(now)
    }

    pub(crate) fn approve(
        &mut self,
        user_code: &str,
        user: &str,
        now: UnixTime,
    ) -> Result<(), String> {
        if !self.user_exists(user) {
            return Err(format!("no user {user}"));
        }
        self.devices
            .approve(user_code, user, now)
            .map_err(|e| e.to_string())
    }

    pub(crate) fn decline(&mut self, user_code: &str, now: UnixTime) -> Result<(), String> {
        self.devices.deny(user_code, now).map_err(|e| e.to_string())
    }
}

/// The HTTP handler over the shared state.
pub(crate) fn handler(shared: Arc<Shared>) -> Handler {
    Arc::new(move |req: &Received| {
        let view = req.view();
        let resp = {
            let mut web = shared.web.lock().unwrap_or_else(|p| p.into_inner());
            route(&mut web, &shared, &view)
        };
        shared.log(format_args!(
            "https: {} {} {} -> {}",
            req.peer,
            req.method,
            req.target.split('?').next().unwrap_or(""),
            resp.status
        ));
        resp
    })
}

fn route(web: &mut WebState, shared: &Shared, req: &ServerRequest<'_>) -> ServerResponse {
    let now = web_now();
    let path = req.path().to_ascii_lowercase();
    let lower = |p: &str| p.to_ascii_lowercase();
    if path == "/" || path.starts_with("/autodiscover/") {
        return autodiscover(web, req, now);
    }
    if path.starts_with(&lower(&format!("{WEBTICKET_PATH}/"))) {
        return issue(web, shared, req, now);
    }
    if path == lower(CERTPROV_PATH) || path == lower(&format!("{CERTPROV_PATH}/mex")) {
        return mex::cert_provisioning(
            &format!("{}{CERTPROV_PORT_PATH}", web.base),
            &format!("{}{WEBTICKET_PATH}", web.base),
        )
        .to_response();
    }
    if path == lower(CERTPROV_PORT_PATH) {
        return certificate(web, shared, req, now);
    }
    if path.ends_with("/getuserrealm.srf") || path.ends_with("/rst2.srf") {
        let users = web.users.clone();
        let mut check = |u: &str, p: &SecretString| {
            let name = u.trim_start_matches("sip:");
            let ok = users.iter().any(|x| {
                x.address.eq_ignore_ascii_case(name) && x.password == p.dangerous_expose()
            });
            if !ok {
                shared.log(format_args!("orgid: wrong user name or password for {u:?}"));
            }
            ok
        };
        return web.orgid.handle(req, now, &mut OsRng, &mut check);
    }
    if path.starts_with("/api/deviceconfig/") {
        let mut c = DeviceConfig::default();
        c.aad_endpoint_url = Some(web.login_base.clone());
        c.device_pairing_website_url = Some(format!("{}/devicelogin", web.login_base));
        c.auto_discover_url = Some(format!(
            "{}/autodiscover/autodiscoverservice.svc/root",
            web.base
        ));
        return webticket::server::device_code::device_config_response(&c);
    }
    if path.contains("/oauth2/") || path == "/devicelogin" {
        let users = web.users.clone();
        let mut check = |u: &str, p: &SecretString| {
            let u = u.trim_start_matches("sip:");
            users
                .iter()
                .any(|x| x.address.eq_ignore_ascii_case(u) && x.password == p.dangerous_expose())
        };
        let resp = web.devices.handle(req, now, &mut OsRng, &mut check);
        if let Some(user) = web.auto_approve.clone() {
            for code in web.devices.pending(now) {
                if matches!(
                    code.state,
                    webticket::server::device_code::CodeState::Pending
                ) {
                    let _ = web.devices.approve(&code.user_code, &user, now);
                    shared.log(format_args!(
                        "device code {} approved for {user} (--auto-approve)",
                        code.user_code
                    ));
                }
            }
        }
        return resp;
    }
    ServerResponse::new(404)
}

fn autodiscover(web: &mut WebState, req: &ServerRequest<'_>, now: UnixTime) -> ServerResponse {
    let WebState {
        autodiscover,
        tickets,
        devices,
        users,
        ..
    } = web;
    let mut check = |c: &CredentialCheck<'_>| -> UserAuth {
        let user = match c.credential {
            UserCredential::WebTicket(value) => tickets
                .verify_header(value, Some(c.user_url), now)
                .ok()
                .map(|t| t.user().as_str().to_string()),
            UserCredential::Bearer(token) => devices
                .verify_access_token(token.dangerous_expose(), now)
                .ok()
                .map(|g| g.user),
            UserCredential::Basic { username, password } => {
                let name = username.trim_start_matches("sip:");
                users
                    .iter()
                    .find(|x| {
                        x.address.eq_ignore_ascii_case(name)
                            && x.password == password.dangerous_expose()
                    })
                    .map(|x| x.address.clone())
            }
            _ => None,
        };
        match user {
            None => UserAuth::Rejected,
            Some(u) => {
                let u = u.trim_start_matches("sip:");
                match users.iter().find(|x| x.address.eq_ignore_ascii_case(u)) {
                    Some(x) => SipAddress::parse(&x.address)
                        .map_or(UserAuth::UnknownUser, UserAuth::Authenticated),
                    None => UserAuth::UnknownUser,
                }
            }
        }
    };
    autodiscover.handle(req, &mut check)
}

fn issue(
    web: &mut WebState,
    shared: &Shared,
    req: &ServerRequest<'_>,
    now: UnixTime,
) -> ServerResponse {
    let fault = shared.faults.web_ticket_fault.load(Ordering::SeqCst);
    let WebState {
        tickets,
        orgid,
        devices,
        users,
        ..
    } = web;
    let known = |u: &str| {
        let u = u.trim_start_matches("sip:");
        users.iter().find(|x| x.address.eq_ignore_ascii_case(u))
    };
    let authenticate = |a: &AuthRequest<'_>| -> Result<SipAddress, AuthFailure> {
        if fault {
            return Err(AuthFailure::Rejected(
                "fault injected by the emulator".into(),
            ));
        }
        let user = match a.credential {
            PresentedCredential::Basic { username, password }
            | PresentedCredential::UsernameToken { username, password } => {
                let u = known(username).ok_or(AuthFailure::UnknownUser)?;
                if u.password != password.dangerous_expose() {
                    return Err(AuthFailure::WrongPassword);
                }
                u.address.clone()
            }
            PresentedCredential::OrgIdToken(xml) => {
                orgid
                    .verify_token(xml, None, now)
                    .map_err(|e| AuthFailure::Rejected(e.to_string()))?
                    .user
            }
            PresentedCredential::Bearer(token) => {
                devices
                    .verify_access_token(token.dangerous_expose(), now)
                    .map_err(|e| AuthFailure::Rejected(e.to_string()))?
                    .user
            }
            _ => return Err(AuthFailure::Rejected("credential not accepted here".into())),
        };
        SipAddress::parse(user.trim_start_matches("sip:")).map_err(|_| AuthFailure::UnknownUser)
    };
    let mut logged = |a: &AuthRequest<'_>| {
        let verdict = authenticate(a);
        match &verdict {
            Ok(user) => shared.log(format_args!(
                "web ticket: {:?} port: {} authenticated",
                a.port,
                user.as_str()
            )),
            Err(why) => shared.log(format_args!(
                "web ticket: {:?} port: refused {:?}: {}",
                a.port,
                a.credential,
                why.reason()
            )),
        }
        verdict
    };
    tickets.handle(req, now, &mut OsRng, &mut logged)
}

fn certificate(
    web: &mut WebState,
    shared: &Shared,
    req: &ServerRequest<'_>,
    now: UnixTime,
) -> ServerResponse {
    if shared.faults.certprov_error.load(Ordering::SeqCst) {
        let body = certprov::server::error_response(&certprov::server::ErrorInfo::new(
            Some(28_001),
            "fault injected by the emulator",
        ))
        .unwrap_or_default();
        return ServerResponse::new(200).body(certprov::server::CONTENT_TYPE, body.into_bytes());
    }
    let tickets = &web.tickets;
    let users = &web.users;
    let lookup = |id: &str| {
        tickets.lookup(id, now).ok().and_then(|t| {
            Some(KnownTicket {
                proof_key: t.proof_key()?.clone(),
                user: t.user().as_str().to_string(),
            })
        })
    };
    let enabled = |user: &str| {
        let u = user.trim_start_matches("sip:");
        users.iter().any(|x| x.address.eq_ignore_ascii_case(u))
    };
    let service = CertProvService {
        ca: &web.ca,
        policy: IssuePolicy::default().lifetime(web.cert_lifetime),
        ticket: &lookup,
        user_enabled: &enabled,
        clock_skew: 300,
    };
    let reply = service.handle(req.body, now, &mut OsRng);
    if let Some(e) = &reply.error {
        shared.log(format_args!("certprov: refused: {e}"));
    } else if reply.certificate.is_some() {
        shared.log(format_args!("certprov: certificate issued"));
    }
    ServerResponse::new(reply.status).body(certprov::server::CONTENT_TYPE, reply.body.into_bytes())
}
