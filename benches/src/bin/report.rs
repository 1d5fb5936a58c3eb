//! Cross-crate parse report: every message of `benches/data` against every contender, in
//! one process, so the ratios are comparable even on a noisy machine.
//!
//! ```text
//! cargo run -p benches --bin report --release              # print the tables
//! cargo run -p benches --bin report --release -- --write   # and append them to benches/RESULTS.md
//! cargo run -p benches --bin report --release -- --quick   # four passes instead of twenty
//! ```
//!
//! For each message × contender: the answers are collected once and compared with
//! sip-core's; heap allocations of one parse are counted with a counting global allocator;
//! then the parse is timed in batches of about 2 ms (calibrated once per cell), in twenty
//! passes interleaved over all cells, three batches per cell and pass after a short
//! warm-up. The reported time is the 10th percentile of the 60 batch means: on a shared
//! machine other processes only ever add time, so a low quantile is the best estimate of
//! the uncontended cost (the reasoning behind Python's `timeit` reporting the minimum);
//! "spread" says how much slower the median batch was. Many short passes rather than a
//! few long ones because the VMs this runs on slow down for hundreds of milliseconds at a
//! time: with five passes of twelve batches, a cell whose passes mostly fell into slow
//! periods came out 20-50 % slow, and the 10th percentile needs only two clean passes
//! of twenty.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use benches::contenders::Kind;
use benches::visit::Answers;
use benches::{Id, Runner, Sample, samples};

/// Counts allocations (`alloc`, `alloc_zeroed` and `realloc` calls) and requested bytes
/// while [`COUNTING`] is set; otherwise only forwards to the system allocator, so timed
/// loops pay one relaxed load per allocation.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BATCH: Duration = Duration::from_millis(2);
const BATCHES_PER_PASS: usize = 3;
const PASSES: usize = 20;
const QUICK_PASSES: usize = 4;
/// Which quantile of the batch means is reported: interference from other processes only
/// adds time, so a low quantile estimates the uncontended cost on a shared machine.
const QUANTILE: f64 = 0.1;
const CALIBRATE: Duration = Duration::from_millis(5);

/// Times one contender on one sample: calibrates the iterations per batch unless `iters`
/// has them from an earlier pass, warms caches and branch predictors up, then records
/// the ns/iteration of each batch.
struct Timer<'a> {
    sample: &'a Sample,
    batches: usize,
    iters: &'a mut Option<u64>,
}

impl Runner for Timer<'_> {
    type Output = Vec<f64>;

    fn run<F: FnMut(&Sample) -> Result<u64, String>>(&mut self, mut f: F) -> Vec<f64> {
        let iters = match *self.iters {
            Some(iters) => {
                // A quarter batch untimed: the previous cell ran other code.
                for _ in 0..iters.div_ceil(4) {
                    black_box(f(black_box(self.sample)).ok());
                }
                iters
            }
            None => {
                let mut n: u64 = 1;
                let per_iter = loop {
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(f(black_box(self.sample)).ok());
                    }
                    let elapsed = t.elapsed();
                    if elapsed >= CALIBRATE {
                        break elapsed.as_secs_f64() / n as f64;
                    }
                    n *= 2;
                };
                let iters = ((BATCH.as_secs_f64() / per_iter) as u64).max(1);
                *self.iters = Some(iters);
                iters
            }
        };
        (0..self.batches)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(f(black_box(self.sample)).ok());
                }
                t.elapsed().as_nanos() as f64 / iters as f64
            })
            .collect()
    }
}

/// Counts the allocations of one parse, after two warm-up parses (lazy statics).
struct AllocCount<'a>(&'a Sample);

impl Runner for AllocCount<'_> {
    type Output = (u64, u64);

    fn run<F: FnMut(&Sample) -> Result<u64, String>>(&mut self, mut f: F) -> (u64, u64) {
        black_box(f(self.0).ok());
        black_box(f(self.0).ok());
        ALLOCS.store(0, Ordering::SeqCst);
        BYTES.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        black_box(f(black_box(self.0)).ok());
        COUNTING.store(false, Ordering::SeqCst);
        (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst))
    }
}

