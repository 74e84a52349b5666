//! Embargo is an invariant: nothing about an undisclosed case reaches a caller without a role
//! that grants it. This walks every route of the router (from its route table, so a new route is
//! walked without anyone remembering to add it) as an anonymous caller, as a reporter holding
//! another case's tracking link, and as each role.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parapet_model::Role;
use serde_json::json;
use std::sync::{Arc, Mutex};

use crate::{Reply, TestApp};

const SECRET_TITLE: &str = "EMBARGOED-TITLE-7f3a";
const SECRET_TEXT: &str = "EMBARGOED-DESCRIPTION-91c2";
const SECRET_CVE: &str = "CVE-2026-424242";
const SECRET_NOTE: &str = "EMBARGOED-NOTE-55d0";
const SECRETS: [&str; 4] = [SECRET_TITLE, SECRET_TEXT, SECRET_CVE, SECRET_NOTE];

/// Every (method, path pattern) the router serves, from the router's own route table.
fn routes(app: &TestApp) -> Vec<(Method, String)> {
    let mut routes: Vec<(Method, String)> =
        parapet_server::routes(&app.state).table().iter().map(|r| (r.method.clone(), r.path.to_owned())).collect();
    assert!(routes.len() > 100, "found only {} routes", routes.len());
    // Reads first, then deletes last, so that what a write does (revoking a token that happens
    // to share the case's ID) cannot hide what a later read would show.
    routes.sort_by_key(|(method, _)| match *method {
        Method::GET => 0,
        Method::DELETE => 2,
        _ => 1,
    });
    routes
}

/// A writer that keeps everything logged during the walk.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request(method: &Method, uri: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method.clone()).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if *method == Method::GET {
        Body::empty()
    } else {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        Body::from(
            json!({"body": "probe", "state": "triaged", "title": "probe", "description": "probe", "name": "probe"})
                .to_string(),
        )
    };
    builder.body(body).unwrap()
}

/// A reply with what differs between any two requests (request ids) taken out.
fn normalized(reply: &Reply) -> (StatusCode, String) {
    let text = reply.text();
    let text = match reply.headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
        Some(id) => text.replace(id, ""),
        None => text,
    };
    (reply.status, text)
}

