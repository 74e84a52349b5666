//! The update catalog over HTTP: who may manage sources, what bad input gets, searching and
//! reading entries, the change feed and the catalog file, the console pages, and the running
//! server's scheduler syncing a due source.

use axum::http::{Method, StatusCode, header};
use parapet_catalog::{SourceSpec, SourceType};
use parapet_model::Role;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::{TestApp, spawn};

fn shared(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path)
}

#[tokio::test]
async fn sources_are_managed_by_admins_with_clear_errors() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let analyst = app.user("ana", Role::Analyst).await;
    let auditor = app.user("aud", Role::Auditor).await;
    let spec =
        json!({"name": "pypi", "kind": "osv", "url": "https://osv.example/PyPI/all.zip", "interval_minutes": 360});

    assert_eq!(app.get("/api/v1/sources", None).await.status, StatusCode::UNAUTHORIZED);
    for token in [&analyst, &auditor] {
        assert_eq!(app.post("/api/v1/sources", Some(token), spec.clone()).await.status, StatusCode::FORBIDDEN);
    }
    let created = app.post("/api/v1/sources", Some(&admin), spec.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["interval_minutes"], 360);
    assert!(created.json()["next_run_at"].is_string(), "due at once");

    let cases = [
        (json!({"name": "pypi", "kind": "osv", "url": "https://x/y.zip"}), "already exists"),
        (json!({"name": "Bad Name", "kind": "osv", "url": "https://x/y.zip"}), "source name"),
        (json!({"name": "local", "kind": "osv", "url": "/srv/osv"}), "need an http or https URL"),
        (
            json!({"name": "k", "kind": "csaf", "url": "https://x", "keys": ["-----BEGIN PGP PUBLIC KEY BLOCK-----\nnope\n-----END PGP PUBLIC KEY BLOCK-----\n"]}),
            "OpenPGP",
        ),
        (json!({"name": "r", "kind": "rss", "url": "https://x"}), "unknown variant"),
        (json!({"name": "u", "kind": "osv", "url": "https://x", "colour": "red"}), "unknown field"),
    ];
    for (body, message) in cases {
        let reply = app.post("/api/v1/sources", Some(&admin), body.clone()).await;
        assert!(reply.status.is_client_error(), "{body}: {}", reply.status);
        assert!(reply.text().contains(message), "{body}: {}", reply.text());
    }

    let shown = app.get("/api/v1/sources/pypi", Some(&analyst)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json()["runs"], json!([]));
    let renamed = app
        .call(
            Method::PUT,
            "/api/v1/sources/pypi",
            Some(&admin),
            Some(json!({"name": "other", "kind": "osv", "url": "https://x/y.zip"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", renamed.text());
    let queued = app.post("/api/v1/sources/pypi/sync", Some(&admin), json!({})).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED);
    assert_eq!(app.post("/api/v1/sources/nope/sync", Some(&admin), json!({})).await.status, StatusCode::NOT_FOUND);
    let removed = app.call(Method::DELETE, "/api/v1/sources/pypi", Some(&admin), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let audit = app
        .state
        .store
        .audit_entries(&parapet_store::AuditQuery {
            entity: Some(parapet_model::Entity::Source),
            page: 1,
            per_page: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 2, "adding and removing are audited");
    assert!(!audit.items.iter().any(|e| e.after.as_ref().is_some_and(|a| a.to_string().contains("BEGIN PGP"))));
}

/// Syncs the RustSec snapshot into the app's store, as the scheduler would.
pub(crate) async fn rustsec(app: &TestApp) {
    let spec = SourceSpec::new("rustsec", SourceType::Osv, shared("osv/rustsec/crates").display().to_string());
    app.state.store.add_source("test", &spec).await.unwrap();
    let outcome = parapet_sync::sync_source(&app.state.store, "rustsec", &Default::default()).await.unwrap();
    assert_eq!(outcome.error, None);
}

#[tokio::test]
async fn the_catalog_is_searched_read_replicated_and_exported() {
    let app = TestApp::new().await;
    rustsec(&app).await;
    let page = app.get("/api/v1/catalog/advisories?package=smallvec&per_page=5", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let page = page.json();
    assert!(page["total"].as_i64().unwrap() >= 3, "{page}");
    let first = page["items"][0]["id"].as_str().unwrap().to_owned();
    let by_purl = app.get("/api/v1/catalog/advisories?purl=pkg:cargo/smallvec@1.6.0&per_page=5", None).await.json();
    assert_eq!(by_purl["total"], page["total"]);
    let bad_purl = app.get("/api/v1/catalog/advisories?purl=smallvec", None).await;
    assert_eq!(bad_purl.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_purl.json()["error"]["field"], "purl");
    let entry = app.get(&format!("/api/v1/catalog/advisories/{first}"), None).await.json();
    assert_eq!(entry["sources"], json!(["rustsec"]));
    assert!(entry["records"][0]["advisory"]["affected"][0]["package"] == "smallvec");
    assert_eq!(app.get("/api/v1/catalog/advisories/CVE-1999-0000", None).await.status, StatusCode::NOT_FOUND);
    for bad in [
        "/api/v1/catalog/advisories?severity=urgent",
        "/api/v1/catalog/advisories?per_page=0",
        "/api/v1/catalog/changes?cursor=r1",
        "/api/v1/catalog/changes?limit=0",
        "/api/v1/catalog/advisories?colour=red",
    ] {
        let reply = app.get(bad, None).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
        assert!(reply.json()["error"]["message"].is_string(), "{bad}");
    }
    let feed = app.get("/api/v1/catalog/changes?limit=100", None).await.json();
    assert_eq!(feed["records"].as_array().unwrap().len(), 100);
    assert_eq!(feed["more"], true);
    let file = app.get("/api/v1/catalog/file", None).await;
    assert_eq!(file.headers[header::CONTENT_TYPE], "application/octet-stream");
    let catalog = parapet_catalog::file::from_bytes(&file.body, "download").unwrap();
    let snapshot = app.state.store.catalog_snapshot(String::new()).await.unwrap();
    assert_eq!(catalog.advisories, snapshot.advisories);

    // The console: signed-in staff browse, search and read the sources' status.
    let analyst = app.user("ana", Role::Analyst).await;
    let listing = app.get("/console/catalog?q=smallvec", Some(&analyst)).await;
    assert_eq!(listing.status, StatusCode::OK);
    assert!(listing.text().contains("smallvec"), "{}", listing.text());
    let shown = app.get(&format!("/console/catalog/{first}"), Some(&analyst)).await;
    assert!(shown.text().contains("from rustsec"));
    let sources = app.get("/console/sources", Some(&analyst)).await.text();
    assert!(sources.contains("rustsec") && sources.contains(">ok<"), "{sources}");
    assert!(!sources.contains("Add a source"), "only admins manage sources");
    let status = app.get("/console/sources/rustsec", Some(&analyst)).await.text();
    assert!(status.contains("new, 0 updated"), "{status}");
    assert_eq!(app.get("/console/catalog", None).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_running_server_syncs_a_due_source() {
    let app = TestApp::with(|settings| settings.catalog.check_seconds = 1).await;
    let mut spec = SourceSpec::new("rustsec", SourceType::Osv, shared("osv/rustsec/crates").display().to_string());
    spec.interval_minutes = 60;
    app.state.store.add_source("test", &spec).await.unwrap();
    let _server = spawn(&app).await;
    let started = Instant::now();
    loop {
        let source = app.state.store.source("rustsec").await.unwrap().unwrap();
        if let Some(run) = source.last_run.filter(|r| r.outcome != "running") {
            assert_eq!((run.outcome.as_str(), run.error), ("ok", None));
            assert!(run.counts.new > 500);
            let next = source.next_run_at.unwrap();
            assert!(
                next > time::OffsetDateTime::now_utc() + time::Duration::minutes(59),
                "the next run is an interval away"
            );
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the scheduler did not sync the source");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A CSAF source whose documents fail mandatory tests: what it took anyway is listed on its
/// status page, in the API and on the catalog entry.
#[tokio::test]
async fn documents_taken_with_problems_are_shown_wherever_the_source_is() {
    use parapet_catalog::DocumentProblem;
    use parapet_store::{CatalogBatch, DocumentState, RecordChange};
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    let admin = app.user("root", Role::Admin).await;
    let spec = json!({"name": "vendor", "kind": "csaf", "url": "https://csaf.example/provider-metadata.json"});
    let created = app.post("/api/v1/sources", Some(&admin), spec).await;
    assert_eq!(created.json()["validation"], "schema", "the default");
    let strict = json!({"name": "strict", "kind": "csaf", "url": "https://csaf.example/", "validation": "strict"});
    assert_eq!(app.post("/api/v1/sources", Some(&admin), strict).await.json()["validation"], "strict");
    let bad = json!({"name": "bad", "kind": "osv", "url": "https://osv.example/all.zip", "validation": "strict"});
    let refused = app.post("/api/v1/sources", Some(&admin), bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("applies to CSAF sources only"), "{}", refused.text());

    // A sync's batch, as the CSAF consumer writes it for a document that fails 6.1.31.
    let lease = app.state.store.lease_source("vendor", "test", 60_000).await.unwrap().unwrap();
    let problem = DocumentProblem {
        test: "6.1.31".into(),
        path: "/product_tree/branches/0/branches/0/name".into(),
        message: "<b>vers:all/*</b> is a version range".into(),
    };
    let text = std::fs::read_to_string(shared("csaf/provider-cisa/OT/white/2024/icsa-24-200-01.json")).unwrap();
    let parapet_catalog::sources::Record::Advisory { advisory, .. } =
        parapet_catalog::sources::csaf::parse(&text).unwrap()
    else {
        panic!("a CSAF advisory")
    };
    let id = advisory.id.clone();
    let batch = CatalogBatch {
        documents: vec![DocumentState {
            document: "https://csaf.example/white/2024/icsa-24-200-01.json".into(),
            digest: "d".into(),
            modified: String::new(),
            record_id: Some(id.clone()),
            problems: vec![problem],
        }],
        records: vec![RecordChange { record_id: id.clone(), advisory, modified: String::new() }],
        ..CatalogBatch::default()
    };
    let mut counts = app.state.store.apply_batch(&lease, &batch).await.unwrap().unwrap();
    counts.accepted_with_problems = 1;
    app.state.store.finish_run(&lease, counts, &[], None).await.unwrap();

    let shown = app.get("/api/v1/sources/vendor", Some(&analyst)).await.json();
    assert_eq!(shown["accepted_with_problems"]["total"], 1);
    assert_eq!(shown["accepted_with_problems"]["documents"][0]["problems"][0]["test"], "6.1.31");
    assert_eq!(shown["runs"][0]["accepted_with_problems"], 1);
    let page = app.get("/console/sources/vendor", Some(&analyst)).await.text();
    assert!(page.contains("Taken with problems") && page.contains("6.1.31"), "{page}");
    assert!(page.contains("&lt;b&gt;vers:all") && !page.contains("<b>vers"), "escaped: {page}");
    assert!(page.contains("1 taken with problems"), "the run says so");
    let entry = app.get(&format!("/api/v1/catalog/advisories/{id}"), None).await.json();
    assert_eq!(entry["records"][0]["problems"][0]["test"], "6.1.31");
    let entry_page = app.get(&format!("/console/catalog/{id}"), Some(&analyst)).await.text();
    assert!(entry_page.contains("fails mandatory CSAF tests") && entry_page.contains("6.1.31"), "{entry_page}");
}
