//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod dsk;
pub(crate) mod emulate;
pub(crate) mod parse;
pub(crate) mod register;
pub(crate) mod signin;
pub(crate) mod uac;
pub(crate) mod uas;

/// A tokio runtime for `command` with `threads` workers (0: one per core), or the exit
/// code after saying why there is none.
pub(crate) fn runtime(
    command: &str,
    threads: usize,
) -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        b.worker_threads(threads)
            .max_blocking_threads(threads.max(2));
    }
    b.enable_all().build().map_err(|e| {
        eprintln!("sipdsk {command}: cannot start runtime: {e}");
        std::process::ExitCode::from(2)
    })
}
