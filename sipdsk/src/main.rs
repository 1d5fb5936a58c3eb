//! `sipdsk`: the command-line tool of the workspace.
//!
//! Today it has one subcommand, `parse`, which reads a SIP message and prints a summary or
//! JSON. The sign-in client, the emulator and the demo arrive with their issues.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse(args) => cmd::parse::run(&args),
    }
}
