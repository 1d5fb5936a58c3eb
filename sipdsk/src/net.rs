//! Name resolution with overrides (`--resolve`), shared by HTTP and SIP, and the TLS trust
//! both use.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::tlsconf;

/// One `--resolve HOST:PORT:ADDR` rule: connections to `HOST:PORT` go to `ADDR` instead
/// (curl's meaning). `ADDR` may carry its own port (`127.0.0.1:8443`), which then replaces
/// `PORT` (curl's `--connect-to`); `PORT` may be `*` for every port of `HOST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The name as it appears in URLs and SIP URIs (compared case-insensitively).
    pub host: String,
    /// The port it applies to; `None` for every port.
    pub port: Option<u16>,
    /// Where to connect; a port of 0 keeps the requested port.
    pub addr: SocketAddr,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--resolve {s:?}: expected HOST:PORT:ADDR or HOST:PORT:ADDR:PORT");
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
        let port = match port {
            "*" => None,
            p => Some(p.parse().map_err(|_| bad())?),
        };
        let addr = addr.trim_start_matches('[');
        let addr = match addr.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                let ip = addr.trim_end_matches(']').parse().map_err(|_| bad())?;
                SocketAddr::new(ip, 0)
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port,
            addr,
        })
    }
}

/// Resolves names, honouring overrides first.
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    overrides: Vec<Override>,
}

impl Resolver {
    /// A resolver with these overrides (the first match wins).
    pub fn new(overrides: Vec<Override>) -> Self {
        Self { overrides }
    }

    /// The overrides.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// Where to connect for `host:port`.
    ///
    /// # Errors
    ///
    /// The system resolver's error, or "no address" when it found none.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let lower = host.to_ascii_lowercase();
        if let Some(o) = self
            .overrides
            .iter()
            .find(|o| o.host == lower && o.port.is_none_or(|p| p == port))
        {
            let mut a = o.addr;
            if a.port() == 0 {
                a.set_port(port);
            }
            return Ok(vec![a]);
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        if found.is_empty() {
            return Err(format!("cannot resolve {host}: no address"));
        }
        Ok(found)
    }

    /// A TCP connection to `host:port`, trying each address within `timeout`.
    ///
    /// # Errors
    ///
    /// Resolution errors, or the last connection error.
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpStream, String> {
        let addrs = self.resolve(host, port).await?;
        let mut last = String::new();
        for a in addrs {
            match tokio::time::timeout(timeout, TcpStream::connect(a)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Ok(Err(e)) => last = format!("cannot connect to {host}:{port} ({a}): {e}"),
                Err(_) => last = format!("cannot connect to {host}:{port} ({a}): timed out"),
            }
        }
        Err(last)
    }
}

/// Which servers a client trusts for HTTPS and SIP over TLS.
#[derive(Clone)]
pub struct Trust {
    pub(crate) connector: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trust")
    }
}

impl Trust {
    /// Trusts the CA certificates of a PEM file.
    ///
    /// # Errors
    ///
    /// The file cannot be read or holds no certificate.
    pub fn from_ca_file(path: &Path) -> Result<Self, String> {
        Ok(Self {
            connector: tlsconf::connector(path)?,
        })
    }

    /// Trusts the CA certificates of a PEM text.
    ///
    /// # Errors
    ///
    /// The text holds no certificate.
    pub fn from_ca_pem(pem: &str) -> Result<Self, String> {
        let certs = tlsconf::certs_from_pem(pem.as_bytes())?;
        Ok(Self {
            connector: tlsconf::connector_from(&certs)?,
        })
    }

    /// TLS over `tcp`, checking that the server's certificate names `host`.
    ///
    /// # Errors
    ///
    /// The handshake failed or the certificate was not accepted.
    pub async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let name = tlsconf::server_name(host.trim_start_matches('[').trim_end_matches(']'))?;
        self.connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host} failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_forms() {
        let o: Override = "lyncdiscover.contoso.com:443:127.0.0.1:8443"
            .parse()
            .unwrap();
        assert_eq!(o.port, Some(443));
        assert_eq!(o.addr, "127.0.0.1:8443".parse().unwrap());
        let o: Override = "sip.contoso.com:*:127.0.0.1".parse().unwrap();
        assert_eq!(o.port, None);
        assert_eq!(o.addr.port(), 0);
        let o: Override = "Pool:5061:[::1]".parse().unwrap();
        assert_eq!(o.host, "pool");
        assert!(o.addr.ip().is_loopback());
        assert!("nohost".parse::<Override>().is_err());
        assert!("a:b:127.0.0.1".parse::<Override>().is_err());
    }

    #[tokio::test]
    async fn override_wins() {
        let r = Resolver::new(vec!["x.invalid:443:127.0.0.1:9".parse().unwrap()]);
        assert_eq!(
            r.resolve("X.invalid", 443).await.unwrap(),
            vec!["127.0.0.1:9".parse().unwrap()]
        );
        assert!(r.resolve("x.invalid", 80).await.is_err());
    }
}
