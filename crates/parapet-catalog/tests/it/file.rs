//! The catalog file: what is written is read back; anything else is refused with a reason.

use parapet_catalog::file::{self, FORMAT_VERSION};
use parapet_catalog::{Catalog, CatalogError, SourceKind, SourceSummary, Update};

fn sample() -> Catalog {
    let mut summary = SourceSummary::new(SourceKind::AptLists, "/var/lib/apt/lists");
    summary.updates = 1;
    Catalog {
        built_at: "2026-11-26T00:00:00Z".into(),
        sources: vec![summary],
        advisories: Vec::new(),
        updates: vec![Update {
            ecosystem: "Debian:12".into(),
            suite: "bookworm-security".into(),
            package: "libssl3".into(),
            arch: "amd64".into(),
            version: "3.0.17-1~deb12u2".into(),
            source: "openssl".into(),
            source_version: "3.0.17-1~deb12u2".into(),
        }],
    }
}

#[test]
fn round_trip_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.ppc");
    file::write(&path, &sample()).unwrap();
    assert_eq!(file::read(&path).unwrap(), sample());
    let bytes = std::fs::read(&path).unwrap();

    let named = |result: Result<Catalog, CatalogError>| result.unwrap_err().to_string();
    assert!(named(file::from_bytes(b"{\"json\": true}", "x.json")).contains("x.json: not a Parapet catalog"));
    let mut newer = bytes.clone();
    newer[16..20].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let message = named(file::from_bytes(&newer, "new.ppc"));
    assert!(message.contains(&format!("format version {} is newer", FORMAT_VERSION + 1)), "{message}");
    assert!(named(file::from_bytes(&bytes[..18], "t.ppc")).contains("truncated"));
    assert!(named(file::from_bytes(&bytes[..bytes.len() - 3], "cut.ppc")).contains("corrupt"));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(named(file::from_bytes(&trailing, "tail.ppc")).contains("1 bytes after the end"));
    assert!(named(file::read(&dir.path().join("missing.ppc"))).contains("missing.ppc"));

    // A failed write leaves the old file whole.
    let unwritable = dir.path().join("no-such-folder").join("catalog.ppc");
    assert!(file::write(&unwritable, &sample()).is_err());
    assert!(!unwritable.exists());
}