#[tokio::test]
async fn nothing_undisclosed_leaks_through_any_route() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let tokens: Vec<(Role, String)> = {
        let mut v = Vec::new();
        for role in Role::ALL {
            v.push((role, app.user(&format!("user-{role}"), role).await));
        }
        v
    };
    let analyst = &tokens.iter().find(|(r, _)| *r == Role::Analyst).unwrap().1;

    // The secret case came in through intake, so it has a tracking link of its own.
    let secret_tracking = app.report(SECRET_TITLE).await;
    let secret = app.get("/api/v1/cases", Some(analyst)).await.json()["items"][0].clone();
    let id = secret["id"].as_i64().unwrap();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/cases/{id}"),
            Some(analyst),
            Some(json!({"description": SECRET_TEXT, "cve_id": SECRET_CVE})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    app.post(&format!("/api/v1/cases/{id}/messages"), Some(analyst), json!({"body": SECRET_NOTE})).await;
    // A bulletin about it, written and scheduled but not yet published.
    let product = app.post("/api/v1/products", Some(analyst), json!({"vendor": "Acme", "name": "Widget"})).await.json();
    let product_id = product["id"].as_i64().unwrap();
    let version = app
        .post(&format!("/api/v1/products/{product_id}/versions"), Some(analyst), json!({"version": "1.0"}))
        .await
        .json();
    let draft = app
        .post(
            "/api/v1/documents",
            Some(analyst),
            json!({"kind": "bulletin", "title": SECRET_TITLE, "summary": SECRET_NOTE, "products": [product_id],
                "vulnerabilities": [{"case_id": id, "cve": SECRET_CVE, "title": SECRET_TITLE, "description": SECRET_TEXT, "severity": "critical",
                    "affected": [version["id"]]}],
                "updates": [{"product_id": product_id, "branch": null, "fixed_version": "1.1", "purl": null, "url": null,
                    "restart_required": false}]}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text());
    let document_id = draft.json()["id"].as_str().unwrap().to_owned();
    let publisher = &tokens.iter().find(|(r, _)| *r == Role::Publisher).unwrap().1;
    let scheduled = app
        .post(&format!("/api/v1/documents/{document_id}/schedule"), Some(publisher), json!({"at": "next_release"}))
        .await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text());
    // Another reporter's case, whose link the outsider holds.
    let other_tracking = app.report("the outsider's own report").await;

    let fill = |pattern: &str, case_id: i64, token: &str| {
        let is_document = pattern.contains("/documents/{id}");
        let document = if case_id == id { document_id.clone() } else { "PSB-2099-999".to_owned() };
        pattern
            .replace("{id}", &if is_document { document } else { case_id.to_string() })
            .replace("{cve}", SECRET_CVE)
            .replace("{month}", "2026-12")
            .replace("{*path}", "white/index.txt")
            .replace("{token}", token)
            .replace("{attachment}", "1")
            .replace("{name}", "no-such-source")
            .replace("{slug}", "no-such-post")
            .replace("{group}", "no-such-group")
            .replace("{id}/versions", "1/versions")
    };
    let mut walked = 0;
    for (method, pattern) in routes(&app) {
        // Anonymous, and the holder of another case's link (their link goes where a link goes).
        for holder in [None, Some(other_tracking.as_str())] {
            let token = holder.unwrap_or("no-such-tracking-token");
            let uri = fill(&pattern, id, token);
            let reply = app.send(request(&method, &uri, None)).await;
            walked += 1;
            for s in SECRETS {
                assert!(!reply.text().contains(s), "{method} {uri} leaks {s} to an outsider: {}", reply.text());
            }
            for (name, value) in &reply.headers {
                assert!(
                    !value.to_str().unwrap_or("").contains(SECRET_TITLE),
                    "{method} {uri} leaks through header {name}"
                );
            }
            // Existence checks: a real undisclosed case and no case at all look the same.
            if pattern.contains("{id}") {
                let absent = app.send(request(&method, &fill(&pattern, 999_999, token), None)).await;
                assert_eq!(
                    normalized(&reply),
                    normalized(&absent),
                    "{method} {pattern} tells an outsider that case {id} exists"
                );
            }
        }
        // Each role: reads work, and an auditor changes nothing.
        for (role, token) in &tokens {
            let uri = fill(&pattern, id, &other_tracking);
            let reply = app.send(request(&method, &uri, Some(token))).await;
            walked += 1;
            if *role == Role::Auditor && method != Method::GET {
                assert!(
                    !reply.status.is_success()
                        || pattern.starts_with("/api/v1/reports")
                        || pattern == "/api/v1/tokens"
                        || pattern == "/api/v1/csaf/validate"
                        || pattern.starts_with("/api/v1/tokens/"),
                    "the auditor changed something with {method} {uri}: {} {}",
                    reply.status,
                    reply.text()
                );
            }
            if *role != Role::Auditor && method == Method::GET && pattern == "/api/v1/cases/{id}" {
                assert!(
                    reply.text().contains(SECRET_TITLE),
                    "{role} should see the case: {} {}",
                    reply.status,
                    reply.text()
                );
            }
        }
    }
    assert!(walked > 200);

    // The case is unchanged by everything the outsiders and the auditor tried.
    let after = app.get(&format!("/api/v1/cases/{id}"), Some(analyst)).await.json();
    assert_eq!((after["title"].as_str(), after["state"].as_str()), (Some(SECRET_TITLE), Some("new")));

    // The bulletin is still a draft (a role that may has perhaps unscheduled it), and the public directory and guide are empty.
    let stored = app.get(&format!("/api/v1/documents/{document_id}"), Some(analyst)).await.json();
    assert_eq!(stored["status"], "unpublished");
    assert_eq!(app.get("/.well-known/csaf/white/index.txt", None).await.text(), "");
    assert!(app.get("/security-updates", None).await.text().contains("0 documents."));

    // The case's own reporter sees their report, and only the reporter conversation.
    let own = app.get(&format!("/api/v1/reports/{secret_tracking}"), None).await.text();
    assert!(own.contains(SECRET_TITLE) && !own.contains(SECRET_NOTE) && !own.contains(SECRET_CVE));

    // Counts: the dashboard and list totals are staff-only.
    assert_eq!(app.get("/dashboard", None).await.status, StatusCode::SEE_OTHER);
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("report received"), "the log capture works");
    for s in SECRETS {
        assert!(!logged.contains(s), "the log contains {s}");
    }
    assert!(!logged.contains(&secret_tracking) && !logged.contains(&other_tracking), "tracking links are never logged");
}
