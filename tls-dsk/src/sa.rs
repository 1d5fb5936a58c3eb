//! Security associations: the TLS-DSK state of each side across the REGISTER/401 rounds
//! and the signed messages after them.

use std::collections::HashMap;

use rand_core::CryptoRngCore;
use sip_core::Message;

use crate::error::{SaError, SignError};
use crate::header::{AuthInfo, Challenge, Credentials};
use crate::keys::DskKeys;
use crate::sign::{ReplayWindow, SignatureParams, mac, signature_buffer, to_hex, verify_hex};
use crate::tls::{
    CipherSuite, ClientConfig, ClientHandshake, ClientIdentity, ProtocolVersion, ServerConfig,
    ServerHandshake, UnixTime,
};

/// The scheme version this crate speaks.
pub const VERSION: u32 = 4;

fn random_hex(rng: &mut dyn CryptoRngCore) -> String {
    format!("{:08X}", rng.next_u32())
}

/// The From address-of-record (`user@host`) of a message.
fn from_aor(msg: &Message<'_>) -> Option<String> {
    msg.from()
        .ok()?
        .uri
        .as_sip()
        .map(|u| u.aor().to_ascii_lowercase())
}

/// The address of record of the party that signed `msg` as the client: the sender (`From`)
/// of a request, the recipient (`To`) of the request a response answers.
fn client_aor(msg: &Message<'_>) -> Option<String> {
    if msg.is_request() {
        return from_aor(msg);
    }
    msg.to()
        .ok()?
        .uri
        .as_sip()
        .map(|u| u.aor().to_ascii_lowercase())
}

/// What the client does next after a challenge.
// One value per 401 round: its size does not matter, boxing would only cost ergonomics.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientStep {
    /// Send the next REGISTER with `Authorization: {credentials.to_value()}`.
    Authorize(Credentials),
    /// The handshake finished: build the next REGISTER, call [`ClientSa::sign`] on it and
    /// add the returned credentials as `Authorization`.
    Established,
}

/// The client's security association.
///
/// Call order:
/// 1. Send REGISTER without credentials; on the 401, [`Challenge::find`] it and call
///    [`ClientSa::handle_challenge`]: it returns [`ClientStep::Authorize`] with the
///    ClientHello. Send the REGISTER again with that `Authorization`.
/// 2. Feed the next 401's challenge: `Authorize` again with the client's second flight.
/// 3. Feed the third 401's challenge: [`ClientStep::Established`].
/// 4. From now on call [`ClientSa::sign`] on every request (and response) you send, and
///    [`ClientSa::verify`] on every message you receive that carries
///    `Authentication-Info`, starting with the REGISTER's 200 OK.
///
/// A 401 with a fresh challenge (no `gssapi-data`) at any point restarts the handshake.
#[derive(Debug)]
pub struct ClientSa {
    config: ClientConfig,
    realm: String,
    targetname: String,
    opaque: Option<String>,
    handshake: Option<ClientHandshake>,
    keys: Option<Established>,
    cnum: u64,
    snums: ReplayWindow,
    signed_once: bool,
}

#[derive(Debug)]
struct Established {
    keys: DskKeys,
    version: ProtocolVersion,
    suite: CipherSuite,
}

