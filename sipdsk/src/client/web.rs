//! The web half of a sign-in: drives the sans-IO state machines of `webticket` and
//! `certprov` over [`HttpClient`].

use std::sync::Arc;

use certprov::{CertResponse, ClientKey, Credential, Csr, GetAndPublishCert, SignatureHash};
use rand_core::{OsRng, RngCore};
use webticket::autodiscover::{
    AutodiscoverClient, AutodiscoverConfig, AutodiscoverStep, Credential as AdCredential,
    SipAddress, SipPool,
};
use webticket::crypto::{ClientEntropy, SecretString};
use webticket::device_code::{
    DeviceAuthorization, DeviceCodeConfig, DevicePoller, PollStep, TokenResponse,
};
use webticket::http::HttpRequest;
use webticket::orgid::{OrgIdRequest, OrgIdToken, Realm, RealmInfo, realm_request_at};
use webticket::soap::Uuid;
use webticket::webticket::{IssueTokenRequest, Metadata, WebTicket, mex_request};

use super::{Context, Credentials, Event, SigninError, Step};
use crate::http::{HttpClient, Response};

/// The certificate-provisioning port SIPE and the Lync clients use.
const CERTPROV_PORT: &str = "CertProvisioningServiceWebTicketProof_SHA1";

pub(crate) fn web_now() -> webticket::UnixTime {
    webticket::UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    )
}

fn uuid() -> Uuid {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    Uuid::from_random_bytes(b)
}

/// What a web step said when it failed: the crate's error, with the server's words pulled
/// out where there are some.
fn web_error(step: Step, e: &webticket::Error) -> SigninError {
    use webticket::error::{AuthError, ServerError};
    let mut err = SigninError::new(step, e.to_string());
    match e {
        webticket::Error::Server(ServerError::Fault(f)) => err = err.said(f.message().to_string()),
        webticket::Error::Server(ServerError::Http {
            diagnostics: Some(d),
            ..
        }) => {
            if let Some(r) = d.reason() {
                err = err.said(r.to_string());
            }
        }
        webticket::Error::Auth(AuthError::DeviceCodeExpired) => {
            err = err.hint("start again and approve the code sooner");
        }
        webticket::Error::Auth(AuthError::AccessDenied) => {
            err =
                err.hint("the sign-in was declined on the verification page; start again to retry");
        }
        _ => {}
    }
    err
}

fn cert_error(e: &certprov::Error) -> SigninError {
    let mut err = SigninError::new(Step::Certificate, e.to_string());
    if let certprov::Error::Service(s) = e {
        err = err.said(s.to_string());
    }
    err
}

/// The credential state of one sign-in.
pub(crate) struct Web {
    ctx: Arc<Context>,
    http: HttpClient,
    addr: SipAddress,
    orgid: Option<OrgIdToken>,
    oauth: Option<TokenResponse>,
    device_id: Uuid,
}