/// Whether a contender could parse a message, and whether it gave sip-core's answers.
#[derive(Clone, Debug)]
enum Verdict {
    Same,
    Differs(Vec<(&'static str, String, String)>),
    CannotParse(String),
}

#[derive(Clone, Debug)]
struct Cell {
    verdict: Verdict,
    allocs: u64,
    alloc_bytes: u64,
    /// Iterations per batch, calibrated in the first pass.
    iters: Option<u64>,
    batches: Vec<f64>,
}

impl Cell {
    fn parsed(&self) -> bool {
        !matches!(self.verdict, Verdict::CannotParse(_))
    }
    /// The reported time: the [`QUANTILE`] of the batch means.
    fn time(&self) -> f64 {
        quantile(&self.batches, QUANTILE)
    }
    /// How much slower the median batch was than the reported time (interference).
    fn spread(&self) -> f64 {
        quantile(&self.batches, 0.5) / self.time() - 1.0
    }
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: cargo run -p benches --bin report --release [-- [--write] [--quick]]\n  \
             --write  append the tables to benches/RESULTS.md\n  \
             --quick  four timing passes instead of twenty"
        );
        return;
    }
    if let Some(bad) = args.iter().find(|a| *a != "--write" && *a != "--quick") {
        eprintln!("unknown argument {bad:?} (try --help)");
        std::process::exit(2);
    }
    let write = args.iter().any(|a| a == "--write");
    let passes = if args.iter().any(|a| a == "--quick") {
        QUICK_PASSES
    } else {
        PASSES
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful numbers");
    }

    let started = Instant::now();
    let load_start = loadavg();
    let samples = samples();

    // Answers and allocations, once per cell.
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for s in &samples {
        let reference = Id::SipCoreTyped.answers(s).ok().flatten();
        let row = Id::ALL
            .iter()
            .map(|&id| {
                let verdict = match id.answers(s) {
                    Err(e) => Verdict::CannotParse(e),
                    Ok(None) => Verdict::Same,
                    Ok(Some(a)) => verdict_of(&a, reference.as_ref()),
                };
                let (allocs, alloc_bytes) = if matches!(verdict, Verdict::CannotParse(_)) {
                    (0, 0)
                } else {
                    id.run(&mut AllocCount(s))
                };
                Cell {
                    verdict,
                    allocs,
                    alloc_bytes,
                    iters: None,
                    batches: Vec::new(),
                }
            })
            .collect();
        cells.push(row);
    }

    // Timing, interleaved over all cells.
    for pass in 0..passes {
        eprint!("\rtiming pass {}/{passes} ", pass + 1);
        for (s, row) in samples.iter().zip(cells.iter_mut()) {
            for (&id, cell) in Id::ALL.iter().zip(row.iter_mut()) {
                if cell.parsed() {
                    let mut timer = Timer {
                        sample: s,
                        batches: BATCHES_PER_PASS,
                        iters: &mut cell.iters,
                    };
                    cell.batches.extend(id.run(&mut timer));
                }
            }
        }
    }
    eprintln!();
    let load_end = loadavg();

    let mut out = String::new();
    write_header(&mut out, passes, &load_start, &load_end, started.elapsed());
    write_summary(&mut out, &samples, &cells);
    for (s, row) in samples.iter().zip(&cells) {
        write_message_table(&mut out, s, row);
    }
    write_legend(&mut out);
    print!("{out}");

    if write {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/RESULTS.md");
        let fresh = !std::path::Path::new(path).exists();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        if fresh {
            writeln!(
                f,
                "# Parse benchmark results\n\n\
                 Appended by `cargo run -p benches --bin report --release -- --write`; newest last.\n"
            )
            .expect("write RESULTS.md");
        }
        writeln!(f, "{out}").expect("write RESULTS.md");
        eprintln!("appended to {path}");
    }
}

fn verdict_of(a: &Answers, reference: Option<&Answers>) -> Verdict {
    match reference {
        None => Verdict::Same,
        Some(r) => {
            let d = a.differences(r);
            if d.is_empty() {
                Verdict::Same
            } else {
                Verdict::Differs(d)
            }
        }
    }
}

fn idx(id: Id) -> usize {
    Id::ALL.iter().position(|&x| x == id).expect("listed")
}