impl ClientSa {
    /// A client association using this certificate and key.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config,
            realm: String::new(),
            targetname: String::new(),
            opaque: None,
            handshake: None,
            keys: None,
            cnum: 0,
            snums: ReplayWindow::default(),
            signed_once: false,
        }
    }

    /// True once the handshake finished and messages can be signed.
    pub fn is_established(&self) -> bool {
        self.keys.is_some()
    }

    /// The negotiated TLS version and suite, once established.
    pub fn negotiated(&self) -> Option<(ProtocolVersion, CipherSuite)> {
        self.keys.as_ref().map(|e| (e.version, e.suite))
    }

    /// The signing keys, once established.
    pub fn keys(&self) -> Option<&DskKeys> {
        self.keys.as_ref().map(|e| &e.keys)
    }

    /// Handles a TLS-DSK challenge from a 401/407.
    ///
    /// # Errors
    ///
    /// [`SaError::Tls`] if the server's flight fails (the association is reset: send an
    /// unsigned REGISTER to start over), [`SaError::WrongState`] for a handshake
    /// challenge without a handshake in progress.
    pub fn handle_challenge(
        &mut self,
        challenge: &Challenge,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<ClientStep, SaError> {
        let Some(flight) = &challenge.gssapi_data else {
            // A fresh challenge: (re)start.
            self.keys = None;
            self.realm = challenge.realm.clone();
            self.targetname = challenge.targetname.clone();
            self.opaque = None;
            self.cnum = 0;
            self.snums = ReplayWindow::default();
            self.signed_once = false;
            let (hs, hello) = ClientHandshake::start(self.config.clone(), rng);
            self.handshake = Some(hs);
            return Ok(ClientStep::Authorize(self.credentials(Some(hello))));
        };
        let Some(hs) = self.handshake.as_mut() else {
            return Err(SaError::WrongState(
                "handshake challenge without a handshake in progress",
            ));
        };
        if challenge.realm != self.realm || challenge.targetname != self.targetname {
            return Err(SaError::Sign(SignError::WrongSecurityAssociation));
        }
        self.opaque = challenge.opaque.clone();
        match hs.handle(flight, rng) {
            Ok(Some(out)) => Ok(ClientStep::Authorize(self.credentials(Some(out)))),
            Ok(None) => {
                let outcome = self
                    .handshake
                    .take()
                    .and_then(ClientHandshake::into_outcome)
                    .ok_or(SaError::WrongState("handshake ended without keys"))?;
                self.keys = Some(Established {
                    keys: outcome.keys,
                    version: outcome.version,
                    suite: outcome.suite,
                });
                Ok(ClientStep::Established)
            }
            Err(e) => {
                self.handshake = None;
                Err(SaError::Tls(e))
            }
        }
    }

    fn credentials(&self, gssapi: Option<Vec<u8>>) -> Credentials {
        Credentials {
            qop: Some("auth".into()),
            opaque: self.opaque.clone(),
            realm: self.realm.clone(),
            targetname: self.targetname.clone(),
            gssapi_data: gssapi,
            version: Some(VERSION),
            ..Credentials::default()
        }
    }

    /// Signs a message about to be sent (without its `Authorization` header) and returns
    /// the credentials to add as `Authorization` (or `Proxy-Authorization`).
    ///
    /// # Errors
    ///
    /// [`SaError::WrongState`] before the handshake finished; [`SaError::Sign`] if the
    /// message lacks a signed header.
    pub fn sign(
        &mut self,
        msg: &Message<'_>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Credentials, SaError> {
        let est = self
            .keys
            .as_ref()
            .ok_or(SaError::WrongState("sign before the handshake finished"))?;
        let crand = random_hex(rng).to_ascii_lowercase();
        let cnum = (self.cnum + 1).to_string();
        let params = SignatureParams {
            protocol: crate::SCHEME,
            rand: &crand,
            num: &cnum,
            realm: &self.realm,
            targetname: &self.targetname,
            version: VERSION,
        };
        let buffer = signature_buffer(msg, &params)?;
        let response = to_hex(&mac(&est.keys, false, &buffer));
        self.cnum += 1;
        let mut c = self.credentials(None);
        // SIPE sends `version` only on the first signed REGISTER (tls-dsk.md §1.2).
        if self.signed_once {
            c.version = None;
        }
        self.signed_once = true;
        c.crand = Some(crand);
        c.cnum = Some(cnum);
        c.response = Some(response);
        Ok(c)
    }

    /// Verifies the server's signature on a received message.
    ///
    /// # Errors
    ///
    /// [`SignError::Unsigned`] without a TLS-DSK `Authentication-Info` (SIPE processes
    /// such messages only if they are 401s or REGISTER responses), or the reason the
    /// signature failed. The association is unchanged by a failure.
    pub fn verify(&mut self, msg: &Message<'_>) -> Result<(), SaError> {
        let est = self
            .keys
            .as_ref()
            .ok_or(SaError::WrongState("verify before the handshake finished"))?;
        let info = AuthInfo::find(msg)?.ok_or(SaError::Sign(SignError::Unsigned))?;
        if info.realm != self.realm || info.targetname != self.targetname {
            return Err(SignError::WrongSecurityAssociation.into());
        }
        let snum: u64 = info
            .snum
            .parse()
            .map_err(|_| SignError::BadSequenceNumber)?;
        self.snums.check(snum)?;
        let params = SignatureParams {
            protocol: crate::SCHEME,
            rand: &info.srand,
            num: &info.snum,
            realm: &info.realm,
            targetname: &info.targetname,
            version: VERSION,
        };
        let buffer = signature_buffer(msg, &params)?;
        verify_hex(&mac(&est.keys, true, &buffer), &info.rspauth)?;
        self.snums.accept(snum);
        Ok(())
    }
}

