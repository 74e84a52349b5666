//! What a sync reads from a source before any document: a provider's changes.csv and ROLIE feed,
//! its security.txt and provider-metadata.json, an apt Release file, and a downstream's cursor.
//! Whatever the bytes, each is read or refused with a reason; no listed URL leaves the provider's
//! folder by a relative path.

#![no_main]

use libfuzzer_sys::fuzz_target;

const FOLDER: &str = "https://provider.example/.well-known/csaf/white";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(listed) = parapet_sync::csaf::read_changes(FOLDER, &text) {
        for document in listed {
            assert!(document.url.starts_with("https://provider.example/"), "{}", document.url);
            assert!(!document.url.contains("/../"), "{}", document.url);
        }
    }
    let _ = parapet_sync::csaf::read_feed("https://provider.example/feed.json", data);
    let _ = parapet_sync::csaf::csaf_fields(&text);
    if let Ok(metadata) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parapet_sync::check::metadata_problems(&metadata);
        let _ = parapet_sync::csaf::distributions(&metadata);
    }
    let release = parapet_catalog::sources::apt::parse_release(&text);
    let _ = release.ecosystem();
    if let Some(cursor) = parapet_store::FeedCursor::decode(&text) {
        assert_eq!(parapet_store::FeedCursor::decode(&cursor.encode()), Some(cursor));
    }
});
