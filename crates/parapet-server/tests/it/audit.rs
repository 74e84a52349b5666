//! The audit log can be filtered by every kind of thing it records: each entity kind gets at
//! least one entry through the application, then the API and the console find it by its kind.

use axum::http::StatusCode;
use parapet_model::{Entity, Role};
use parapet_server::releases::ManualClock;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use time::macros::datetime;

use crate::{PASSWORD, TestApp, page, sign_in};

#[tokio::test]
async fn the_audit_filter_finds_entries_of_every_entity_kind() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::with(|s| s.notifications.allow_internal_targets = true).await.on_clock(clock.clone());
    let admin = app.user("root", Role::Admin).await;

    // Each kind, made the way users make it. A bulletin scheduled for the release brings a
    // product, its vendor, a case, the signing key and the advance notice.
    let (publisher, _, document) = crate::publishing::draft_bulletin(&app).await;
    let scheduled = app
        .post(&format!("/api/v1/documents/{document}/schedule"), Some(&publisher), json!({"at": "next_release"}))
        .await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text());
    clock.set(datetime!(2026-12-03 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    clock.set(datetime!(2026-12-08 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    let user = json!({"name": "newcomer", "role": "auditor", "password": PASSWORD});
    assert_eq!(app.post("/api/v1/users", Some(&admin), user).await.status, StatusCode::CREATED);
    assert_eq!(app.post("/api/v1/tokens", Some(&admin), json!({"name": "ci"})).await.status, StatusCode::CREATED);
    let source = json!({"name": "pypi", "kind": "osv", "url": "https://osv.example/PyPI/all.zip"});
    assert_eq!(app.post("/api/v1/sources", Some(&admin), source).await.status, StatusCode::CREATED);
    let briefing = json!({"title": "Release webcast", "starts_at": "2026-12-10T18:00:00Z", "join_url": "https://meet.example.com/x"});
    assert_eq!(app.post("/api/v1/briefings", Some(&publisher), briefing).await.status, StatusCode::CREATED);
    // A post delivered to a webhook that fails for good, then sent again.
    let hook = app.post("/api/v1/webhooks", Some(&publisher), json!({"url": "http://127.0.0.1:9/hook"})).await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text());
    let dead = app.dead_delivery(&publisher).await;
    let redelivered = app.post(&format!("/api/v1/deliveries/{}/redeliver", dead.id), Some(&publisher), json!({})).await;
    assert!(redelivered.status.is_success(), "{}", redelivered.text());

    // The fleet: a group, an enrollment secret for it, a host enrolled with it and revoked.
    assert_eq!(
        app.post("/api/v1/fleet/groups", Some(&admin), json!({"name": "web"})).await.status,
        StatusCode::CREATED
    );
    let secret =
        app.post("/api/v1/fleet/enrollment-secrets", Some(&admin), json!({"name": "web", "group": "web"})).await;
    assert_eq!(secret.status, StatusCode::CREATED, "{}", secret.text());
    let enroll = json!({"secret": secret.json()["secret"], "hostname": "web-1"});
    let enrolled = app.post("/api/v1/agent/enroll", None, enroll).await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{}", enrolled.text());
    let host = enrolled.json()["host_id"].as_str().unwrap().to_owned();
    let revoked = app.post(&format!("/api/v1/fleet/hosts/{host}/revoke"), Some(&admin), json!({})).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text());
    // Rollouts: a ring, a rule, an approval, and the job it made, cancelled.
    assert_eq!(app.post("/api/v1/fleet/groups", Some(&admin), json!({"name": "db"})).await.status, StatusCode::CREATED);
    let ring =
        json!({"name": "staged", "stages": ["web", "db"], "promotion_delay_hours": 1, "failure_budget_percent": 5});
    assert_eq!(app.post("/api/v1/fleet/rings", Some(&admin), ring).await.status, StatusCode::CREATED);
    let rule = json!({"name": "security", "ring": "staged", "criteria": {"classifications": ["security"]}});
    assert_eq!(app.post("/api/v1/fleet/rules", Some(&admin), rule).await.status, StatusCode::CREATED);
    let enroll = json!({"secret": secret.json()["secret"], "hostname": "web-2"});
    let credential =
        app.post("/api/v1/agent/enroll", None, enroll).await.json()["credential"].as_str().unwrap().to_owned();
    let widget = vec![parapet_model::InstalledPackage {
        manager: parapet_model::PackageManager::Dpkg,
        name: "widget".into(),
        version: "1.0".into(),
        arch: "amd64".into(),
        source: None,
        source_version: None,
    }];
    let facts = json!({"hostname": "web-2", "os": "debian", "os_version": "12", "arch": "amd64", "kernel": "6.1.0",
        "uptime_seconds": 1, "reboot_required": false, "agent_version": "0.1.0"});
    let digest = parapet_scan::collect::inventory_digest(&widget);
    let check_in =
        |sequence: u64| json!({"sequence": sequence, "facts": facts, "inventory_digest": digest, "inventory": widget});
    assert_eq!(app.post("/api/v1/agent/check-in", Some(&credential), check_in(1)).await.status, StatusCode::OK);
    let approval = json!({"package": "widget", "version": "1.1", "ecosystem": "Debian:12", "groups": ["web"], "action": "install"});
    assert_eq!(app.post("/api/v1/fleet/approvals", Some(&admin), approval).await.status, StatusCode::OK);
    let answer = app.post("/api/v1/agent/check-in", Some(&credential), check_in(2)).await.json();
    let job = answer["jobs"][0]["id"].as_i64().unwrap_or_else(|| panic!("no job: {answer}"));
    let cancelled = app.post(&format!("/api/v1/fleet/jobs/{job}/cancel"), Some(&admin), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());

    let pack = json!({"format": "parapet-malware-pack/1", "version": "2026.12", "released": "2026-12-08",
        "families": [{"name": "Test.Eicar", "severity": "low", "description": "EICAR",
            "yara": [{"file": "eicar.yar", "source": "rule eicar { strings: $e = \"EICAR\" condition: $e }"}]}]});
    let uploaded = app.post("/api/v1/malware/packs", Some(&admin), pack).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());

    // The API finds each kind by its name, and only entries of that kind.
    let mut found = BTreeMap::new();
    for entity in Entity::ALL {
        let reply = app.get(&format!("/api/v1/audit?entity={entity}&per_page=1000"), Some(&admin)).await;
        assert_eq!(reply.status, StatusCode::OK, "{entity}: {}", reply.text());
        let items = reply.json()["items"].as_array().unwrap().clone();
        assert!(items.iter().all(|e| e["entity"] == entity.as_str()), "{entity}: {items:?}");
        found.insert(entity.as_str(), items.len());
    }
    let missing: Vec<_> = found.iter().filter(|(_, n)| **n == 0).map(|(e, _)| *e).collect();
    assert!(missing.is_empty(), "no entry of {missing:?} to filter by (add a way to make one above): {found:?}");
    let all = app.get("/api/v1/audit?per_page=1000", Some(&admin)).await.json();
    assert_eq!(
        all["total"].as_u64().unwrap() as usize,
        found.values().sum::<usize>(),
        "every entry has one of the kinds"
    );

    let unknown = app.get("/api/v1/audit?entity=cases", Some(&admin)).await;
    assert_eq!(
        (unknown.status, unknown.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("entity"))
    );

    // The console offers every kind and filters by it.
    let session = sign_in(&app, "root", PASSWORD).await.unwrap();
    let audit = app.send(page("/audit", &session)).await.text();
    for entity in Entity::ALL {
        assert!(audit.contains(&format!("<option value=\"{entity}\"")), "{entity} is not offered");
    }
    let briefings = app.send(page("/audit?entity=briefing", &session)).await.text();
    assert!(briefings.contains("briefing.create") && !briefings.contains("case.create"), "{briefings}");
    assert!(briefings.contains("<option value=\"briefing\" selected>"), "the filter stays chosen");
}
