//! `sipdsk`: the runtime of the workspace, and its command-line tool. This is the only
//! crate with tokio, sockets, HTTP and the outer TLS; the protocol crates it drives are
//! sans-IO.
//!
//! - [`client`]: the complete sign-in (autodiscover, web ticket by OrgID password or
//!   OAuth 2.0 device code, certificate provisioning, TLS-DSK) and staying registered.
//! - [`emulator`]: a loopback Skype for Business server with all of those services.
//! - [`http`] and [`net`]: HTTP/1.1 over rustls (hyper) for the sans-IO web crates, and
//!   name overrides shared by HTTP and SIP.
//! - [`cli`]: the `sipdsk` command (`signin`, `emulate`, `demo`, `bench-signin`,
//!   `register`, `parse`, `uas`, `uac`, `dsk decode`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sipdsk::client::{Credentials, SigninConfig, signin};
//! use sipdsk::emulator::{Emulator, EmulatorConfig};
//! use sipdsk::net::Trust;
//!
//! let emulator = Emulator::start(EmulatorConfig::new("contoso.com").user("alice@contoso.com", "secret")).await?;
//! let mut config = SigninConfig::new("alice@contoso.com", Credentials::Password("secret".into()));
//! config.trust = Some(Trust::from_ca_pem(emulator.ca_pem())?);
//! config.overrides = emulator.overrides();
//! let registration = signin(config).await?;
//! registration.unregister().await?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod client;
pub mod emulator;
pub mod http;
pub mod net;

mod cmd;
mod tlsconf;
mod transport;
