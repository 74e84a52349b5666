//! Package databases come from the hosts and images being scanned, which may be corrupt or
//! hostile: whatever the bytes, the dpkg and apk parsers must return packages and errors, never
//! panic, and every error must point at a line of the input.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1);
    let dpkg = parapet_inventory::dpkg::parse(&text, "status");
    let apk = parapet_inventory::apk::parse(&text, "installed");
    for error in dpkg.errors.iter().chain(&apk.errors) {
        assert!(error.line >= 1 && error.line <= lines + 1, "{error} is outside the input");
    }
});
