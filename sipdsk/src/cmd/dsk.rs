//! `sipdsk dsk decode BASE64`: dump the TLS handshake inside a TLS-DSK `gssapi-data`.

use std::io::Read;
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Decode a `gssapi-data` value (base64, or `-` for stdin) into records, handshake
    /// messages, versions, cipher suites, extensions and certificate subjects.
    Decode {
        /// The base64 text (quotes and a `gssapi-data=` prefix are tolerated).
        data: String,
    },
}

pub(crate) fn run(cmd: &Command) -> ExitCode {
    let Command::Decode { data } = cmd;
    let mut text = data.clone();
    if text == "-" {
        text.clear();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("sipdsk dsk decode: cannot read stdin: {e}");
            return ExitCode::from(2);
        }
    }
    let text: String = text
        .trim()
        .trim_start_matches("gssapi-data=")
        .trim_matches('"')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // Logs often cut the value; decode the whole base64 quanta that are there.
    let whole = text.len() - text.len() % 4;
    if whole < text.len() {
        println!(
            "note: base64 cut after {} characters; decoding the first {whole}",
            text.len()
        );
    }
    let bytes = match B64.decode(&text[..whole]) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("sipdsk dsk decode: not base64: {e}");
            return ExitCode::from(1);
        }
    };
    let dump = tls_dsk::tls::decode_flight(&bytes);
    print!("{}", dump.text);
    match dump.error {
        None => ExitCode::SUCCESS,
        Some(e) => {
            println!("error: {e}");
            eprintln!("sipdsk dsk decode: {e}");
            ExitCode::from(1)
        }
    }
}