/// Registrar-side settings.
#[derive(Clone, Debug)]
pub struct ServerAuthConfig {
    /// The TLS side: server certificate, key, versions, suites, client-certificate verifier.
    pub tls: ServerConfig,
    /// `realm`.
    pub realm: String,
    /// `targetname`: this server's FQDN.
    pub targetname: String,
    /// `sts-uri`: where clients get certificates.
    pub sts_uri: Option<String>,
    /// Most security associations kept at once (handshaking and established).
    pub max_associations: usize,
    /// Seconds a handshake may take between its rounds.
    pub handshake_timeout: u64,
    /// Longest life of an established association, in seconds (capped by the client
    /// certificate's expiry). [MS-SIPAE]: 8 hours.
    pub lifetime: u64,
}

impl ServerAuthConfig {
    /// Defaults: realm "SIP Communications Service", 10,000 associations, 60 s handshake
    /// timeout, 8 h lifetime.
    pub fn new(tls: ServerConfig, targetname: &str, sts_uri: Option<&str>) -> Self {
        Self {
            tls,
            realm: "SIP Communications Service".into(),
            targetname: targetname.into(),
            sts_uri: sts_uri.map(Into::into),
            max_associations: 10_000,
            handshake_timeout: 60,
            lifetime: 8 * 3600,
        }
    }
}

enum ServerState {
    Handshaking(Box<ServerHandshake>),
    Established {
        keys: DskKeys,
        identity: ClientIdentity,
        aor: String,
        cnums: ReplayWindow,
        snum: u64,
    },
}

struct ServerSa {
    state: ServerState,
    expires: u64,
}

/// What the registrar does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Answer 401 (407 from a proxy) with `WWW-Authenticate: {challenge.to_value()}`.
    /// `reason` says why a request that carried credentials was not accepted.
    Challenge {
        /// The challenge to send.
        challenge: Challenge,
        /// Why the credentials failed, if there were any.
        reason: Option<SaError>,
    },
    /// The request is signed correctly. Process it, and sign the response with
    /// [`ServerAuth::sign_response`] using this `opaque`.
    Authenticated {
        /// The association handle.
        opaque: String,
        /// Who the client certificate names.
        identity: ClientIdentity,
        /// The From address-of-record the association is bound to.
        aor: String,
    },
}

/// The registrar's TLS-DSK state: every client's security association, keyed by `opaque`.
///
/// Call [`ServerAuth::handle_request`] on every request. It answers the three handshake
/// rounds with challenges and returns [`Decision::Authenticated`] for correctly signed
/// requests; sign every response to an authenticated client with
/// [`ServerAuth::sign_response`] and add it as `Authentication-Info`. Requests the server
/// sends to a client are signed the same way, and the client's signed answers are checked
/// with [`ServerAuth::verify_response`].
pub struct ServerAuth {
    config: ServerAuthConfig,
    sas: HashMap<String, ServerSa>,
}

impl std::fmt::Debug for ServerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAuth")
            .field("targetname", &self.config.targetname)
            .field("associations", &self.sas.len())
            .finish()
    }
}

impl ServerAuth {
    /// An empty registrar.
    pub fn new(config: ServerAuthConfig) -> Self {
        Self {
            config,
            sas: HashMap::new(),
        }
    }

    /// The first challenge (realm, targetname, version, sts-uri).
    pub fn challenge(&self) -> Challenge {
        Challenge::initial(
            &self.config.realm,
            &self.config.targetname,
            self.config.sts_uri.as_deref(),
        )
    }

    /// Number of live associations.
    pub fn associations(&self) -> usize {
        self.sas.len()
    }

    fn refuse(&self, reason: SaError) -> Decision {
        Decision::Challenge {
            challenge: self.challenge(),
            reason: Some(reason),
        }
    }

