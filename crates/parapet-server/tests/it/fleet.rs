//! The fleet over HTTP, in process: enrollment secrets and what refuses them, check-ins and what
//! a bad one gets (the field named, the previous inventory intact), replays, revocation, and who
//! may read and change fleet data.

use axum::http::StatusCode;
use parapet_model::Role;
use serde_json::{Value, json};

use crate::TestApp;

fn facts(hostname: &str) -> Value {
    json!({"hostname": hostname, "os": "debian", "os_version": "12", "os_codename": "bookworm", "arch": "amd64",
        "kernel": "6.1.0-18-amd64", "uptime_seconds": 100, "reboot_required": false, "agent_version": "0.1.0"})
}

fn inventory() -> Vec<parapet_model::InstalledPackage> {
    ["bash", "openssl", "zlib1g"]
        .iter()
        .map(|name| parapet_model::InstalledPackage {
            manager: parapet_model::PackageManager::Dpkg,
            name: (*name).into(),
            version: "1.0-1".into(),
            arch: "amd64".into(),
            source: None,
            source_version: None,
        })
        .collect()
}

pub(crate) fn check_in(sequence: u64, inventory: Option<&[parapet_model::InstalledPackage]>) -> Value {
    let packages = self::inventory();
    let digest = parapet_scan::collect::inventory_digest(&packages);
    let mut body = json!({"sequence": sequence, "facts": facts("web-1"), "inventory_digest": digest});
    if let Some(inventory) = inventory {
        body["inventory"] = serde_json::to_value(inventory).unwrap();
    }
    body
}

