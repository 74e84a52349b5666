//! Publishing: a scheduled bulletin publishes itself at the release instant, signed, hashed and
//! listed in the trusted provider directory; `gpg` checks the signature with the key the
//! provider metadata names. Imports keep documents as they were.

use axum::http::{Method, StatusCode, header};
use parapet_model::Role;
use parapet_server::releases::ManualClock;
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use time::macros::datetime;

use crate::TestApp;

/// A product with one version, a reported case, and a bulletin draft fixing it; returns the
/// publisher's token, the case ID and the bulletin's ID.
pub(crate) async fn draft_bulletin(app: &TestApp) -> (String, i64, String) {
    let publisher = app.user("pat", Role::Publisher).await;
    let product =
        app.post("/api/v1/products", Some(&publisher), json!({"vendor": "Acme", "name": "Widget Server"})).await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.text());
    let product_id = product.json()["id"].as_i64().unwrap();
    let version = app
        .post(&format!("/api/v1/products/{product_id}/versions"), Some(&publisher), json!({"version": "2.4.0"}))
        .await;
    assert_eq!(version.status, StatusCode::CREATED, "{}", version.text());
    let version_id = version.json()["id"].as_i64().unwrap();
    app.report("Heap overflow in the request parser").await;
    let cases = app.get("/api/v1/cases", Some(&publisher)).await.json();
    let case_id = cases["items"][0]["id"].as_i64().unwrap();

    let created = app
        .post(
            "/api/v1/documents",
            Some(&publisher),
            json!({
                "kind": "bulletin",
                "title": "Security update for Widget Server",
                "summary": "This update fixes a heap overflow that lets a remote attacker run code.",
                "products": [product_id],
                "vulnerabilities": [{
                    "case_id": case_id,
                    "cve": "CVE-2026-31001",
                    "title": "Widget Server heap overflow in the request parser",
                    "description": "A crafted request overflows a heap buffer.",
                    "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "affected": [version_id],
                    "acknowledgments": [{"names": ["Ada Lovelace"], "organization": null}]
                }],
                "updates": [{"product_id": product_id, "branch": null, "fixed_version": "2.4.1", "purl": null,
                             "url": "https://acme.example/download", "restart_required": true}]
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    (publisher, case_id, id)
}

fn gpg(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(["--batch", "--no-tty", "--status-fd", "1"])
        .args(args)
        .output()
        .expect("gpg (Debian's gnupg) runs")
}

#[tokio::test]
async fn scheduled_bulletin_publishes_itself_signed_and_listed() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::with(|s| {
        s.server.public_url = "https://psirt.acme.example".into();
        s.publisher.vex = true;
    })
    .await
    .on_clock(clock.clone());
    let (publisher, case_id, id) = draft_bulletin(&app).await;
    assert_eq!(id, "PSB-2026-001");

    let preview = app.get(&format!("/api/v1/documents/{id}/preview"), Some(&publisher)).await.json();
    assert_eq!(preview["valid"], true, "{:#}", preview["errors"]);
    assert_eq!(preview["osv"].as_array().unwrap().len(), 1);

    let scheduled =
        app.post(&format!("/api/v1/documents/{id}/schedule"), Some(&publisher), json!({"at": "next_release"})).await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text());
    assert_eq!(scheduled.json()["schedule"]["at"], "2026-12-08T17:00:00Z", "the second Tuesday at 17:00 UTC");

    // Before the instant nothing is out.
    clock.set(datetime!(2026-12-08 16:59:59 UTC));
    assert!(parapet_server::documents::publishing::run_due(&app.state).await.unwrap().is_empty());
    assert_eq!(app.get("/.well-known/csaf/white/index.txt", None).await.text(), "");
    for path in [format!("/documents/{id}"), "/cve/CVE-2026-31001".into(), "/releases/2026-12".into()] {
        assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND, "{path} before the release");
    }
    assert!(app.get("/security-updates", None).await.text().contains("0 documents."));

    // The server was down across the instant; it publishes when it looks again.
    clock.set(datetime!(2026-12-08 19:30 UTC));
    let outcomes = parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert_eq!(outcomes, [(id.clone(), Ok("1.0".to_owned()))]);
    assert!(parapet_server::documents::publishing::run_due(&app.state).await.unwrap().is_empty(), "exactly once");
    let case = app.get(&format!("/api/v1/cases/{case_id}"), Some(&publisher)).await.json();
    assert_eq!(case["state"], "disclosed");

    // The provider metadata names the key; the key is served where it says.
    let metadata = app.get("/.well-known/csaf/provider-metadata.json", None).await;
    assert_eq!(metadata.headers[header::CONTENT_TYPE], "application/json");
    let metadata = metadata.json();
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    assert_eq!(metadata["canonical_url"], "https://psirt.acme.example/.well-known/csaf/provider-metadata.json");
    let fingerprint = metadata["public_openpgp_keys"][0]["fingerprint"].as_str().unwrap().to_owned();
    let key_url = metadata["public_openpgp_keys"][0]["url"].as_str().unwrap();
    let key_path = key_url.strip_prefix("https://psirt.acme.example").unwrap();
    let key = app.get(key_path, None).await;
    assert_eq!(key.headers[header::CONTENT_TYPE], "application/pgp-keys");

    // Index, changes and feed list the document.
    let path = "2026/psb-2026-001.json";
    let vex_path = "2026/psb-2026-001-vex-p1.json";
    assert_eq!(app.get("/.well-known/csaf/white/index.txt", None).await.text(), format!("{vex_path}\n{path}\n"));
    assert_eq!(
        app.get("/.well-known/csaf/white/changes.csv", None).await.text(),
        format!("\"{vex_path}\",\"2026-12-08T17:00:00Z\"\n\"{path}\",\"2026-12-08T17:00:00Z\"\n")
    );
    // The VEX document for the product validates and is signed too.
    let vex = app.get(&format!("/.well-known/csaf/white/{vex_path}"), None).await;
    assert_eq!(vex.json()["document"]["category"], "csaf_vex");
    assert!(parapet_csaf::validate_str(&vex.text()).unwrap().is_valid());
    let vex_signature = app.get(&format!("/.well-known/csaf/white/{vex_path}.asc"), None).await.text();
    parapet_provider::signing::verify(&key.text(), &vex.body, &vex_signature).unwrap();
    let feed_url = metadata["distributions"][0]["rolie"]["feeds"][0]["url"].as_str().unwrap();
    let feed = app.get(feed_url.strip_prefix("https://psirt.acme.example").unwrap(), None).await.json();
    let entries = feed["feed"]["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let entry = entries.iter().find(|e| e["id"] == id.as_str()).unwrap();
    assert_eq!(entry["content"]["src"], format!("https://psirt.acme.example/.well-known/csaf/white/{path}"));

    // The document validates, and its hashes and signature match its bytes.
    let document = app.get(&format!("/.well-known/csaf/white/{path}"), None).await;
    assert_eq!(document.status, StatusCode::OK);
    let report = parapet_csaf::validate_str(&document.text()).unwrap();
    assert!(report.is_valid(), "{:#?}", report.errors);
    let csaf: Value = document.json();
    assert_eq!(csaf["document"]["tracking"]["current_release_date"], "2026-12-08T17:00:00Z");
    assert_eq!(csaf["document"]["tracking"]["status"], "final");
    let digests = parapet_provider::Digests::of(&document.body);
    let sha256 = app.get(&format!("/.well-known/csaf/white/{path}.sha256"), None).await.text();
    assert_eq!(sha256, format!("{}  psb-2026-001.json\n", digests.sha256));
    let sha512 = app.get(&format!("/.well-known/csaf/white/{path}.sha512"), None).await.text();
    assert_eq!(sha512, format!("{}  psb-2026-001.json\n", digests.sha512));

    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("key.asc"), &key.body).unwrap();
    std::fs::write(home.path().join("psb-2026-001.json"), &document.body).unwrap();
    let signature = app.get(&format!("/.well-known/csaf/white/{path}.asc"), None).await;
    assert_eq!(signature.headers[header::CONTENT_TYPE], "application/pgp-signature");
    std::fs::write(home.path().join("psb-2026-001.json.asc"), &signature.body).unwrap();
    let imported = gpg(home.path(), &["--import", home.path().join("key.asc").to_str().unwrap()]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let verified = gpg(
        home.path(),
        &[
            "--verify",
            home.path().join("psb-2026-001.json.asc").to_str().unwrap(),
            home.path().join("psb-2026-001.json").to_str().unwrap(),
        ],
    );
    let status = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{status}\n{}", String::from_utf8_lossy(&verified.stderr));
    assert!(status.contains(&format!("[GNUPG:] VALIDSIG {fingerprint}")), "{status}");
    // And a changed byte is caught.
    let mut tampered = document.body.clone();
    tampered[10] ^= 1;
    std::fs::write(home.path().join("psb-2026-001.json"), &tampered).unwrap();
    let refused = gpg(
        home.path(),
        &[
            "--verify",
            home.path().join("psb-2026-001.json.asc").to_str().unwrap(),
            home.path().join("psb-2026-001.json").to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());

    // Conditional GET.
    let etag = document.headers[header::ETAG].to_str().unwrap().to_owned();
    let request = axum::http::Request::builder()
        .method(Method::GET)
        .uri(format!("/.well-known/csaf/white/{path}"))
        .header(header::IF_NONE_MATCH, &etag)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::NOT_MODIFIED);
    let last_modified = document.headers[header::LAST_MODIFIED].to_str().unwrap().to_owned();
    assert_eq!(last_modified, "Tue, 08 Dec 2026 17:00:00 GMT");
    let request = axum::http::Request::builder()
        .uri(format!("/.well-known/csaf/white/{path}"))
        .header(header::IF_MODIFIED_SINCE, &last_modified)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::NOT_MODIFIED);

    // The security update guide: list, filters, the document's page, its CVE, its release.
    let guide = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move { app.get(&format!("/security-updates?{query}"), None).await.text() }
    };
    let table = [
        ("", true),
        ("cve=CVE-2026-31001", true),
        ("cve=CVE-2026-9999", false),
        ("product=widget", true),
        ("product=gadget", false),
        ("severity=critical", true),
        ("severity=low", false),
        ("kind=bulletin", true),
        ("kind=advisory", false),
        ("from=2026-12-08&until=2026-12-08", true),
        ("until=2026-12-07", false),
        ("q=heap+overflow+widget", false),
        ("q=widget+server", true),
    ];
    for (query, listed) in table {
        assert_eq!(guide(query).await.contains("/documents/PSB-2026-001"), listed, "{query}");
    }
    let bad = app.get("/security-updates?from=yesterday", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("is not a date"));
    let page = app.get(&format!("/documents/{id}"), None).await.text();
    for needle in [
        "Security update for Widget Server",
        "CVE-2026-31001",
        "Ada Lovelace",
        "Acme Widget Server 2.4.0",
        "Vendor fix",
    ] {
        assert!(page.contains(needle), "{needle} in the document page");
    }
    let osv = app.get(&format!("/documents/{id}/osv.json"), None).await.json();
    assert_eq!(osv[0]["id"], "CVE-2026-31001");
    let cve = app.get(&format!("/documents/{id}/cve.json"), None).await.json();
    assert_eq!(cve[0]["cveMetadata"]["cveId"], "CVE-2026-31001");
    assert!(app.get("/cve/CVE-2026-31001", None).await.text().contains("heap overflow in the request parser"));
    let release = app.get("/releases/2026-12", None).await.text();
    assert!(release.contains(&id) && release.contains("1 CVE"), "{release}");
    assert_eq!(app.get("/releases/2026-13", None).await.status, StatusCode::NOT_FOUND);

    // security.txt points to the provider.
    let security_txt = app.get("/.well-known/security.txt", None).await.text();
    assert!(security_txt.contains("CSAF: https://psirt.acme.example/.well-known/csaf/provider-metadata.json"));

    // Directory listings, and no way out of the folder.
    let listing = app.get("/.well-known/csaf/white/2026/", None).await.text();
    assert!(listing.contains("psb-2026-001.json.asc"), "{listing}");
    for path in [
        "/.well-known/csaf/white/../../../etc/passwd",
        "/.well-known/csaf/white/2026/..%2f..%2fx.json",
        "/.well-known/csaf/amber/index.txt",
    ] {
        assert_eq!(app.get(path, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}