    /// Handles one request. `now` checks certificate validity and expires associations.
    pub fn handle_request(
        &mut self,
        msg: &Message<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Decision {
        self.sas.retain(|_, sa| sa.expires > now.0);
        let creds = match Credentials::find(msg) {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Decision::Challenge {
                    challenge: self.challenge(),
                    reason: None,
                };
            }
            Err(e) => return self.refuse(e.into()),
        };
        if creds.realm != self.config.realm || creds.targetname != self.config.targetname {
            return self.refuse(SignError::WrongSecurityAssociation.into());
        }
        match (&creds.gssapi_data, &creds.opaque) {
            (Some(flight), None) => self.start(flight, now, rng),
            (Some(flight), Some(opaque)) => self.continue_handshake(opaque, flight, msg, now, rng),
            (None, Some(opaque)) => self.verify(opaque, &creds, msg, now),
            (None, None) => self.refuse(SaError::WrongState(
                "credentials without gssapi-data or opaque",
            )),
        }
    }

    fn start(&mut self, flight: &[u8], now: UnixTime, rng: &mut dyn CryptoRngCore) -> Decision {
        if self.sas.len() >= self.config.max_associations {
            return self.refuse(SaError::WrongState("too many security associations"));
        }
        let mut hs = ServerHandshake::new(self.config.tls.clone(), now);
        let out = match hs.handle(flight, rng) {
            Ok(out) => out,
            Err(e) => return self.refuse(e.into()),
        };
        let mut opaque = random_hex(rng);
        while self.sas.contains_key(&opaque) {
            opaque = random_hex(rng);
        }
        self.sas.insert(
            opaque.clone(),
            ServerSa {
                state: ServerState::Handshaking(Box::new(hs)),
                expires: now.0 + self.config.handshake_timeout,
            },
        );
        Decision::Challenge {
            challenge: self.handshake_challenge(&opaque, out),
            reason: None,
        }
    }

    fn handshake_challenge(&self, opaque: &str, flight: Vec<u8>) -> Challenge {
        Challenge {
            opaque: Some(opaque.into()),
            gssapi_data: Some(flight),
            ..Challenge::initial(&self.config.realm, &self.config.targetname, None)
        }
    }

    fn continue_handshake(
        &mut self,
        opaque: &str,
        flight: &[u8],
        msg: &Message<'_>,
        now: UnixTime,
        rng: &mut dyn CryptoRngCore,
    ) -> Decision {
        let Some(ServerSa {
            state: ServerState::Handshaking(_),
            ..
        }) = self.sas.get(opaque)
        else {
            return self.refuse(SaError::WrongState(
                "unknown opaque or handshake not in progress",
            ));
        };
        let Some(ServerSa {
            state: ServerState::Handshaking(mut hs),
            ..
        }) = self.sas.remove(opaque)
        else {
            unreachable!("checked above")
        };
        let out = match hs.handle(flight, rng) {
            Ok(out) => out,
            Err(e) => return self.refuse(e.into()),
        };
        let Some(outcome) = hs.into_outcome() else {
            return self.refuse(SaError::WrongState("handshake did not finish"));
        };
        let identity = outcome.client_identity.unwrap_or(ClientIdentity {
            common_name: None,
            san_uris: Vec::new(),
            not_after: 0,
        });
        let Some(aor) = from_aor(msg) else {
            return self.refuse(SaError::IdentityMismatch);
        };
        if !identity.names(&aor) {
            return self.refuse(SaError::IdentityMismatch);
        }
        let expires = identity.not_after.min(now.0 + self.config.lifetime);
        self.sas.insert(
            opaque.into(),
            ServerSa {
                state: ServerState::Established {
                    keys: outcome.keys,
                    identity,
                    aor,
                    cnums: ReplayWindow::default(),
                    snum: 0,
                },
                expires,
            },
        );
        Decision::Challenge {
            challenge: self.handshake_challenge(opaque, out),
            reason: None,
        }
    }

    fn verify(
        &mut self,
        opaque: &str,
        creds: &Credentials,
        msg: &Message<'_>,
        now: UnixTime,
    ) -> Decision {
        match self.check_signature(opaque, creds, msg, now) {
            Ok((identity, aor)) => Decision::Authenticated {
                opaque: opaque.into(),
                identity,
                aor,
            },
            Err(e) => self.refuse(e),
        }
    }

