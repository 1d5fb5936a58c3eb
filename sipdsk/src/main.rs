//! `sipdsk`: the command-line tool of the workspace.
//!
//! Subcommands: `parse` reads a SIP message and prints a summary or JSON; `uas` and `uac`
//! are minimal SIP endpoints over UDP/TCP used to prove `sip-core` against sipp; `dsk
//! decode` dumps the TLS handshake inside a TLS-DSK `gssapi-data`. The sign-in client, the
//! emulator and the demo arrive with their issues.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod registrar;
mod tlsconf;
mod transport;

/// Lync / Skype for Business sign-in tools.
#[derive(Debug, Parser)]
#[command(name = "sipdsk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse one SIP message from a file (or `-` for stdin) and print it.
    Parse(cmd::parse::Args),
    /// Answer calls (INVITE/ACK/BYE), OPTIONS and REGISTER over UDP or TCP.
    Uas(cmd::uas::Args),
    /// Place calls (INVITE, ACK, BYE) to a UAS over UDP or TCP.
    Uac(cmd::uac::Args),
    /// TLS-DSK tools.
    #[command(subcommand)]
    Dsk(cmd::dsk::Command),
    /// Run the TLS-DSK REGISTER exchange with a certificate you already hold.
    Register(cmd::register::Args),
    /// Serve a loopback Skype for Business emulator (today: the SIP registrar).
    Emulate(cmd::emulate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse(args) => cmd::parse::run(&args),
        Command::Uas(args) => cmd::uas::run(&args),
        Command::Uac(args) => cmd::uac::run(&args),
        Command::Dsk(c) => cmd::dsk::run(&c),
        Command::Register(args) => cmd::register::run(&args),
        Command::Emulate(args) => cmd::emulate::run(&args),
    }
}
