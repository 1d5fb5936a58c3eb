//! Helpers shared by the process-level tests.
#![allow(dead_code)]

use std::net::{TcpListener, UdpSocket};
use std::process::Child;

/// Kills and reaps a child process when dropped, so a failed test leaves nothing running.
pub(crate) struct Kill(pub(crate) Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free for both UDP and TCP right now.
pub(crate) fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