impl Web {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        let http = HttpClient::new(ctx.resolver.clone(), ctx.trust.clone(), ctx.config.timeout);
        let addr = ctx
            .config
            .user
            .parse()
            .unwrap_or_else(|_| SipAddress::parse("invalid@invalid").expect("static address"));
        Self {
            ctx,
            http,
            addr,
            orgid: None,
            oauth: None,
            device_id: uuid(),
        }
    }

    async fn send(&self, step: Step, req: &HttpRequest) -> Result<Response, SigninError> {
        tracing::debug!(method = %req.method, url = %req.url, "http request");
        let resp = self
            .http
            .send(req)
            .await
            .map_err(|e| SigninError::transport(step, e))?;
        tracing::debug!(status = resp.status, url = %req.url, "http response");
        Ok(resp)
    }

    /// Autodiscover to the SIP pool. The device-code grant runs first when that is the
    /// credential (its token answers the User resource directly).
    pub(crate) async fn discover(&mut self) -> Result<SipPool, SigninError> {
        let step = Step::Autodiscover;
        if matches!(self.ctx.config.credentials, Credentials::DeviceCode) {
            self.device_code().await?;
        }
        let mut ad = AutodiscoverClient::new(self.addr.clone(), AutodiscoverConfig::default());
        if let Some(t) = &self.oauth {
            ad = ad.with_credential(AdCredential::Bearer(t.access_token.clone()));
        }
        for _ in 0..64 {
            match ad.poll().map_err(|e| {
                let mut err = web_error(step, &e);
                if let Some((url, why)) = ad.failures().last() {
                    err.message = format!("{}; last: {url}: {why}", err.message);
                }
                err
            })? {
                AutodiscoverStep::Send(req) => match self.http.send(&req).await {
                    Ok(resp) => {
                        self.ctx.progress(
                            step,
                            format!("{} {} -> {}", req.method, req.url, resp.status),
                        );
                        ad.handle_response(&resp.view())
                            .map_err(|e| web_error(step, &e))?;
                    }
                    Err(e) => {
                        tracing::debug!("autodiscover: {e}");
                        ad.handle_transport_error(&e)
                            .map_err(|e| web_error(step, &e))?;
                    }
                },
                AutodiscoverStep::NeedCredential {
                    user_url,
                    challenge,
                } => {
                    let credential = match challenge.web_ticket_url.as_deref() {
                        Some(wt) => {
                            let wt = wt.to_string();
                            AdCredential::WebTicket(self.web_ticket(&wt, &user_url, false).await?)
                        }
                        None => {
                            return Err(SigninError::new(
                                step,
                                "the User resource asked for a credential without naming a web-ticket service",
                            ));
                        }
                    };
                    ad.provide_credential(credential)
                        .map_err(|e| web_error(step, &e))?;
                }
                AutodiscoverStep::Done(found) => {
                    let pool = found.pools.first().cloned().ok_or_else(|| {
                        SigninError::new(step, "the User resource named no SIP pool")
                    })?;
                    self.ctx
                        .progress(step, format!("SIP pool {}:{}", pool.host, pool.port));
                    return Ok(pool);
                }
                _ => return Err(SigninError::new(step, "unexpected autodiscover step")),
            }
        }
        Err(SigninError::new(
            step,
            "autodiscover did not finish in 64 requests",
        ))
    }

    /// The OAuth 2.0 device-code grant: device authorization, show the code, poll.
    async fn device_code(&mut self) -> Result<(), SigninError> {
        let step = Step::DeviceCode;
        let authority = format!(
            "{}/common",
            self.ctx.config.login_base.trim_end_matches('/')
        );
        let config = DeviceCodeConfig::aad_v1(
            &authority,
            &self.ctx.config.client_id,
            &self.ctx.config.resource,
        );
        let req = config
            .device_authorization_request()
            .map_err(|e| web_error(step, &e))?;
        let resp = self.send(step, &req).await?;
        let auth =
            DeviceAuthorization::from_response(&resp.view()).map_err(|e| web_error(step, &e))?;
        self.ctx.emit(Event::DeviceCode {
            verification_uri: auth.verification_uri.clone(),
            user_code: auth.user_code.clone(),
            message: auth.message.clone(),
        });
        self.ctx.progress(
            step,
            format!(
                "code {} issued; approve it at {}",
                auth.user_code, auth.verification_uri
            ),
        );
        let deadline = tokio::time::Instant::now() + self.ctx.config.device_code_timeout;
        let mut poller = DevicePoller::new(config, auth, web_now());
        loop {
            match poller.poll(web_now()).map_err(|e| web_error(step, &e))? {
                PollStep::WaitUntil(t) => {
                    let wait = (t.0 - web_now().0).clamp(0, 60) as u64;
                    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(wait);
                    if until > deadline {
                        return Err(SigninError::new(step, "the code was not approved in time")
                            .hint("approve the code sooner, or raise --device-code-timeout"));
                    }
                    tokio::time::sleep_until(until).await;
                }
                PollStep::Send(req) => {
                    let resp = self.send(step, &req).await?;
                    poller
                        .handle_response(&resp.view(), web_now())
                        .map_err(|e| web_error(step, &e))?;
                }
                PollStep::Done(token) => {
                    self.ctx
                        .progress(step, format!("approved after {} polls", poller.polls()));
                    self.oauth = Some(token);
                    return Ok(());
                }
                _ => return Err(SigninError::new(step, "unexpected polling step")),
            }
        }
    }

    /// An OrgID token for the WsFedBearer endpoint (cached while valid).
    async fn orgid_token(
        &mut self,
        password: &SecretString,
        applies_to: &str,
    ) -> Result<(), SigninError> {
        let step = Step::OrgId;
        if self
            .orgid
            .as_ref()
            .is_some_and(|t| t.is_valid_at(web_now(), 60))
        {
            return Ok(());
        }
        let base = self.ctx.config.login_base.trim_end_matches('/').to_string();
        let req = realm_request_at(&base, self.addr.as_str()).map_err(|e| web_error(step, &e))?;
        let resp = self.send(step, &req).await?;
        let realm = RealmInfo::parse(&resp.body).map_err(|e| web_error(step, &e))?;
        if let Realm::Federated { .. } = realm.realm {
            return Err(SigninError::new(step, "the domain is federated (ADFS)")
                .hint("federated (ADFS) accounts are not supported yet; use --device-code"));
        }
        let url = format!("{base}/RST2.srf");
        let req = OrgIdRequest::password(self.addr.as_str(), password, applies_to, uuid())
            .url(&url)
            .build()
            .map_err(|e| web_error(step, &e))?;
        let resp = self.send(step, &req).await?;
        let token = OrgIdToken::from_response(&resp.view())
            .map_err(|e| web_error(step, &e).hint("check the user name and password"))?;
        self.ctx.progress(step, "OrgID token for the password");
        self.orgid = Some(token);
        Ok(())
    }

    /// A web ticket from the service at `service_url` for `applies_to`, with a proof key
    /// when `proof` (certificate provisioning requires one).
    pub(crate) async fn web_ticket(
        &mut self,
        service_url: &str,
        applies_to: &str,
        proof: bool,
    ) -> Result<WebTicket, SigninError> {
        let step = Step::WebTicket;
        let req = mex_request(service_url).map_err(|e| web_error(step, &e))?;
        let resp = self.send(step, &req).await?;
        let meta = Metadata::parse(&resp.body).map_err(|e| web_error(step, &e))?;
        let ports = meta.web_ticket_endpoints();
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        let entropy = ClientEntropy::from_bytes(seed);
        let addr = self.addr.clone();
        let context = uuid();
        let credentials = self.ctx.config.credentials.clone();
        let req = match (&credentials, &self.oauth) {
            (Credentials::DeviceCode, Some(token)) => {
                let endpoint = ports.oauth.clone().ok_or_else(|| {
                    SigninError::new(step, "the web-ticket service offers no OAuth port")
                })?;
                let mut rst = IssueTokenRequest::new(&endpoint, applies_to, context)
                    .claims(&addr)
                    .bearer_token(&token.access_token);
                if proof {
                    rst = rst.proof_key(&entropy);
                }
                rst.build().map_err(|e| web_error(step, &e))?
            }
            (Credentials::Password(password), _) => {
                if let Some(endpoint) = ports.ws_fed_bearer.clone() {
                    self.orgid_token(password, &endpoint).await?;
                    let token = self
                        .orgid
                        .as_ref()
                        .ok_or_else(|| SigninError::new(Step::OrgId, "no OrgID token"))?;
                    let security = token.security_header();
                    let mut rst = IssueTokenRequest::new(&endpoint, applies_to, context)
                        .claims(&addr)
                        .security(&security, uuid());
                    if proof {
                        rst = rst.proof_key(&entropy);
                    }
                    rst.build().map_err(|e| web_error(step, &e))?
                } else if let Some(endpoint) = ports.win_negotiate.clone() {
                    use base64::Engine;
                    let mut rst =
                        IssueTokenRequest::new(&endpoint, applies_to, context).claims(&addr);
                    if proof {
                        rst = rst.proof_key(&entropy);
                    }
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        addr.as_str(),
                        password.dangerous_expose()
                    ));
                    rst.build()
                        .and_then(|r| r.with_header("Authorization", format!("Basic {basic}")))
                        .map_err(|e| web_error(step, &e))?
                } else {
                    return Err(SigninError::new(
                        step,
                        "the web-ticket service offers neither WsFedBearer nor WinNegotiate",
                    ));
                }
            }
            _ => {
                return Err(SigninError::new(
                    step,
                    "no credential for the web-ticket service",
                ));
            }
        };
        let resp = self.send(step, &req).await?;
        let ticket = WebTicket::from_response(&resp.view(), proof.then_some(&entropy))
            .map_err(|e| web_error(step, &e))?;
        self.ctx.progress(
            step,
            format!(
                "ticket {} for {applies_to}{}",
                ticket.assertion_id(),
                if proof { " (proof key)" } else { "" }
            ),
        );
        Ok(ticket)
    }

    /// Certificate provisioning at `sts_uri`: MEX, a proof-key web ticket, a new RSA-2048
    /// key and PKCS#10, `GetAndPublishCert`, and the answer checked against the request.
    pub(crate) async fn provision_certificate(
        &mut self,
        sts_uri: &str,
    ) -> Result<Credential, SigninError> {
        let step = Step::Certificate;
        let req = mex_request(sts_uri).map_err(|e| web_error(step, &e))?;
        let resp = self.send(step, &req).await?;
        let meta = Metadata::parse(&resp.body).map_err(|e| web_error(step, &e))?;
        let needs = meta.service_requirements(CERTPROV_PORT).ok_or_else(|| {
            SigninError::new(
                step,
                format!("the service MEX has no {CERTPROV_PORT} port and policy"),
            )
        })?;
        let ticket = self
            .web_ticket(&needs.issuer, &needs.endpoint, true)
            .await?;
        let key = tokio::task::spawn_blocking(|| ClientKey::generate(&mut OsRng))
            .await
            .map_err(|e| SigninError::new(step, e.to_string()))?
            .map_err(|e| cert_error(&e))?;
        let csr = Csr::new(&key, self.addr.as_str(), SignatureHash::Sha1, &mut OsRng)
            .map_err(|e| cert_error(&e))?;
        let req = GetAndPublishCert::with_ticket(
            &needs.endpoint,
            &csr,
            &ticket,
            self.device_id,
            &mut OsRng,
        )
        .and_then(|r| r.http_request())
        .map_err(|e| cert_error(&e))?;
        let resp = self.send(step, &req).await?;
        let issued = CertResponse::from_http(&resp.view())
            .and_then(|r| r.verify(&csr, web_now()))
            .map_err(|e| cert_error(&e))?;
        self.ctx.progress(
            step,
            format!(
                "certificate {} for {}, issued by {}, valid {} s",
                issued.serial_hex(),
                issued.subject_cn(),
                issued.issuer_cn(),
                issued.not_after().0 - web_now().0
            ),
        );
        Credential::new(key, issued).map_err(|e| cert_error(&e))
    }
}
