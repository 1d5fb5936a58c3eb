#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_fuzz::xml_diff::check;
use webticket::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::default().max_size(64 * 1024);
    if let Err(e) = check(data, &limits) {
        panic!("webticket and quick-xml disagree: {e}");
    }
});
