//! Advisory sources and catalog files come from outside (mirrors, vendors, a colleague's
//! machine): whatever the bytes, every reader of `parapet catalog build` and the catalog file
//! reader must return records or errors, never panic; what a reader accepts must then match
//! without panicking too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_catalog::sources::{Record, alpine_secdb, apt, csaf, debian_list, osv};
use parapet_catalog::{Catalog, Index, Installed};

fuzz_target!(|data: &[u8]| {
    let _ = parapet_catalog::file::from_bytes(data, "fuzz.ppc");
    let text = String::from_utf8_lossy(data);
    let mut advisories = Vec::new();
    for record in [osv::parse_json(&text), osv::parse_yaml(&text), csaf::parse(&text)].into_iter().flatten() {
        if let Record::Advisory { advisory, .. } = record {
            advisories.push(advisory);
        }
    }
    advisories.extend(debian_list::parse(&text).advisories);
    if let Ok(parsed) = alpine_secdb::parse(&text) {
        advisories.extend(parsed.advisories);
    }
    let release = apt::parse_release(&text);
    let _ = (release.is_security(), release.ecosystem());
    let updates = apt::parse_index(&text, apt::IndexKind::Packages, "Debian:12", "bookworm-security").updates;
    let catalog = Catalog { built_at: String::new(), sources: Vec::new(), advisories, updates };
    let index = Index::new(&catalog);
    for advisory in &catalog.advisories {
        for affected in &advisory.affected {
            for version in ["0", "1.0.0", "2:1.2-3", "v0.1.0", "1.0a1"] {
                let _ = index.lookup(&Installed {
                    ecosystem: &affected.ecosystem,
                    name: &affected.package,
                    version,
                    arch: Some("amd64"),
                    source: Some((&affected.package, version)),
                });
            }
        }
    }
    let bytes = parapet_catalog::file::to_bytes(&catalog).expect("a catalog in memory always encodes");
    let back = parapet_catalog::file::from_bytes(&bytes, "fuzz.ppc").expect("what was written reads back");
    assert_eq!(back.updates.len(), catalog.updates.len());
});