/// "3.1x slower" / "2.0x faster" for `ns` against `reference_ns`.
fn ratio_text(ns: f64, reference_ns: f64) -> String {
    let r = ns / reference_ns;
    if r >= 1.0 {
        format!("{r:.1}x slower")
    } else {
        format!("{:.1}x faster", 1.0 / r)
    }
}

fn bytes_text(n: u64) -> String {
    if n >= 10 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn escape(s: &str) -> String {
    let s: String = s.replace('|', "\\|").replace(['\n', '\r'], " ");
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(90).collect::<String>())
    } else {
        s
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**MISSED**" }
}

/// The fastest peer that parsed the message: (id, ns).
fn fastest_peer(row: &[Cell]) -> Option<(Id, f64)> {
    Id::ALL
        .iter()
        .zip(row)
        .filter(|(id, c)| id.kind() == Kind::Peer && c.parsed())
        .map(|(&id, c)| (id, c.time()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn write_summary(out: &mut String, samples: &[Sample], cells: &[Vec<Cell>]) {
    let _ = writeln!(
        out,
        "### Targets (sip-core borrowed, strict)\n\n\
         | message | vs rsip (≥10x faster) | vs fastest other peer (≥3x faster) | vs memchr split (≤3x) | allocs borrowed (0) | allocs owned (≤1) | info: typed vs fastest peer | info: lenient vs rsip / fastest peer / memchr |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for (s, row) in samples.iter().zip(cells) {
        let core = &row[idx(Id::SipCore)];
        let typed = &row[idx(Id::SipCoreTyped)];
        let owned = &row[idx(Id::SipCoreOwned)];
        let memchr = &row[idx(Id::Memchr)];
        if !core.parsed() {
            let _ = writeln!(out, "| {} | sip-core cannot parse | | | | | | |", s.name);
            continue;
        }
        let t = core.time();
        let rsip = &row[idx(Id::Rsip)];
        let vs_rsip = if rsip.parsed() {
            let r = rsip.time() / t;
            format!("{r:.1}x {}", met(r >= 10.0))
        } else {
            "n/a (rsip cannot parse)".to_string()
        };
        let (vs_peer, typed_vs_peer) = match fastest_peer(row) {
            Some((id, ns)) => {
                let r = ns / t;
                (
                    format!("{r:.1}x vs {} {}", id.name(), met(r >= 3.0)),
                    format!("{:.1}x vs {}", ns / typed.time(), id.name()),
                )
            }
            None => ("n/a (no peer parses it)".into(), "n/a".into()),
        };
        let m = t / memchr.time();
        let lenient = &row[idx(Id::SipCoreLenient)];
        let lenient_info = if lenient.parsed() {
            let l = lenient.time();
            let vs = |c: &Cell| {
                if c.parsed() {
                    format!("{:.1}x", c.time() / l)
                } else {
                    "n/a".into()
                }
            };
            let peer =
                fastest_peer(row).map_or_else(|| "n/a".into(), |(_, ns)| format!("{:.1}x", ns / l));
            format!("{} / {peer} / {:.1}x", vs(rsip), l / memchr.time())
        } else {
            "cannot parse".into()
        };
        let _ = writeln!(
            out,
            "| {} | {vs_rsip} | {vs_peer} | {m:.1}x {} | {} {} | {} {} | {typed_vs_peer} | {lenient_info} |",
            s.name,
            met(m <= 3.0),
            core.allocs,
            met(core.allocs == 0),
            if owned.parsed() {
                owned.allocs.to_string()
            } else {
                "cannot parse".into()
            },
            met(owned.parsed() && owned.allocs <= 1),
        );
    }
    out.push('\n');
}

fn write_message_table(out: &mut String, s: &Sample, row: &[Cell]) {
    let _ = writeln!(
        out,
        "### {} ({} bytes): {}\n\n\
         | contender | ns/msg | MB/s | vs sip-core borrowed | allocs/parse (bytes) | median +% |\n\
         |---|---:|---:|---|---:|---:|",
        s.name,
        s.len(),
        s.description
    );
    let core = &row[idx(Id::SipCore)];
    let core_ns = if core.parsed() { core.time() } else { f64::NAN };
    for (&id, cell) in Id::ALL.iter().zip(row) {
        let name = if id == Id::SipCore {
            format!("**{}**", id.name())
        } else {
            id.name().to_string()
        };
        let mark = if id.reads_answers() { "" } else { "°" };
        match &cell.verdict {
            Verdict::CannotParse(e) => {
                let what = if e.starts_with("parsed, but") {
                    escape(e)
                } else {
                    format!("cannot parse: {}", escape(e))
                };
                let _ = writeln!(out, "| {name}{mark} | {what} | | | | |");
            }
            v => {
                let ns = cell.time();
                let mbs = s.len() as f64 / ns * 1000.0;
                let ratio = if id == Id::SipCore {
                    "reference".to_string()
                } else if id == Id::Memchr {
                    format!(
                        "{} (sip-core = {:.1}x the split)",
                        ratio_text(ns, core_ns),
                        core_ns / ns
                    )
                } else {
                    ratio_text(ns, core_ns)
                };
                let wrong = match v {
                    Verdict::Differs(fields) => {
                        let shown: Vec<String> = fields
                            .iter()
                            .map(|(f, got, want)| {
                                format!("{f} {} (sip-core: {})", escape(got), escape(want))
                            })
                            .collect();
                        format!(" † {}", shown.join("; "))
                    }
                    _ => String::new(),
                };
                let allocs = if id == Id::Memchr {
                    "0".to_string()
                } else {
                    format!("{} ({})", cell.allocs, bytes_text(cell.alloc_bytes))
                };
                let _ = writeln!(
                    out,
                    "| {name}{mark}{wrong} | {ns:.0} | {mbs:.0} | {ratio} | {allocs} | +{:.0}% |",
                    cell.spread() * 100.0
                );
            }
        }
    }
    out.push('\n');
}

fn write_legend(out: &mut String) {
    let _ = writeln!(
        out,
        "° parse only (framing, start line, every header line located and, in strict mode, the core \
         headers validated); every other row also reads the top Via branch, From and To tags, Call-ID \
         and CSeq through the crate's API (the memchr row only finds line ends).\n\
         † parsed, but some answers differ from sip-core's (sip-core's strict parse is the reference).\n\
         ns/msg: 10th percentile of the batch means (batches of ~2 ms, interleaved over all cells); median +%: how much slower the median batch was (interference from other load). \
         MB/s = 10^6 bytes/s. allocs/parse: alloc + realloc calls during one parse and drop \
         (bytes requested), counted by the report's global allocator.\n"
    );
}

fn write_header(
    out: &mut String,
    passes: usize,
    load_start: &str,
    load_end: &str,
    elapsed: Duration,
) {
    let versions = dependency_versions();
    let _ = writeln!(
        out,
        "## {} — commit {}\n\n\
         - CPU: {} ({} logical CPUs); rustc: {}\n\
         - load average (1/5/15 min): {load_start} at start, {load_end} at end\n\
         - {passes} pass(es) × {BATCHES_PER_PASS} batches of ~{} ms per cell; report took {:.0} s\n\
         - contenders: {}\n",
        utc_now(),
        commit(),
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        BATCH.as_millis(),
        elapsed.as_secs_f64(),
        versions
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn commit() -> String {
    let hash =
        command_line("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = command_line("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{hash} (with uncommitted changes)")
    } else {
        hash
    }
}

/// Versions of the contenders, read from the workspace's Cargo.lock.
fn dependency_versions() -> String {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
        .unwrap_or_default();
    let version_of = |name: &str| {
        let key = format!("name = \"{name}\"\nversion = \"");
        lock.find(&key)
            .and_then(|i| lock[i + key.len()..].split('"').next())
            .unwrap_or("?")
            .to_string()
    };
    [
        "sip-core",
        "rsip",
        "ezk-sip-types",
        "rsipstack",
        "sipmsg",
        "rvoip-sip-core",
        "memchr",
    ]
    .iter()
    .map(|n| format!("{n} {}", version_of(n)))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    match sip_core::Date::from_unix_time(secs) {
        Some(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            d.year, d.month, d.day, d.hour, d.minute
        ),
        None => "unknown time".into(),
    }
}
