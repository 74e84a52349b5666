//! The CSAF consumer against CISA's real provider directory, served on loopback with a
//! provider-metadata.json and signatures made by the test's own key; and against providers that
//! misbehave.

use crate::server::TestServer;
use crate::{add_and_sync, shared, store, sync};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parapet_catalog::{SourceSpec, SourceType};
use parapet_provider::SigningKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What the test provider serves besides CISA's files as they are.
#[derive(Default)]
struct Changes {
    /// Documents served with other bytes than their hash files describe.
    tampered: HashMap<String, Vec<u8>>,
    /// Documents whose signature is made by a key nobody trusts.
    foreign_signature: Vec<String>,
    /// Documents that take this long to answer.
    slow: Vec<String>,
    /// Served in place of the OT folder's changes.csv; the IT folder's is then empty, so that
    /// the provider lists just these.
    changes_csv: Option<String>,
    /// The metadata redirects to itself.
    redirect_loop: bool,
    /// Serve the metadata at /meta/provider-metadata.json, found through security.txt only.
    via_security_txt: bool,
}

struct Provider {
    root: std::path::PathBuf,
    key: SigningKey,
    other_key: SigningKey,
    changes: Changes,
}

fn host(headers: &HeaderMap) -> String {
    format!("http://{}", headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"))
}

fn metadata(provider: &Provider, base: &str) -> serde_json::Value {
    let path = if provider.changes.via_security_txt { "meta" } else { ".well-known/csaf" };
    serde_json::json!({
        "canonical_url": format!("{base}/{path}/provider-metadata.json"),
        "distributions": [
            {"directory_url": format!("{base}/csaf_files/OT/white")},
            {"directory_url": format!("{base}/csaf_files/IT/white/")}
        ],
        "last_updated": "2024-10-24T19:23:12Z",
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "public_openpgp_keys": [{"fingerprint": provider.key.fingerprint(), "url": format!("{base}/key.asc")}],
        "publisher": {"category": "coordinator", "name": "Test copy of CISA", "namespace": "https://www.cisa.gov/"},
        "role": "csaf_trusted_provider"
    })
}

async fn well_known(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    if provider.changes.via_security_txt {
        return StatusCode::NOT_FOUND.into_response();
    }
    if provider.changes.redirect_loop {
        return (StatusCode::FOUND, [(header::LOCATION, "/.well-known/csaf/provider-metadata.json")]).into_response();
    }
    axum::Json(metadata(&provider, &host(&headers))).into_response()
}

async fn moved_metadata(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    axum::Json(metadata(&provider, &host(&headers))).into_response()
}

async fn security_txt(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    if !provider.changes.via_security_txt {
        return StatusCode::NOT_FOUND.into_response();
    }
    format!("Contact: mailto:psirt@example.com\nCSAF: {}/meta/provider-metadata.json\n", host(&headers)).into_response()
}

async fn public_key(State(provider): State<Arc<Provider>>) -> String {
    provider.key.armored_public().unwrap()
}

async fn files(State(provider): State<Arc<Provider>>, Path(path): Path<String>) -> Response {
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(text) = &provider.changes.changes_csv {
        match path.as_str() {
            "OT/white/changes.csv" => return text.clone().into_response(),
            "IT/white/changes.csv" => return String::new().into_response(),
            _ => {}
        }
    }
    if let Some(document) = path.strip_suffix(".asc") {
        let Ok(bytes) = std::fs::read(provider.root.join(document)) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let key = if provider.changes.foreign_signature.iter().any(|p| p == document) {
            &provider.other_key
        } else {
            &provider.key
        };
        return key.sign(&bytes).unwrap().into_response();
    }
    if provider.changes.slow.contains(&path) {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    if let Some(bytes) = provider.changes.tampered.get(&path) {
        return bytes.clone().into_response();
    }
    match std::fs::read(provider.root.join(&path)) {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn start(changes: Changes) -> (TestServer, SigningKey) {
    let key = SigningKey::generate("Test CSAF provider <csaf@example.com>", "pw").unwrap();
    let public = SigningKey::from_armored(&key.armored_secret().unwrap(), "pw").unwrap();
    let provider = Arc::new(Provider {
        root: shared("csaf/provider-cisa"),
        key,
        other_key: SigningKey::generate("Someone else <x@example.com>", "pw").unwrap(),
        changes,
    });
    let router = Router::new()
        .route("/.well-known/csaf/provider-metadata.json", get(well_known))
        .route("/meta/provider-metadata.json", get(moved_metadata))
        .route("/.well-known/security.txt", get(security_txt))
        .route("/key.asc", get(public_key))
        .route("/csaf_files/{*path}", get(files))
        .with_state(provider);
    (TestServer::start(router).await, public)
}

fn spec(name: &str, url: &str, key: &SigningKey) -> SourceSpec {
    let mut spec = SourceSpec::new(name, SourceType::Csaf, url);
    spec.keys = vec![key.armored_public().unwrap()];
    spec
}

/// Two documents of CISA's that pass validation, and the OT folder's changes.csv listing them.
const VALID: [&str; 2] = ["2024/icsa-24-200-01.json", "2024/icsma-24-254-01.json"];
const TWO: &str = "\"csaf_files/OT/white/2024/icsa-24-200-01.json\",\"2024-07-18T06:00:00Z\"\n\
                   \"csaf_files/OT/white/2024/icsma-24-254-01.json\",\"2024-09-10T06:00:00Z\"\n";

const TAMPERED: &str = "OT/white/2024/icsa-24-004-01.json";

#[tokio::test]
async fn cisa_provider_syncs_completely_rejects_tampering_and_a_second_sync_writes_nothing() {
    let root = shared("csaf/provider-cisa");
    let original = std::fs::read(root.join(TAMPERED)).unwrap();
    let tampered = String::from_utf8(original).unwrap().replacen("\"title\": \"", "\"title\": \"Not ", 1).into_bytes();
    let changes = Changes { tampered: HashMap::from([(TAMPERED.to_owned(), tampered)]), ..Changes::default() };
    let (server, key) = start(changes).await;
    let store = store().await;

    // What the validator says of each document, computed here on its own.
    let mut listed = Vec::new();
    for folder in ["OT/white", "IT/white"] {
        let text = std::fs::read_to_string(root.join(folder).join("changes.csv")).unwrap();
        for line in text.lines() {
            let path = line.split(',').next().unwrap().trim_matches('"');
            listed.push(path.strip_prefix("csaf_files/").unwrap().to_owned());
        }
    }
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 2383);
    let invalid: Vec<&String> = listed
        .iter()
        .filter(|path| *path != TAMPERED)
        .filter(|path| {
            let text = std::fs::read_to_string(root.join(path)).unwrap();
            !parapet_csaf::validate_str(&text).unwrap().is_valid()
        })
        .collect();

    // They are signed and schema-valid: under the default validation they go in, with the
    // tests they fail recorded; only the tampered one is refused.
    // 175 use `vers:all/*` or another range as a version name (6.1.31). One more,
    // icsa-17-010-01a, names a version "... integrated install kit": "all" inside a word is no
    // range word, so it is valid.
    assert_eq!(invalid.len(), 175, "CISA's documents that fail mandatory tests");
    assert!(!invalid.iter().any(|p| p.ends_with("icsa-17-010-01a.json")));
    let outcome = add_and_sync(&store.store, spec("cisa", &server.url, &key)).await;
    assert_eq!(outcome.error, None);
    let counts = outcome.counts;
    assert_eq!((counts.new + counts.updated, counts.rejected), (2382, 1), "{counts:?}");
    assert_eq!(counts.accepted_with_problems, 175, "{counts:?}");
    assert_eq!(outcome.rejections.len(), 1);
    assert_eq!(outcome.rejections[0].document, format!("{}/csaf_files/{TAMPERED}", server.url));
    assert!(outcome.rejections[0].reason.contains("SHA-512 hash does not match"), "{:?}", outcome.rejections);
    let source = store.store.source("cisa").await.unwrap().unwrap();
    let (problems, total) = store.store.problem_documents(source.id, 1000).await.unwrap();
    assert_eq!(total, 175);
    let listed_with_problems: Vec<String> =
        problems.iter().map(|p| p.document.rsplit_once("/csaf_files/").unwrap().1.to_owned()).collect();
    let mut expected: Vec<String> = invalid.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(listed_with_problems, expected, "the documents taken with problems are the invalid ones");
    for document in &problems {
        assert!(!document.problems.is_empty() && document.problems.iter().all(|p| p.test.starts_with("6.1.")));
        // The catalog entry shows them too.
        let record = document.record_id.as_deref().expect("a CSAF document gives a record");
        let entry = store.store.catalog_entry(record).await.unwrap().expect("taken into the catalog");
        let shown = entry.records.iter().find(|r| r.record_id == record).unwrap();
        assert_eq!(shown.problems, document.problems);
    }
    println!(
        "CISA: {} new, {} updated, {} rejected, {} taken with problems",
        counts.new, counts.updated, counts.rejected, counts.accepted_with_problems
    );

    // Strict validation refuses them as well (in a catalog of its own).
    let mut strict = spec("cisa-strict", &server.url, &key);
    strict.validation = parapet_catalog::Validation::Strict;
    let strict_store = crate::store().await;
    let judged = add_and_sync(&strict_store.store, strict).await;
    assert_eq!((judged.counts.rejected, judged.counts.accepted_with_problems), (176, 0), "{:?}", judged.counts);
    let reason = |path: &str| {
        judged.rejections.iter().find(|r| r.document.ends_with(path)).map(|r| r.reason.clone()).unwrap_or_default()
    };
    for path in &invalid {
        assert!(reason(path).starts_with("fails CSAF test "), "{path}: {}", reason(path));
    }

    // The catalog knows the documents, by their IDs and by CVE.
    let entry = store.store.catalog_entry("ICSA-24-298-03").await.unwrap().expect("a CISA advisory by its ID");
    assert_eq!(entry.sources, vec!["cisa"]);
    let cve = entry.aliases.iter().find(|a| a.starts_with("CVE-")).expect("the advisory names a CVE").clone();
    let by_cve = store.store.catalog_entry(&cve).await.unwrap().unwrap();
    assert!(by_cve.records.iter().any(|r| r.record_id == "ICSA-24-298-03"));
    assert!(store.store.catalog_entry("ICSA-24-004-01").await.unwrap().is_none(), "the tampered document is not in");
    let run = store.store.source("cisa").await.unwrap().unwrap().last_run.unwrap();
    assert_eq!((run.outcome.as_str(), run.counts), ("ok", counts));
    assert_eq!(run.rejections.len(), counts.rejected as usize);

    // A second sync: nothing new, nothing written to the catalog.
    let tick = store.store.catalog_tick().await.unwrap();
    let states = store.store.document_states(source.id, None).await.unwrap();
    let again = sync(&store.store, "cisa").await;
    assert_eq!(again.error, None);
    assert_eq!((again.counts.new, again.counts.updated, again.counts.rejected, again.counts.withdrawn), (0, 0, 0, 0));
    assert_eq!(again.counts.unchanged, 2383);
    assert_eq!(store.store.catalog_tick().await.unwrap(), tick);
    assert_eq!(store.store.document_states(source.id, None).await.unwrap(), states);
}

#[tokio::test]
async fn discovery_through_security_txt_and_unsigned_documents() {
    let changes = Changes { via_security_txt: true, changes_csv: Some(TWO.to_owned()), ..Changes::default() };
    let (server, key) = start(changes).await;
    let store = store().await;
    let outcome = add_and_sync(&store.store, spec("small", &server.url, &key)).await;
    assert_eq!(outcome.error, None, "the metadata is found through security.txt");
    assert_eq!((outcome.counts.new, outcome.counts.rejected), (2, 0), "{:?}", outcome.rejections);
    // A document signed by a key the provider does not list is refused, whatever the validation.
    let foreign = format!("OT/white/{}", VALID[1]);
    let changes =
        Changes { changes_csv: Some(TWO.to_owned()), foreign_signature: vec![foreign.clone()], ..Changes::default() };
    let (signed_elsewhere, key) = start(changes).await;
    let outcome = add_and_sync(&store.store, spec("foreign", &signed_elsewhere.url, &key)).await;
    assert_eq!((outcome.counts.new, outcome.counts.rejected), (1, 1), "{:?}", outcome.rejections);
    assert!(outcome.rejections[0].document.ends_with(&foreign));
    assert!(outcome.rejections[0].reason.contains("OpenPGP signature"), "{:?}", outcome.rejections);
    // Unsigned: a source that allows unsigned documents takes a document without a signature,
    // but never one with a bad signature.
    let mut unsigned = SourceSpec::new("unsigned", SourceType::Csaf, &server.url);
    unsigned.allow_unsigned = true;
    unsigned.keys = vec![SigningKey::generate("Other <o@example.com>", "pw").unwrap().armored_public().unwrap()];
    let outcome = add_and_sync(&store.store, unsigned).await;
    assert_eq!(outcome.counts.rejected, 2, "a signature by an untrusted key is refused even when unsigned is allowed");
    assert!(outcome.rejections.iter().all(|r| r.reason.contains("OpenPGP signature")), "{:?}", outcome.rejections);
    let provider = parapet_sync::csaf::discover(&parapet_sync::Fetcher::new(Default::default()).unwrap(), &server.url)
        .await
        .unwrap();
    assert_eq!(provider.how, parapet_sync::csaf::Discovery::SecurityTxt);
    assert!(provider.metadata_url.ends_with("/meta/provider-metadata.json"));
}

#[tokio::test]
async fn a_redirect_loop_a_bad_changes_csv_and_a_slow_document_cost_bounded_time_and_change_nothing() {
    // A redirect loop on the metadata: the sync fails with the reason.
    let (server, key) = start(Changes { redirect_loop: true, ..Changes::default() }).await;
    let store = store().await;
    let outcome = add_and_sync(&store.store, spec("loop", &server.url, &key)).await;
    let error = outcome.error.unwrap();
    assert!(error.contains("too many redirects"), "{error}");
    assert_eq!(store.store.catalog_tick().await.unwrap(), 0);

    // A changes.csv that is not one.
    let (server, key) =
        start(Changes { changes_csv: Some("garbage without a time\n".into()), ..Changes::default() }).await;
    let outcome = add_and_sync(&store.store, spec("garbage", &server.url, &key)).await;
    let error = outcome.error.unwrap();
    assert!(error.contains("changes.csv line 1"), "{error}");
    assert_eq!(store.store.catalog_tick().await.unwrap(), 0);
    assert_eq!(store.store.source("garbage").await.unwrap().unwrap().cursor, "");

    // One slow document among the others: it is rejected after the read timeout, the rest go in.
    let ot = TWO;
    let changes = Changes {
        changes_csv: Some(ot.to_owned()),
        slow: vec![format!("OT/white/{}", VALID[0])],
        ..Changes::default()
    };
    let (server, key) = start(changes).await;
    let started = std::time::Instant::now();
    let outcome = add_and_sync(&store.store, spec("slow", &server.url, &key)).await;
    assert!(started.elapsed() < Duration::from_secs(25), "took {:?}", started.elapsed());
    assert_eq!(outcome.error, None);
    assert_eq!((outcome.counts.new, outcome.counts.rejected), (1, 1), "{:?}", outcome.rejections);
    assert!(outcome.rejections[0].reason.contains("timed out"), "{:?}", outcome.rejections);

    // A document over the size limit.
    let changes = Changes { changes_csv: Some(ot.to_owned()), ..Changes::default() };
    let (server, key) = start(changes).await;
    let mut small = spec("small-limit", &server.url, &key);
    small.max_document_bytes = 1000;
    let outcome = add_and_sync(&store.store, small).await;
    assert_eq!(outcome.counts.rejected, 2);
    assert!(
        outcome.rejections.iter().all(|r| r.reason.contains("larger than the limit of 1000 bytes")),
        "{:?}",
        outcome.rejections
    );

    // Without a key and with none the provider lists that matches, nothing is trusted.
    let (server, _) = start(Changes { changes_csv: Some(ot.to_owned()), ..Changes::default() }).await;
    let stranger = SigningKey::generate("Stranger <s@example.com>", "pw").unwrap();
    let outcome = add_and_sync(&store.store, spec("stranger", &server.url, &stranger)).await;
    assert_eq!(outcome.counts.rejected, 2);
    assert!(
        outcome.rejections.iter().all(|r| r.reason.contains("not made by a trusted key")),
        "{:?}",
        outcome.rejections
    );
    // The provider's own listed key (fetched and checked against its fingerprint) is used when
    // the source names none.
    let keyless = SourceSpec::new("listed-key", SourceType::Csaf, &server.url);
    let outcome = add_and_sync(&store.store, keyless).await;
    assert_eq!((outcome.counts.new, outcome.counts.rejected), (2, 0), "{:?}", outcome.rejections);
}
