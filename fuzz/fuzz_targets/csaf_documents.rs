//! CSAF documents come from outside (imports, other providers): whatever the bytes, the
//! validator must return a report and the importer a publication or a refusal, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_provider::SigningKey;
use std::sync::OnceLock;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("Fuzz <fuzz@example.com>", "fuzz").expect("a key"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(report) = parapet_csaf::validate_str(&text) {
        let _ = report.is_valid();
    }
    if let Ok(publication) = parapet_provider::publication::from_csaf(&text, key()) {
        // Whatever the tracking ID, the file stays inside its year folder.
        assert!(!publication.path.contains(".."), "{}", publication.path);
        assert_eq!(publication.path.matches('/').count(), 1, "{}", publication.path);
    }
});
