//! Rollouts in process, on a clock the tests move: approvals per group and what supersedes or
//! declines them, maintenance windows and deadlines, auto-approval rules with a deferral, rings
//! that promote after their delay or stop when too many installs fail, and the jobs agents get
//! at their check-ins and report on.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use parapet_model::{InstalledPackage, Role};
use parapet_server::releases::ManualClock;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::TestApp;

/// An agent as the server sees one: a credential, its sequence, its packages.
struct Agent {
    id: String,
    credential: String,
    sequence: u64,
    packages: Vec<InstalledPackage>,
    sent_digest: Option<String>,
}

fn package(name: &str, version: &str) -> InstalledPackage {
    InstalledPackage::dpkg(name, version, "amd64")
}

impl Agent {
    async fn enroll(app: &TestApp, secret: &str, hostname: &str, packages: &[(&str, &str)]) -> Agent {
        let reply = app.post("/api/v1/agent/enroll", None, json!({"secret": secret, "hostname": hostname})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        let enrolled = reply.json();
        let mut agent = Agent {
            id: enrolled["host_id"].as_str().unwrap().to_owned(),
            credential: enrolled["credential"].as_str().unwrap().to_owned(),
            sequence: 0,
            packages: packages.iter().map(|(n, v)| package(n, v)).collect(),
            sent_digest: None,
        };
        agent.check_in(app).await;
        agent
    }

    /// One check-in, with the inventory when it changed; the jobs the answer carries.
    async fn check_in(&mut self, app: &TestApp) -> Vec<Value> {
        self.sequence += 1;
        let digest = parapet_scan::collect::inventory_digest(&self.packages);
        let mut body = json!({"sequence": self.sequence, "inventory_digest": digest, "facts": {
            "hostname": "h", "os": "debian", "os_version": "12", "os_codename": "bookworm", "arch": "amd64",
            "kernel": "6.1.0-18-amd64", "uptime_seconds": 100, "reboot_required": false, "agent_version": "0.1.0"}});
        if self.sent_digest.as_deref() != Some(digest.as_str()) {
            body["inventory"] = serde_json::to_value(&self.packages).unwrap();
        }
        let reply = app.post("/api/v1/agent/check-in", Some(&self.credential), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        self.sent_digest = Some(digest);
        reply.json()["jobs"].as_array().cloned().unwrap_or_default()
    }

    /// Reports a job: the packages that reached their versions moved, the others did not.
    async fn report(&mut self, app: &TestApp, job: &Value, succeed: bool) -> Value {
        let mut changes = Vec::new();
        for wanted in job["packages"].as_array().unwrap() {
            let name = wanted["name"].as_str().unwrap();
            let installed = self.packages.iter_mut().find(|p| p.name == name).unwrap();
            let before = installed.version.clone();
            if succeed {
                installed.version = wanted["version"].as_str().unwrap().to_owned();
            }
            changes.push(json!({"name": name, "arch": "amd64", "before": before, "after": installed.version}));
        }
        let report = json!({
            "outcome": if succeed { "succeeded" } else { "failed" },
            "message": if succeed { "installed" } else { "dpkg: error processing package (--configure)" },
            "changes": changes,
            "log": "Setting up ...",
            "started_at": "2026-12-04T12:00:00Z",
            "finished_at": "2026-12-04T12:01:00Z",
        });
        let id = job["id"].as_i64().unwrap();
        let reply = app.post(&format!("/api/v1/agent/jobs/{id}/report"), Some(&self.credential), report).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()
    }

    fn version(&self, name: &str) -> &str {
        &self.packages.iter().find(|p| p.name == name).unwrap().version
    }
}

/// The packages and versions of the install jobs in a check-in's answer.
fn installs(jobs: &[Value]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = jobs
        .iter()
        .filter(|j| j["kind"] == "install")
        .flat_map(|j| j["packages"].as_array().unwrap().clone())
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["version"].as_str().unwrap().to_owned()))
        .collect();
    list.sort();
    list
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

async fn group_with_secret(app: &TestApp, admin: &str, name: &str) -> String {
    let made = app.post("/api/v1/fleet/groups", Some(admin), json!({"name": name})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let secret = app.post("/api/v1/fleet/enrollment-secrets", Some(admin), json!({"name": name, "group": name})).await;
    secret.json()["secret"].as_str().unwrap().to_owned()
}

async fn set_rollout(app: &TestApp, admin: &str, group: &str, body: Value) {
    let reply = app.call(Method::PUT, &format!("/api/v1/fleet/groups/{group}/rollout"), Some(admin), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

async fn approve(app: &TestApp, admin: &str, body: Value) -> Value {
    let reply = app.post("/api/v1/fleet/approvals", Some(admin), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

fn version_approval(version: &str, groups: &[&str], action: &str) -> Value {
    json!({"package": "widget", "version": version, "ecosystem": "Debian:12", "groups": groups, "action": action})
}

/// The ID of the one update of a package.
async fn updates_of(app: &TestApp, admin: &str, package: &str) -> i64 {
    let updates = app.get(&format!("/api/v1/fleet/updates?q={package}"), Some(admin)).await.json();
    assert_eq!(updates["total"], 1, "{updates}");
    updates["items"][0]["id"].as_i64().unwrap()
}

/// Friday 2026-12-04, noon UTC.
const FRIDAY_NOON: OffsetDateTime = datetime!(2026-12-04 12:00 UTC);

#[tokio::test]
async fn windows_deadlines_supersedence_and_declines_decide_what_a_host_installs() {
    let clock = Arc::new(ManualClock::new(FRIDAY_NOON));
    let app = TestApp::new().await.on_clock(clock.clone());
    let admin = app.user("root", Role::Admin).await;
    let pilot = group_with_secret(&app, &admin, "pilot").await;
    let broad = group_with_secret(&app, &admin, "broad").await;
    let mut p1 = Agent::enroll(&app, &pilot, "p1", &[("widget", "1.0"), ("bash", "5.2")]).await;
    let mut b1 = Agent::enroll(&app, &broad, "b1", &[("widget", "1.0")]).await;
    let mut b2 = Agent::enroll(&app, &broad, "b2", &[("widget", "1.0")]).await;
    set_rollout(&app, &admin, "pilot", json!({"windows": "UTC; sat 02:00-06:00", "reboot": "never"})).await;

    // Approved for the pilot, whose window is closed on Friday: nothing yet, for anyone.
    let approved = approve(&app, &admin, version_approval("1.1", &["pilot"], "install")).await;
    assert_eq!(approved["changed"], 1, "{approved}");
    assert_eq!(installs(&p1.check_in(&app).await), pairs(&[]));
    assert_eq!(installs(&b1.check_in(&app).await), pairs(&[]), "not approved for broad");

    // Saturday 02:30: the window is open; the job is given again until its report comes.
    clock.set(datetime!(2026-12-05 02:30 UTC));
    let jobs = p1.check_in(&app).await;
    assert_eq!(installs(&jobs), pairs(&[("widget", "1.1")]));
    let again = p1.check_in(&app).await;
    assert_eq!(again[0]["id"], jobs[0]["id"], "the same job until it is reported");
    assert_eq!(p1.report(&app, &jobs[0], true).await["recorded"], true);
    let twice = p1.report(&app, &jobs[0], true).await;
    assert_eq!((twice["recorded"].clone(), twice["state"].clone()), (json!(false), json!("succeeded")), "once");
    assert_eq!(installs(&p1.check_in(&app).await), pairs(&[]), "at 1.1 now: {:?}", p1.version("widget"));

    // Supersedence: 1.1 and 1.2 approved for broad: the newest, never the older one.
    approve(&app, &admin, version_approval("1.1", &["broad"], "install")).await;
    approve(&app, &admin, version_approval("1.2", &["broad"], "install")).await;
    let jobs = b1.check_in(&app).await;
    assert_eq!(installs(&jobs), pairs(&[("widget", "1.2")]));
    b1.report(&app, &jobs[0], true).await;
    assert_eq!(installs(&b1.check_in(&app).await), pairs(&[]), "1.1 never moves it back from 1.2");

    // Declined for broad: b2 gets 1.1, the newest approved and not declined.
    approve(&app, &admin, version_approval("1.2", &["broad"], "decline")).await;
    let jobs = b2.check_in(&app).await;
    assert_eq!(installs(&jobs), pairs(&[("widget", "1.1")]));
    b2.report(&app, &jobs[0], false).await;
    // A failed install is planned again at the next check-in: the approval still stands.
    let retried = b2.check_in(&app).await;
    assert_eq!(installs(&retried), pairs(&[("widget", "1.1")]));
    assert_ne!(retried[0]["id"], jobs[0]["id"], "a new job");
    let cancelled = app.post(&format!("/api/v1/fleet/jobs/{}/cancel", retried[0]["id"]), Some(&admin), json!({})).await;
    assert_eq!(cancelled.json()["state"], "cancelled", "{}", cancelled.text());

    // A deadline opens a closed window: broad's is on Sundays only.
    set_rollout(&app, &admin, "broad", json!({"windows": "UTC; sun 02:00-03:00"})).await;
    approve(
        &app,
        &admin,
        json!({"package": "bash", "version": "5.3", "ecosystem": "Debian:12", "groups": ["pilot"],
        "action": "install", "deadline": "2026-12-05T08:00:00Z"}),
    )
    .await;
    clock.set(datetime!(2026-12-05 07:00 UTC));
    assert_eq!(installs(&p1.check_in(&app).await), pairs(&[]), "Saturday 07:00: the window closed at 06:00");
    clock.set(datetime!(2026-12-05 08:00 UTC));
    let jobs = p1.check_in(&app).await;
    assert_eq!(installs(&jobs), pairs(&[("bash", "5.3")]), "the deadline has passed");

    // The host's job history, and the update's, read from the API.
    let history = app.get(&format!("/api/v1/fleet/hosts/{}/jobs", p1.id), Some(&admin)).await.json();
    let states: Vec<&str> = history["items"].as_array().unwrap().iter().map(|j| j["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["sent", "succeeded"], "{history}");
    let updates = app.get("/api/v1/fleet/updates?q=widget", Some(&admin)).await.json();
    assert_eq!(updates["total"], 2, "{updates}");

    // Bad input: each names what is wrong.
    let cases = [
        (
            json!({"package": "widget", "version": "1.3", "ecosystem": "Debian:12", "groups": ["nope"], "action": "install"}),
            "groups",
        ),
        (
            json!({"package": "widget", "version": "1.3", "ecosystem": "Debian:12", "groups": ["pilot"], "action": "maybe"}),
            "action",
        ),
        (
            json!({"package": "widget", "version": "1 3", "ecosystem": "Debian:12", "groups": ["pilot"], "action": "install"}),
            "version",
        ),
        (
            json!({"package": "widget", "version": "1.3", "ecosystem": "Debian:12", "groups": ["pilot"], "action": "decline",
            "deadline": "2026-12-06T00:00:00Z"}),
            "deadline",
        ),
        (json!({"advisory": "CVE-2099-9999", "groups": ["pilot"], "action": "install"}), "advisory"),
        (json!({"groups": ["pilot"], "action": "install"}), "updates"),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/v1/fleet/approvals", Some(&admin), body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.text());
        assert_eq!(reply.json()["error"]["field"], field, "{body}: {}", reply.text());
    }
    for (windows, why) in [("Mars/Olympus; sat 02:00-03:00", "not a time zone"), ("UTC; sat 2-3", "not HH:MM")] {
        let reply = app
            .call(Method::PUT, "/api/v1/fleet/groups/pilot/rollout", Some(&admin), Some(json!({"windows": windows})))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
        assert!(reply.text().contains(why), "{windows}: {}", reply.text());
    }
    let analyst = app.user("ana", Role::Analyst).await;
    let refused =
        app.post("/api/v1/fleet/approvals", Some(&analyst), version_approval("1.3", &["pilot"], "install")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rules_defer_and_rings_promote_or_stop_at_their_failure_budget() {
    let clock = Arc::new(ManualClock::new(FRIDAY_NOON));
    let app = TestApp::new().await.on_clock(clock.clone());
    let admin = app.user("root", Role::Admin).await;
    let pilot = group_with_secret(&app, &admin, "pilot").await;
    let broad = group_with_secret(&app, &admin, "broad").await;
    let mut pilots = Vec::new();
    for name in ["p1", "p2"] {
        pilots.push(Agent::enroll(&app, &pilot, name, &[("widget", "1.0-1"), ("gadget", "1.0-1")]).await);
    }
    let mut b1 = Agent::enroll(&app, &broad, "b1", &[("widget", "1.0-1"), ("gadget", "1.0-1")]).await;
    let ring = json!({"name": "staged", "stages": ["pilot", "broad"], "promotion_delay_hours": 24,
        "failure_budget_percent": 10});
    let made = app.post("/api/v1/fleet/rings", Some(&admin), ring).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let rule = json!({"name": "security after 2 days", "ring": "staged",
        "criteria": {"classifications": ["security"], "delay_days": 2}});
    let made = app.post("/api/v1/fleet/rules", Some(&admin), rule).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());

    // Two security updates released Friday noon, as the suite's sync records them.
    let url = "https://deb.example/debian-security/dists/bookworm-security";
    crate::fleet::offer_version(&app, "security", url, "widget", "1.0-2", FRIDAY_NOON).await;
    let gadget_url = "https://deb.example/other/dists/bookworm-security";
    crate::fleet::offer_version(&app, "security-2", gadget_url, "gadget", "1.0-2", FRIDAY_NOON).await;
    let pass = || async { assert!(parapet_server::fleet::bring_up_to_date(&app.state, "test").await.unwrap()) };
    pass().await;
    let updates = app.get("/api/v1/fleet/updates", Some(&admin)).await.json();
    assert_eq!(updates["total"], 2, "the fleet needs both: {updates}");
    assert!(updates["items"].as_array().unwrap().iter().all(|u| u["approvals"] == json!([])), "deferred: {updates}");
    assert_eq!(installs(&pilots[0].check_in(&app).await), pairs(&[]));

    // Two days later the rule approves both for the ring's first stage, and says so.
    clock.set(datetime!(2026-12-06 12:00 UTC));
    pass().await;
    let updates = app.get("/api/v1/fleet/updates", Some(&admin)).await.json();
    for update in updates["items"].as_array().unwrap() {
        let approvals = update["approvals"].as_array().unwrap();
        assert_eq!(approvals.len(), 1, "{update}");
        assert_eq!(
            (approvals[0]["group"].as_str(), approvals[0]["rule"].as_str(), approvals[0]["ring"].as_str()),
            (Some("pilot"), Some("security after 2 days"), Some("staged"))
        );
    }
    assert_eq!(installs(&b1.check_in(&app).await), pairs(&[]), "the broad ring waits");

    // The pilots install: widget works on both, gadget fails on one (50% > 10%).
    for (i, agent) in pilots.iter_mut().enumerate() {
        let jobs = agent.check_in(&app).await;
        assert_eq!(installs(&jobs), pairs(&[("gadget", "1.0-2"), ("widget", "1.0-2")]), "{jobs:?}");
        let widget_only = json!({"id": jobs[0]["id"], "packages": jobs[0]["packages"].as_array().unwrap().iter()
            .filter(|p| p["name"] == "widget" || i == 0).cloned().collect::<Vec<_>>()});
        agent.report(&app, &widget_only, true).await;
    }
    // Within the promotion delay: nothing moves.
    clock.set(datetime!(2026-12-07 11:59 UTC));
    pass().await;
    assert_eq!(installs(&b1.check_in(&app).await), pairs(&[]));
    // After it: widget moves on to broad; gadget stops, and the staff hear why.
    clock.set(datetime!(2026-12-07 12:00 UTC));
    pass().await;
    let progress = app.get("/api/v1/fleet/ring-progress", Some(&admin)).await.json();
    let state_of = |package: &str| {
        progress["items"].as_array().unwrap().iter().find(|p| p["package"] == package).cloned().unwrap()
    };
    assert_eq!(
        (state_of("widget")["state"].clone(), state_of("widget")["group"].clone()),
        (json!("done"), json!("broad"))
    );
    let gadget = state_of("gadget");
    assert_eq!(gadget["state"], "stopped", "{gadget}");
    assert_eq!(
        gadget["reason"],
        "stopped at pilot: 1 of 2 installs failed (50%), more than the ring's failure budget of 10%"
    );
    let outbox = app.state.store.outbox_messages(10).await.unwrap();
    assert!(outbox.iter().any(|m| m.kind == "fleet.ring_stopped"), "{outbox:?}");
    assert_eq!(installs(&b1.check_in(&app).await), pairs(&[("widget", "1.0-2")]), "gadget stays out of broad");

    // The console says the same.
    let session = crate::sign_in(&app, "root", crate::PASSWORD).await.unwrap();
    let rollouts = app.send(crate::page("/console/fleet/rollouts", &session)).await;
    assert_eq!(rollouts.status, StatusCode::OK, "{}", rollouts.text());
    let text = rollouts.text();
    assert!(
        text.contains("pilot → broad") && text.contains("more than the ring&#x27;s failure budget of 10%"),
        "{text}"
    );
    assert!(text.contains("security after 2 days") && text.contains("security; after 2 days"), "{text}");
    let updates = app.send(crate::page("/console/fleet/updates?q=gadget", &session)).await.text();
    assert!(updates.contains("gadget") && updates.contains("ring:staged"), "{updates}");
    let widget = updates_of(&app, &admin, "widget").await;
    let page = app.send(crate::page(&format!("/console/fleet/updates/{widget}"), &session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    assert!(
        text.contains("id=\"update-jobs\"") && text.contains("widget 1.0-1 → 1.0-2") && text.contains("ring:staged"),
        "{text}"
    );
    let host = app.send(crate::page(&format!("/console/fleet/hosts/{}", pilots[0].id), &session)).await.text();
    assert!(host.contains("id=\"job-history\"") && host.contains("widget 1.0-1 → 1.0-2"), "{host}");
}
