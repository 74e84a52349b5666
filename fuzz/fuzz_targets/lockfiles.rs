//! Lockfiles and SBOMs come from the projects and images being scanned, which may be corrupt or
//! hostile: whatever the bytes, every lockfile and SBOM parser must return packages and errors,
//! never panic, and every package and error must point at a line of the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_inventory::lockfile::{self, LockfileKind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count();
    for kind in LockfileKind::ALL {
        let parsed = lockfile::parse(kind, &text, kind.name());
        let package_lines = parsed.packages.iter().map(|p| p.line);
        for line in package_lines.chain(parsed.errors.iter().map(|e| e.line)) {
            assert!((1..=lines).contains(&line), "{kind:?}: line {line} is outside the input of {lines} lines");
        }
    }
    let _ = LockfileKind::detect_content(&text);
    let _ = lockfile::ecosystem_of_purl(&text);
});
