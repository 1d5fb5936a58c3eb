//! The `sipdsk` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd;

/// Lync / Skype for Business sign-in tools.
#[derive(Debug, Parser)]
#[command(name = "sipdsk", version, about)]
struct Cli {
    /// More detail (`-v` info, `-vv` debug) as `tracing` output on stderr.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in completely (autodiscover, web ticket, certificate, TLS-DSK) and stay registered.
    Signin(cmd::signin::Args),
    /// Start the loopback emulator, sign in one password user and one device-code user, and
    /// show every step.
    Demo(cmd::demo::Args),
    /// Serve a loopback Skype for Business emulator.
    Emulate(cmd::emulate::Args),
    /// Sign in many clients at once against an in-process emulator and report the rate.
    BenchSignin(cmd::bench::Args),
    /// Run the TLS-DSK REGISTER exchange with a certificate you already hold.
    Register(cmd::register::Args),
    /// Parse one SIP message from a file (or `-` for stdin) and print it.
    Parse(cmd::parse::Args),
    /// Answer calls (INVITE/ACK/BYE), OPTIONS and REGISTER over UDP or TCP.
    Uas(cmd::uas::Args),
    /// Place calls (INVITE, ACK, BYE) to a UAS over UDP or TCP.
    Uac(cmd::uac::Args),
    /// TLS-DSK tools.
    #[command(subcommand)]
    Dsk(cmd::dsk::Command),
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("sipdsk={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match cli.command {
        Command::Signin(args) => cmd::signin::run(&args),
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Emulate(args) => cmd::emulate::run(&args),
        Command::BenchSignin(args) => cmd::bench::run(&args),
        Command::Register(args) => cmd::register::run(&args),
        Command::Parse(args) => cmd::parse::run(&args),
        Command::Uas(args) => cmd::uas::run(&args),
        Command::Uac(args) => cmd::uac::run(&args),
        Command::Dsk(c) => cmd::dsk::run(&c),
    }
}