async fn secret(app: &TestApp, admin: &str, body: Value) -> String {
    let reply = app.post("/api/v1/fleet/enrollment-secrets", Some(admin), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()["secret"].as_str().unwrap().to_owned()
}

async fn enroll(app: &TestApp, secret: &str) -> crate::Reply {
    app.post("/api/v1/agent/enroll", None, json!({"secret": secret, "hostname": "web-1"})).await
}

#[tokio::test]
async fn enrollment_secrets_refuse_what_they_should() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let once = secret(&app, &admin, json!({"name": "once", "max_uses": 1})).await;
    assert_eq!(enroll(&app, &once).await.status, StatusCode::CREATED);
    let again = enroll(&app, &once).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "used up: {}", again.text());
    assert_eq!(enroll(&app, "ppe_forged").await.status, StatusCode::UNAUTHORIZED);

    let revocable = secret(&app, &admin, json!({"name": "revocable"})).await;
    let listed = app.get("/api/v1/fleet/enrollment-secrets", Some(&admin)).await.json();
    assert!(!listed.to_string().contains(&revocable), "the secret is shown once, never listed");
    let id = listed["items"].as_array().unwrap().iter().find(|s| s["name"] == "revocable").unwrap()["id"].clone();
    let revoked = app.post(&format!("/api/v1/fleet/enrollment-secrets/{id}/revoke"), Some(&admin), json!({})).await;
    assert_eq!((revoked.status, revoked.json()["revoked_at"].is_null()), (StatusCode::OK, false));
    assert_eq!(enroll(&app, &revocable).await.status, StatusCode::UNAUTHORIZED);
    let hosts = app.get("/api/v1/fleet/hosts", Some(&admin)).await.json();
    assert_eq!(hosts["total"], 1, "refused enrollments wrote no host: {hosts}");

    let past = app
        .post(
            "/api/v1/fleet/enrollment-secrets",
            Some(&admin),
            json!({"name": "old", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (past.status, past.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_at"))
    );
    let no_group =
        app.post("/api/v1/fleet/enrollment-secrets", Some(&admin), json!({"name": "x", "group": "nope"})).await;
    assert_eq!(no_group.json()["error"]["field"], "group", "{}", no_group.text());
}

#[tokio::test]
async fn bad_check_ins_are_refused_and_change_nothing() {
    let app = TestApp::with(|s| s.fleet.max_check_in_bytes = 64 * 1024).await;
    let admin = app.user("root", Role::Admin).await;
    let secret = secret(&app, &admin, json!({"name": "ci"})).await;
    let enrolled = enroll(&app, &secret).await.json();
    let (host, credential) = (enrolled["host_id"].as_str().unwrap(), enrolled["credential"].as_str().unwrap());
    let packages = inventory();

    let first = app.post("/api/v1/agent/check-in", Some(credential), check_in(1, None)).await;
    assert_eq!(first.json()["wanted"], "full_inventory", "{}", first.text());
    let full = app.post("/api/v1/agent/check-in", Some(credential), check_in(2, Some(&packages))).await;
    assert_eq!((full.status, full.json()["packages"].as_u64()), (StatusCode::OK, Some(3)), "{}", full.text());

    let mut cases: Vec<(Value, StatusCode, &str)> = Vec::new();
    let mut unknown = check_in(3, None);
    unknown["facts"]["colour"] = json!("blue");
    cases.push((unknown, StatusCode::UNPROCESSABLE_ENTITY, "facts.colour"));
    let mut bad_name = check_in(3, Some(&packages));
    bad_name["inventory"][0]["name"] = json!("bad name");
    cases.push((bad_name, StatusCode::UNPROCESSABLE_ENTITY, "inventory.packages"));
    let mut wrong_digest = check_in(3, Some(&packages[..2]));
    wrong_digest["inventory_digest"] = json!(parapet_scan::collect::inventory_digest(&packages));
    cases.push((wrong_digest, StatusCode::UNPROCESSABLE_ENTITY, "inventory_digest"));
    let mut no_hostname = check_in(3, None);
    no_hostname["facts"].as_object_mut().unwrap().remove("hostname");
    cases.push((no_hostname, StatusCode::UNPROCESSABLE_ENTITY, "facts.hostname"));
    let huge: Vec<Value> = (0..2000)
        .map(|i| json!({"manager": "dpkg", "name": format!("package-{i}"), "version": "1.0", "arch": "amd64"}))
        .collect();
    let mut oversize = check_in(3, None);
    oversize["inventory"] = json!(huge);
    cases.push((oversize, StatusCode::PAYLOAD_TOO_LARGE, ""));
    for (body, status, field) in cases {
        let reply = app.post("/api/v1/agent/check-in", Some(credential), body).await;
        assert_eq!(reply.status, status, "{}", reply.text());
        if !field.is_empty() {
            assert_eq!(reply.json()["error"]["field"], field, "{}", reply.text());
        }
    }
    let kept = app.get(&format!("/api/v1/fleet/hosts/{host}"), Some(&admin)).await.json();
    assert_eq!((kept["packages"].as_i64(), kept["sequence"].as_i64()), (Some(3), Some(2)), "{kept}");

    // A replay is refused and flags the host; a forged credential and a staff token are refused.
    let replay = app.post("/api/v1/agent/check-in", Some(credential), check_in(2, None)).await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.text());
    let flagged = app.get(&format!("/api/v1/fleet/hosts/{host}"), Some(&admin)).await.json();
    assert!(!flagged["clone_suspected_at"].is_null(), "{flagged}");
    for token in ["pph_forged", admin.as_str()] {
        let reply = app.post("/api/v1/agent/check-in", Some(token), check_in(9, None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    }
    // The credential opens nothing but the agent routes.
    assert_eq!(app.get("/api/v1/fleet/hosts", Some(credential)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/cases", Some(credential)).await.status, StatusCode::UNAUTHORIZED);
    let config = app.get("/api/v1/agent/config", Some(credential)).await;
    assert_eq!(config.json()["host_id"], host, "{}", config.text());

    // Revoked: refused with 401, and nothing is written.
    let history = app.get(&format!("/api/v1/fleet/hosts/{host}/check-ins"), Some(&admin)).await.json();
    assert_eq!(
        app.post(&format!("/api/v1/fleet/hosts/{host}/revoke"), Some(&admin), json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    let refused = app.post("/api/v1/agent/check-in", Some(credential), check_in(10, None)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text());
    let after = app.get(&format!("/api/v1/fleet/hosts/{host}/check-ins"), Some(&admin)).await.json();
    assert_eq!(after, history);
}

#[tokio::test]
async fn fleet_data_is_for_staff_and_changed_by_admins() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let group = app.post("/api/v1/fleet/groups", Some(&admin), json!({"name": "web", "rule": ["env=prod"]})).await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text());
    let bad_rule = app.post("/api/v1/fleet/groups", Some(&admin), json!({"name": "x", "rule": ["no equals"]})).await;
    assert_eq!(bad_rule.json()["error"]["field"], "rule");
    let reserved = app.post("/api/v1/fleet/groups", Some(&admin), json!({"name": "Unassigned"})).await;
    assert_eq!(reserved.json()["error"]["field"], "name");
    for role in [Role::Analyst, Role::Auditor] {
        let token = app.user(&format!("user-{role}"), role).await;
        assert_eq!(app.get("/api/v1/fleet/hosts", Some(&token)).await.status, StatusCode::OK, "{role} reads");
        assert_eq!(app.get("/api/v1/fleet/groups", Some(&token)).await.status, StatusCode::OK, "{role} reads");
        let create = app.post("/api/v1/fleet/enrollment-secrets", Some(&token), json!({"name": "x"})).await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{role} may not create secrets");
        let group = app.post("/api/v1/fleet/groups", Some(&token), json!({"name": "y"})).await;
        assert_eq!(group.status, StatusCode::FORBIDDEN, "{role} may not create groups");
    }
    let publisher = app.user("publisher", Role::Publisher).await;
    assert_eq!(app.get("/api/v1/fleet/hosts", Some(&publisher)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/fleet/hosts", None).await.status, StatusCode::UNAUTHORIZED);
    let csv = app.get("/api/v1/fleet/hosts?format=csv", Some(&admin)).await;
    assert!(csv.text().starts_with("id,hostname,os"), "{}", csv.text());
    let bad = app.get("/api/v1/fleet/hosts?format=xml", Some(&admin)).await;
    assert_eq!(bad.json()["error"]["field"], "format");
}

/// A host `web-1` in group `web`, whose `openssl 1.0-1` an OSV advisory (`PARAPET-TEST-0001`,
/// alias `CVE-2099-0001`, synced from a local folder) says is fixed in `1.0-2`, which the
/// security suite has: what the console pages and the browser test show. Returns the host's ID.
pub(crate) async fn exposed_host(app: &TestApp, admin: &str) -> String {
    exposed_host_and_credential(app, admin).await.0
}

/// [`exposed_host`], and the host's credential, to check in as its agent.
pub(crate) async fn exposed_host_and_credential(app: &TestApp, admin: &str) -> (String, String) {
    let group = app.post("/api/v1/fleet/groups", Some(admin), json!({"name": "web", "rule": ["role=web"]})).await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text());
    let secret = secret(app, admin, json!({"name": "web hosts", "group": "web"})).await;
    let enrolled = enroll(app, &secret).await.json();
    let (host, credential) = (enrolled["host_id"].as_str().unwrap(), enrolled["credential"].as_str().unwrap());
    let packages = inventory();
    let full = app.post("/api/v1/agent/check-in", Some(credential), check_in(1, Some(&packages))).await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text());

    let folder = tempfile::tempdir().unwrap();
    let record = json!({
        "schema_version": "1.6.0", "id": "PARAPET-TEST-0001", "aliases": ["CVE-2099-0001"],
        "modified": "2026-12-01T00:00:00Z", "summary": "A test advisory about openssl",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-2"}]}]}]
    });
    std::fs::write(folder.path().join("PARAPET-TEST-0001.json"), record.to_string()).unwrap();
    let spec = parapet_catalog::SourceSpec::new(
        "osv-test",
        parapet_catalog::SourceType::Osv,
        folder.path().display().to_string(),
    );
    app.state.store.add_source("test", &spec).await.unwrap();
    let outcome = parapet_sync::sync_source(&app.state.store, "osv-test", &Default::default()).await.unwrap();
    assert_eq!(outcome.error, None);
    // And the fixed package in the security suite, as an apt source would record it.
    offer_update(app, "security", "https://deb.example/debian-security/dists/bookworm-security", "openssl").await;
    assert!(
        parapet_server::fleet::bring_up_to_date(&app.state, "test").await.unwrap(),
        "the fleet was brought up to date"
    );
    (host.to_owned(), credential.to_owned())
}

/// Records version 1.0-2 of a package in a new apt source's suite (the URL's last part), as its
/// sync would.
async fn offer_update(app: &TestApp, source: &str, url: &str, package: &str) {
    offer_version(app, source, url, package, "1.0-2", time::OffsetDateTime::now_utc()).await;
}

/// Records a version of a package, released at `released_at`, in a new apt source's suite (the
/// URL's last part), as its sync would.
pub(crate) async fn offer_version(
    app: &TestApp,
    source: &str,
    url: &str,
    package: &str,
    version: &str,
    released_at: time::OffsetDateTime,
) {
    let spec = parapet_catalog::SourceSpec::new(source, parapet_catalog::SourceType::Apt, url);
    app.state.store.add_source("test", &spec).await.unwrap();
    let lease = app.state.store.lease_source(source, "test", 60_000).await.unwrap().unwrap();
    let update = parapet_catalog::model::Update {
        ecosystem: "Debian:12".into(),
        suite: url.rsplit('/').next().unwrap().to_owned(),
        package: package.into(),
        arch: "amd64".into(),
        version: version.into(),
        source: package.into(),
        source_version: version.into(),
    };
    let batch = parapet_store::CatalogBatch {
        updates: vec![parapet_store::UpdateChange {
            update,
            classification: parapet_catalog::Classification::Security,
            released_at,
            superseded_by: None,
        }],
        ..Default::default()
    };
    app.state.store.apply_batch(&lease, &batch).await.unwrap().unwrap();
}

#[tokio::test]
async fn the_console_shows_hosts_their_needs_and_exposure() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let host = exposed_host(&app, &admin).await;
    app.user("ana", Role::Analyst).await;
    let session = crate::sign_in(&app, "ana", crate::PASSWORD).await.unwrap();
    let get = |uri: String| {
        let (app, session) = (&app, session.clone());
        async move {
            let reply = app.send(crate::page(&uri, &session)).await;
            assert_eq!(reply.status, StatusCode::OK, "GET {uri}: {}", reply.text());
            reply.text()
        }
    };
    let list = get("/console/fleet?needs_security_updates=true&group=web".into()).await;
    assert!(list.contains(&format!("/console/fleet/hosts/{host}")) && list.contains("1 host."), "{list}");
    let none = get("/console/fleet?reboot_required=true".into()).await;
    assert!(none.contains("No host matches."), "{none}");
    let detail = get(format!("/console/fleet/hosts/{host}")).await;
    for shown in
        ["Needed updates (1)", "Vulnerabilities without a fix (0)", "<code>1.0-2</code>", "Check-ins", "Inventory"]
    {
        assert!(detail.contains(shown), "the host page lacks {shown:?}");
    }
    assert!(detail.contains("/console/fleet/advisories/PARAPET-TEST-0001"), "openssl's advisory is linked");
    let exposure = get("/console/fleet/advisories/CVE-2099-0001".into()).await;
    assert!(exposure.contains(r#"<dd id="hosts-now">1</dd>"#), "{exposure}");
    assert!(exposure.contains("<svg") && exposure.contains("<polyline"), "the chart is drawn: {exposure}");
    assert!(!exposure.contains("<script"), "no script needed");
    let package = get("/console/fleet/packages/openssl".into()).await;
    assert!(package.contains("<td>web</td><td>1</td>"), "{package}");
    // Analysts read; they get no forms to change anything.
    let enrollment = get("/console/fleet/enrollment".into()).await;
    assert!(enrollment.contains("web hosts") && !enrollment.contains("Create secret"), "{enrollment}");
    assert!(!detail.contains("Revoke this host"));
    // Not signed in: the console sends the caller to sign in; the fleet is on no public page.
    let anonymous = app.send(crate::page(&format!("/console/fleet/hosts/{host}"), "")).await;
    assert!(!anonymous.text().contains("web-1"), "{}", anonymous.text());
}

/// A product shipped as a Debian package, with one version; returns the publisher's token, the
/// product's and the version's IDs.
async fn debian_product(app: &TestApp) -> (String, i64, i64) {
    let publisher = app.user("pat", Role::Publisher).await;
    let product = app
        .post(
            "/api/v1/products",
            Some(&publisher),
            json!({"vendor": "Acme", "name": "Acme Agent", "purl": "pkg:deb/debian/acme-agent?distro=debian-12"}),
        )
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.text());
    let product_id = product.json()["id"].as_i64().unwrap();
    let version = app
        .post(
            &format!("/api/v1/products/{product_id}/versions"),
            Some(&publisher),
            json!({"version": "1.0-1", "purl": "pkg:deb/debian/acme-agent@1.0-1?distro=debian-12"}),
        )
        .await;
    assert_eq!(version.status, StatusCode::CREATED, "{}", version.text());
    (publisher, product_id, version.json()["id"].as_i64().unwrap())
}

/// Creates and publishes a bulletin fixing the product in 1.0-2 under a TLP label; its ID.
async fn publish_fix(app: &TestApp, publisher: &str, product: (i64, i64), cve: &str, tlp: &str) -> String {
    let (product_id, version_id) = product;
    let created = app
        .post(
            "/api/v1/documents",
            Some(publisher),
            json!({
                "kind": "bulletin",
                "title": format!("Security update for Acme Agent ({cve})"),
                "summary": "This update fixes a flaw that lets a local user read other users' files.",
                "tlp": tlp,
                "products": [product_id],
                "vulnerabilities": [{
                    "cve": cve, "title": "Acme Agent reads files it should not",
                    "description": "A symlink in the spool folder is followed.",
                    "cvss_v31": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
                    "affected": [version_id]
                }],
                "updates": [{"product_id": product_id, "branch": null, "fixed_version": "1.0-2", "purl": null,
                             "url": "https://acme.example/download", "restart_required": false}]
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let published = app.post(&format!("/api/v1/documents/{id}/publish"), Some(publisher), json!({})).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text());
    id
}

async fn sync_published(app: &TestApp) -> parapet_store::SyncCounts {
    let outcome =
        parapet_sync::sync_source(&app.state.store, parapet_server::catalog::PUBLISHED_SOURCE, &Default::default())
            .await
            .unwrap();
    assert_eq!(outcome.error, None, "{:?}", outcome.rejections);
    assert!(parapet_server::fleet::bring_up_to_date(&app.state, "test").await.unwrap());
    outcome.counts
}

/// What this server publishes is a catalog source like any provider: a public bulletin for a
/// Debian package reaches the hosts that have the package (as a vulnerability until a suite
/// offers the fix, then as the update that fixes it), a TLP:AMBER one stays out, and a
/// withdrawal takes it back.
#[tokio::test]
async fn own_published_bulletins_reach_the_hosts_that_need_them() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    parapet_server::catalog::ensure_published_source(&app.state).await;
    parapet_server::catalog::ensure_published_source(&app.state).await;
    let sources = app.state.store.sources().await.unwrap();
    assert_eq!(sources.iter().filter(|s| s.spec.kind == parapet_catalog::SourceType::Published).count(), 1);

    let secret = secret(&app, &admin, json!({"name": "hosts"})).await;
    let enrolled = enroll(&app, &secret).await.json();
    let (host, credential) = (enrolled["host_id"].as_str().unwrap(), enrolled["credential"].as_str().unwrap());
    let mut packages = inventory();
    packages.push(parapet_model::InstalledPackage {
        manager: parapet_model::PackageManager::Dpkg,
        name: "acme-agent".into(),
        version: "1.0-1".into(),
        arch: "amd64".into(),
        source: None,
        source_version: None,
    });
    let digest = parapet_scan::collect::inventory_digest(&packages);
    let body = json!({"sequence": 1, "facts": facts("web-1"), "inventory_digest": digest, "inventory": packages});
    let full = app.post("/api/v1/agent/check-in", Some(credential), body).await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text());

    let (publisher, product_id, version_id) = debian_product(&app).await;
    let public = publish_fix(&app, &publisher, (product_id, version_id), "CVE-2099-1001", "WHITE").await;
    let restricted = publish_fix(&app, &publisher, (product_id, version_id), "CVE-2099-1002", "AMBER").await;
    let counts = sync_published(&app).await;
    assert_eq!((counts.new, counts.rejected), (1, 0), "the public bulletin only");

    let anonymous_catalog = app.get(&format!("/api/v1/catalog/advisories/{restricted}"), None).await;
    assert_eq!(anonymous_catalog.status, StatusCode::NOT_FOUND);
    let staff_catalog = app.get("/api/v1/catalog/advisories?q=CVE-2099-1002", Some(&admin)).await.json();
    assert_eq!(staff_catalog["total"], 0, "{staff_catalog:#}");

    let needs = app.get(&format!("/api/v1/fleet/hosts/{host}/updates"), Some(&admin)).await.json();
    let text = needs.to_string();
    assert!(text.contains(&public) && text.contains("CVE-2099-1001"), "{needs:#}");
    assert!(!text.contains(&restricted) && !text.contains("CVE-2099-1002"), "{needs:#}");
    assert_eq!(needs["vulnerable"][0]["findings"][0]["fixed"], "1.0-2", "{needs:#}");
    let exposure = app.get(&format!("/api/v1/fleet/advisories/{public}/exposure"), Some(&admin)).await.json();
    assert_eq!(exposure["hosts_now"], 1, "{exposure:#}");

    // Nothing changed: nothing is read again.
    let again = sync_published(&app).await;
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 1));

    // The vendor's apt repository offers the fix: it is the update the host needs, and the
    // bulletin is among what it fixes.
    offer_update(&app, "acme-apt", "https://apt.acme.example/dists/bookworm", "acme-agent").await;
    assert!(parapet_server::fleet::bring_up_to_date(&app.state, "test").await.unwrap());
    let needs = app.get(&format!("/api/v1/fleet/hosts/{host}/updates"), Some(&admin)).await.json();
    assert_eq!(needs["vulnerable"], json!([]), "{needs:#}");
    let update = &needs["updates"][0];
    assert_eq!((&update["name"], &update["update_version"]), (&json!("acme-agent"), &json!("1.0-2")), "{needs:#}");
    assert_eq!(update["findings"][0]["ids"], json!(["PSB-2026-001", "CVE-2099-1001"]), "{needs:#}");

    // Withdrawn, the bulletin no longer says the host is affected.
    let withdrawn = app
        .post(&format!("/api/v1/documents/{public}/withdraw"), Some(&publisher), json!({"reason": "Issued in error."}))
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    let published = app.post(&format!("/api/v1/documents/{public}/publish"), Some(&publisher), json!({})).await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text());
    sync_published(&app).await;
    let exposure = app.get(&format!("/api/v1/fleet/advisories/{public}/exposure"), Some(&admin)).await.json();
    assert_eq!(exposure["hosts_now"], 0, "{exposure:#}");
}
