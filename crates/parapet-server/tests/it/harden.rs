//! Security configuration on the fleet, in process: a group's policy (what a bad one gets, who
//! may set it), the job a host of the group is given at its check-in and given once, the
//! host's report of its drift on its page and in the API, and "Apply again".

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parapet_model::Role;
use serde_json::json;

use crate::fleet::{check_in, exposed_host_and_credential};
use crate::{PASSWORD, Reply, TestApp, csrf_field, page, sign_in};

const POLICY: &str =
    "# web servers, SSH for the admins\nversion = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.9.0.0/24\"]\n";

async fn put_policy(app: &TestApp, token: &str, group: &str, text: &str) -> Reply {
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/fleet/groups/{group}/harden-policy"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/toml")
        .body(Body::from(text.to_owned()))
        .unwrap();
    app.send(request).await
}

fn jobs_of(reply: &Reply) -> Vec<serde_json::Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["jobs"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_groups_policy_is_given_once_and_drift_is_shown() {
    let app = TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let (host, credential) = exposed_host_and_credential(&app, &admin).await;

    // Bad policies are refused naming what is wrong; nothing is stored.
    let cases = [
        ("", "is empty"),
        ("version = 1\nroles = [\"gopher\"]\n", "gopher"),
        ("version = 1\nroles = [\"ssh\"]\nadmin_networks = [\"10.0.0.300/8\"]\n", "admin_networks"),
        ("roles = [", "not a policy"),
    ];
    for (text, says) in cases {
        let reply = put_policy(&app, &admin, "web", text).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{text:?}: {}", reply.text());
        let error = &reply.json()["error"];
        assert_eq!(error["field"], "policy", "{text:?}");
        assert!(error["message"].as_str().unwrap().contains(says), "{text:?}: {error}");
    }
    assert_eq!(app.get("/api/v1/fleet/groups/web/harden-policy", Some(&admin)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(put_policy(&app, &admin, "nowhere", POLICY).await.status, StatusCode::NOT_FOUND);
    let analyst = app.user("analyst", Role::Analyst).await;
    assert_eq!(put_policy(&app, &analyst, "web", POLICY).await.status, StatusCode::FORBIDDEN);

    let set = put_policy(&app, &admin, "web", POLICY).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text());
    let digest = set.json()["digest"].as_str().unwrap().to_owned();
    let book = parapet_harden::RoleBook::builtin();
    let canonical = parapet_harden::Policy::read(POLICY, &book).unwrap();
    assert_eq!(digest, canonical.digest());
    let stored = app.get("/api/v1/fleet/groups/web/harden-policy", Some(&analyst)).await.json();
    assert_eq!(stored["policy"], POLICY, "the text is kept as given, comments and all");

    // The next check-in gives the job, with the policy in canonical form; and again until reported.
    let jobs = jobs_of(&app.post("/api/v1/agent/check-in", Some(&credential), check_in(2, None)).await);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["kind"], "harden_apply");
    assert_eq!(jobs[0]["digest"], digest.as_str());
    assert_eq!(jobs[0]["policy"], canonical.to_toml().as_str());
    assert_eq!(jobs[0]["confirm_within_s"], 120);
    let job = jobs[0]["id"].as_i64().unwrap();
    let harden = app.get(&format!("/api/v1/fleet/hosts/{host}/harden"), Some(&admin)).await.json();
    assert_eq!(harden["state"], "applying", "{harden}");
    let again = jobs_of(&app.post("/api/v1/agent/check-in", Some(&credential), check_in(3, None)).await);
    assert_eq!(again.iter().map(|j| j["id"].as_i64()).collect::<Vec<_>>(), vec![Some(job)]);

    // The report, then a check-in saying the policy runs and how the host drifted.
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let report =
        json!({"outcome": "succeeded", "message": "policy applied and kept", "started_at": now, "finished_at": now});
    let reported = app.post(&format!("/api/v1/agent/jobs/{job}/report"), Some(&credential), report).await;
    assert_eq!(reported.status, StatusCode::OK, "{}", reported.text());
    let mut body = check_in(4, None);
    body["harden"] = json!({"policy_digest": digest, "snapshot": "20261207-230000-1", "pending": false,
        "drift": [{"kind": "firewall", "subject": "table inet parapet_harden", "expected": "as the policy renders it",
                   "found": "changed <script>"}]});
    let jobs = jobs_of(&app.post("/api/v1/agent/check-in", Some(&credential), body).await);
    assert!(jobs.is_empty(), "the policy is not given again: {jobs:?}");
    let harden = app.get(&format!("/api/v1/fleet/hosts/{host}/harden"), Some(&analyst)).await.json();
    assert_eq!(harden["state"], "drift", "{harden}");
    assert_eq!(harden["reported"]["drift"][0]["found"], "changed <script>");
    assert_eq!(harden["wanted"]["group"], "web");

    // A report the model refuses changes nothing.
    let mut bad = check_in(5, None);
    bad["harden"] = json!({"policy_digest": "not hex", "drift": []});
    let refused = app.post("/api/v1/agent/check-in", Some(&credential), bad).await;
    assert_eq!(refused.json()["error"]["field"], "harden.policy_digest", "{}", refused.text());
    let harden = app.get(&format!("/api/v1/fleet/hosts/{host}/harden"), Some(&admin)).await.json();
    assert_eq!(harden["state"], "drift");

    // The console: the host page shows the drift (escaped) and "Apply again" makes the job.
    let cookie = sign_in(&app, "root", PASSWORD).await.unwrap();
    let host_page = app.send(page(&format!("/console/fleet/hosts/{host}"), &cookie)).await;
    let html = host_page.text();
    assert!(html.contains("id=\"harden-drift\""), "{html}");
    assert!(html.contains("changed &lt;script&gt;") && !html.contains("changed <script>"));
    assert!(html.contains(">drift</span>"), "the state is shown");
    let csrf = csrf_field(&html);
    let apply = app
        .send(crate::form(&format!("/console/fleet/hosts/{host}/harden-apply"), &cookie, &format!("csrf={csrf}")))
        .await;
    assert_eq!(apply.status, StatusCode::SEE_OTHER, "{}", apply.text());
    let jobs = jobs_of(&app.post("/api/v1/agent/check-in", Some(&credential), check_in(6, None)).await);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["kind"], "harden_apply");
    assert_ne!(jobs[0]["id"].as_i64(), Some(job));

    // The group page shows the policy and replaces it; a bad one is refused there too.
    let group_page = app.send(page("/console/fleet/groups/web/harden", &cookie)).await;
    assert_eq!(group_page.status, StatusCode::OK, "{}", group_page.text());
    let html = group_page.text();
    assert!(html.contains(&digest[..12]), "{html}");
    let csrf = csrf_field(&html);
    let bad = "version = 1\nroles = [\"gopher\"]\n";
    let body = format!("csrf={csrf}&policy={}", percent(bad));
    let refused = app.send(crate::form("/console/fleet/groups/web/harden", &cookie, &body)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text());
    let replaced = "version = 1\r\nroles = [\"web\"]\r\n";
    let body = format!("csrf={csrf}&policy={}", percent(replaced));
    let saved = app.send(crate::form("/console/fleet/groups/web/harden", &cookie, &body)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let stored = app.get("/api/v1/fleet/groups/web/harden-policy", Some(&admin)).await.json();
    assert_eq!(stored["policy"], "version = 1\nroles = [\"web\"]\n");
    assert_ne!(stored["digest"], digest.as_str());

    // Taken away: the host wants nothing, and the audit log has each change.
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/api/v1/fleet/groups/web/harden-policy")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::NO_CONTENT);
    let harden = app.get(&format!("/api/v1/fleet/hosts/{host}/harden"), Some(&admin)).await.json();
    assert_eq!(harden["state"], "none");
    let audit = app.get("/api/v1/audit?entity=group", Some(&admin)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("group.harden_policy")).count(),
        3,
        "set, replaced, cleared: {actions:?}"
    );
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
