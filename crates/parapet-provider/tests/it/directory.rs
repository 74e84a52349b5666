use parapet_provider::directory::{self, Entry, Label, Provider};
use serde_json::Value;
use std::path::Path;
use time::macros::datetime;

const SCHEMAS: &str = "../../../shared/data/csaf/schema";

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The provider metadata schema, with the CSAF and CVSS schemas it refers to, compiled from the
/// OASIS files (network lookups are never made).
fn provider_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMAS);
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let resources = [
        ("https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", root.join("csaf_json_schema.json")),
        ("https://www.first.org/cvss/cvss-v2.0.json", root.join("first-cvss/cvss-v2.0.json")),
        ("https://www.first.org/cvss/cvss-v3.0.json", root.join("first-cvss/cvss-v3.0.json")),
        ("https://www.first.org/cvss/cvss-v3.1.json", root.join("first-cvss/cvss-v3.1.json")),
        (
            "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json",
            root.join("provider_json_schema.json"),
        ),
    ];
    for (url, path) in &resources {
        compiler.add_resource(url, read(path)).unwrap();
    }
    let mut schemas = boon::Schemas::new();
    let index =
        compiler.compile("https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json", &mut schemas).unwrap();
    (schemas, index)
}

fn provider() -> Provider {
    Provider {
        base_url: "https://psirt.acme.example/.well-known/csaf".into(),
        publisher_category: "vendor".into(),
        publisher_name: "Acme PSIRT".into(),
        publisher_namespace: "https://acme.example".into(),
        publisher_contact_details: Some("mailto:psirt@acme.example".into()),
        fingerprint: "8F5F267907B2C4559DB360DB2294BA7D2B2298B1".into(),
    }
}

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            tracking_id: "PSB-2026-014".into(),
            title: "Security update for Acme Router".into(),
            label: Label::White,
            path: directory::document_path(datetime!(2026-03-10 17:00 UTC), "PSB-2026-014"),
            initial_release: datetime!(2026-03-10 17:00 UTC),
            current_release: datetime!(2026-04-14 17:00 UTC),
            category: "csaf_security_advisory".into(),
        },
        Entry {
            tracking_id: "PSA-2025-003".into(),
            title: "Hardening guidance".into(),
            label: Label::White,
            path: directory::document_path(datetime!(2025-12-09 17:00 UTC), "PSA-2025-003"),
            initial_release: datetime!(2025-12-09 17:00 UTC),
            current_release: datetime!(2025-12-09 17:00 UTC),
            category: "csaf_informational_advisory".into(),
        },
    ]
}

#[test]
fn provider_metadata_is_valid_against_the_oasis_schema() {
    let (schemas, index) = provider_schema();
    let table: [&[Label]; 3] = [&[], &[Label::White], &[Label::White, Label::Green, Label::Red, Label::Unlabeled]];
    for labels in table {
        let metadata = provider().metadata(labels, datetime!(2026-04-14 17:00:01.5 UTC));
        if let Err(e) = schemas.validate(&metadata, index) {
            panic!("{labels:?}: {e:#}\n{metadata:#}");
        }
        let feeds = metadata.pointer("/distributions/0/rolie/feeds").and_then(Value::as_array).unwrap();
        assert_eq!(feeds.len(), labels.iter().chain([&Label::White]).collect::<std::collections::BTreeSet<_>>().len());
        assert_eq!(
            metadata.pointer("/public_openpgp_keys/0/url").and_then(Value::as_str),
            Some("https://psirt.acme.example/.well-known/csaf/openpgp/8F5F267907B2C4559DB360DB2294BA7D2B2298B1.asc")
        );
    }
    // A wrong fingerprint is caught by the schema: the check above can fail.
    let mut broken = provider().metadata(&[], datetime!(2026-04-14 17:00 UTC));
    broken["public_openpgp_keys"][0]["fingerprint"] = "ABC".into();
    assert!(schemas.validate(&broken, index).is_err());
}

#[test]
fn rolie_feed_lists_every_document_with_hashes_and_signature() {
    let provider = provider();
    let feed = provider.feed(Label::White, &entries(), datetime!(2026-04-14 17:00 UTC));
    let items = feed.pointer("/feed/entry").and_then(Value::as_array).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], "PSB-2026-014", "newest first");
    let links: Vec<(&str, &str)> = items[0]["link"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
        .collect();
    let url = "https://psirt.acme.example/.well-known/csaf/white/2026/psb-2026-014.json";
    assert_eq!(
        links,
        [
            ("self", url),
            ("hash", &*format!("{url}.sha256")),
            ("hash", &*format!("{url}.sha512")),
            ("signature", &*format!("{url}.asc"))
        ]
    );
    assert_eq!(items[0]["published"], "2026-03-10T17:00:00Z");
    assert_eq!(items[0]["updated"], "2026-04-14T17:00:00Z");
    assert_eq!(feed.pointer("/feed/link/0/href").unwrap(), &provider.feed_url(Label::White));

    let service = provider.service(&[Label::White]);
    assert_eq!(service.pointer("/service/workspace/0/collection/0/href").unwrap(), &provider.feed_url(Label::White));
    let categories = directory::category_document(&entries());
    assert_eq!(
        categories.pointer("/categories/category").unwrap(),
        &serde_json::json!([{"term": "csaf_informational_advisory"}, {"term": "csaf_security_advisory"}])
    );
}

#[test]
fn hash_files_read_like_sha256sum() {
    let digests = directory::Digests::of(b"abc");
    assert_eq!(digests.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(&digests.sha512[..16], "ddaf35a193617aba");
    assert_eq!(
        directory::hash_file(&digests.sha256, "psb-2026-014.json"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  psb-2026-014.json\n"
    );
}