    /// Checks a client's signature on `msg` (a request it sent, or its response to a
    /// request of ours) against association `opaque`.
    fn check_signature(
        &mut self,
        opaque: &str,
        creds: &Credentials,
        msg: &Message<'_>,
        now: UnixTime,
    ) -> Result<(ClientIdentity, String), SaError> {
        let sa = self
            .sas
            .get_mut(opaque)
            .ok_or(SaError::WrongState("unknown opaque"))?;
        if sa.expires <= now.0 {
            return Err(SaError::Expired);
        }
        let ServerState::Established {
            keys,
            identity,
            aor,
            cnums,
            ..
        } = &mut sa.state
        else {
            return Err(SaError::WrongState("signed message during the handshake"));
        };
        if client_aor(msg).as_deref() != Some(aor.as_str()) {
            return Err(SaError::IdentityMismatch);
        }
        let (Some(crand), Some(cnum_s), Some(response)) =
            (&creds.crand, &creds.cnum, &creds.response)
        else {
            return Err(SignError::Unsigned.into());
        };
        let cnum: u64 = cnum_s.parse().map_err(|_| SignError::BadSequenceNumber)?;
        cnums.check(cnum)?;
        let params = SignatureParams {
            protocol: crate::SCHEME,
            rand: crand,
            num: cnum_s,
            realm: &self.config.realm,
            targetname: &self.config.targetname,
            version: VERSION,
        };
        let buffer = signature_buffer(msg, &params)?;
        verify_hex(&mac(keys, false, &buffer), response)?;
        cnums.accept(cnum);
        Ok((identity.clone(), aor.clone()))
    }

    /// Verifies the client's signature on its response to a request the server sent
    /// (an OPTIONS, a NOTIFY, ...) and returns the association's `opaque` and address of
    /// record. The client is the `To` side of such a response.
    ///
    /// # Errors
    ///
    /// [`SignError::Unsigned`] when the response carries no TLS-DSK `Authorization` with
    /// `opaque`, `crand`, `cnum` and `response` (treat the response as not received);
    /// [`SaError::IdentityMismatch`] when `To` is not the association's address of
    /// record; [`SaError::WrongState`] for a request (verify those with
    /// [`ServerAuth::handle_request`]); otherwise why the signature failed. A failure
    /// changes nothing.
    pub fn verify_response(
        &mut self,
        msg: &Message<'_>,
        now: UnixTime,
    ) -> Result<(String, String), SaError> {
        if msg.is_request() {
            return Err(SaError::WrongState("verify_response given a request"));
        }
        let creds = Credentials::find(msg)?.ok_or(SaError::Sign(SignError::Unsigned))?;
        if creds.realm != self.config.realm || creds.targetname != self.config.targetname {
            return Err(SignError::WrongSecurityAssociation.into());
        }
        let opaque = creds
            .opaque
            .clone()
            .ok_or(SaError::Sign(SignError::Unsigned))?;
        let (_, aor) = self.check_signature(&opaque, &creds, msg, now)?;
        Ok((opaque, aor))
    }

    /// Signs a response (or a request the server sends, such as BENOTIFY) for the client
    /// of association `opaque`; add the result as `Authentication-Info`.
    ///
    /// # Errors
    ///
    /// [`SaError::WrongState`] for an unknown or unfinished association,
    /// [`SaError::Sign`] if the message lacks a signed header.
    pub fn sign_response(
        &mut self,
        opaque: &str,
        msg: &Message<'_>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<AuthInfo, SaError> {
        let sa = self
            .sas
            .get_mut(opaque)
            .ok_or(SaError::WrongState("unknown opaque"))?;
        let ServerState::Established { keys, snum, .. } = &mut sa.state else {
            return Err(SaError::WrongState("sign before the handshake finished"));
        };
        let srand = random_hex(rng);
        let snum_s = (*snum + 1).to_string();
        let params = SignatureParams {
            protocol: crate::SCHEME,
            rand: &srand,
            num: &snum_s,
            realm: &self.config.realm,
            targetname: &self.config.targetname,
            version: VERSION,
        };
        let buffer = signature_buffer(msg, &params)?;
        let rspauth = to_hex(&mac(keys, true, &buffer));
        *snum += 1;
        Ok(AuthInfo {
            qop: Some("auth".into()),
            opaque: Some(opaque.into()),
            srand,
            snum: snum_s,
            rspauth,
            targetname: self.config.targetname.clone(),
            realm: self.config.realm.clone(),
            version: Some(VERSION),
        })
    }

    /// Ends an association (on unREGISTER, for example).
    pub fn remove(&mut self, opaque: &str) -> bool {
        self.sas.remove(opaque).is_some()
    }
}
