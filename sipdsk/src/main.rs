//! The `sipdsk` command; everything lives in the library so tests can run it in-process.

fn main() -> std::process::ExitCode {
    sipdsk::cli::run()
}
