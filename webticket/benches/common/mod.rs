//! Shared by the `rstr` benchmark and the `rstr_loop` example, so that both measure the
//! same floor and derive the same key.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The decoded `wst:Entropy` of `tests/data/rstr_proof.xml` (0x20 down to 0x01).
pub(crate) const SERVER_ENTROPY: [u8; 32] = {
    let mut a = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        a[i] = 32 - i as u8;
        i += 1;
    }
    a
};

/// Reads every quick-xml event of `body` and nothing else (the floor): how many.
pub(crate) fn scan(body: &[u8]) -> usize {
    let mut reader = Reader::from_reader(body);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return n,
            Ok(_) => n += 1,
            Err(e) => panic!("{e}"),
        }
    }
}
