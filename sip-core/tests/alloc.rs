//! A counting global allocator proves the borrowed parse path allocates nothing, typed
//! access allocates nothing, and the owned parse allocates exactly once (its header index).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use sip_core::{EMPTY_HEADER, Framing, Mode, ParserConfig, SipMessage, Status, parse_with};

struct Counting;

thread_local! {
    // why: per thread, so the test harness's own threads (output capture, timers) cannot
    // add to the count of the code under test, however loaded the machine is.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: allocations during thread teardown are not ours to count.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [
        format!("{}/tests/data", env!("CARGO_MANIFEST_DIR")),
        format!("{}/../../shared/corpus/rfc4475", env!("CARGO_MANIFEST_DIR")),
    ] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn allocation_counts() {
    let inputs = fixtures();
    let configs = [
        ParserConfig::default().framing(Framing::Datagram),
        ParserConfig::default()
            .framing(Framing::Datagram)
            .mode(Mode::Lenient),
    ];
    let mut parsed = 0;
    for (name, data) in &inputs {
        for cfg in &configs {
            let mut slots = [EMPTY_HEADER; 64];
            let n = allocations_during(|| {
                if let Ok(Status::Complete(m)) = parse_with(data, &mut slots, cfg) {
                    parsed += 1;
                    // Typed access that borrows must not allocate either.
                    let _ = (
                        m.method(),
                        m.request_uri_parsed(),
                        m.status(),
                        m.body().len(),
                    );
                    for v in m.via().flatten() {
                        std::hint::black_box((v.branch(), v.received(), v.port));
                    }
                    std::hint::black_box((
                        m.from().ok().map(|f| f.tag()),
                        m.to().ok().map(|t| t.tag()),
                    ));
                    std::hint::black_box((
                        m.call_id().ok(),
                        m.cseq().ok(),
                        m.max_forwards().ok(),
                        m.expires().ok(),
                    ));
                    std::hint::black_box((
                        m.contacts().count(),
                        m.content_type().ok(),
                        m.date().ok(),
                    ));
                    for a in m.www_authenticate().chain(m.authorization()).flatten() {
                        std::hint::black_box(a.params.get("gssapi-data"));
                    }
                    std::hint::black_box(m.authentication_info().ok());
                    for h in m.headers() {
                        std::hint::black_box(h.value_unfolded().count());
                    }
                }
            });
            assert_eq!(
                n, 0,
                "{name}: borrowed parse and typed access allocated {n} times"
            );
        }
    }
    assert!(parsed > 80, "only {parsed} parses succeeded");

    for (name, data) in &inputs {
        let bytes = Bytes::copy_from_slice(data);
        let cfg = ParserConfig::default()
            .framing(Framing::Datagram)
            .mode(Mode::Lenient);
        let mut result = None;
        let n = allocations_during(|| result = Some(SipMessage::parse_with(bytes, &cfg)));
        if result.unwrap().is_ok() {
            assert_eq!(n, 1, "{name}: owned parse allocated {n} times");
        }
    }
}
