//! parapet-inventory's one integration-test binary: tables of hand-written stanzas for each
//! database and lockfile (what is read, and every error with its line), this repository's own
//! `Cargo.lock`, and this machine's own dpkg status file checked against `dpkg-query`.

mod apk;
mod cargo_lock;
mod dpkg;
mod npm_lock;
mod system;

/// Every prefix of `text` (cut at character boundaries) with `parse`, which must not panic and
/// must account for each stanza it saw as a package or an error.
fn check_prefixes(text: &str, parse: impl Fn(&str) -> (usize, usize)) {
    for (end, _) in text.char_indices() {
        let (packages, errors) = parse(&text[..end]);
        let stanzas = text[..end].split("\n\n").filter(|s| !s.trim().is_empty()).count();
        assert!(packages + errors <= stanzas, "prefix of {end} bytes: {packages} + {errors} > {stanzas} stanzas");
    }
}
