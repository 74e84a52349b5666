//! The JSON API and the console are two doors to one set of operations: for the same caller and
//! the same object they must give the same answer. Every row below is one operation as the API
//! and as the console ask it; each is tried by every role and by someone not signed in, on an
//! object that exists (made fresh for each try, so that one try cannot spoil the next) and on one
//! that does not. The whole table is also a snapshot, so that a change of who may do what is
//! seen in review.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parapet_model::Role;
use serde_json::{Value, json};

use crate::{PASSWORD, Reply, TestApp, csrf_field, form, page, sign_in};

/// What an operation needs to exist before it is tried.
#[derive(Clone, Copy, PartialEq)]
enum Fixture {
    Nothing,
    Case,
    User,
    Product,
    Document,
    Endpoint,
    Source,
    Token,
}

impl Fixture {
    /// An ID that names no object of this kind.
    fn missing(self) -> &'static str {
        match self {
            Fixture::Document => "PSB-2099-999",
            Fixture::Source => "no-such-source",
            _ => "999999",
        }
    }
}

/// One operation: its fixture, the API request and the console request. `{id}` stands for the
/// fixture's ID and `{n}` for a number unique to the try.
struct Operation {
    name: &'static str,
    fixture: Fixture,
    api: (Method, &'static str, Option<Value>),
    console: (Method, &'static str, &'static str),
}

fn operations() -> Vec<Operation> {
    use Fixture::*;
    let op = |name, fixture, api, console| Operation { name, fixture, api, console };
    let get = |path| (Method::GET, path, None);
    let post = |path, body: Value| (Method::POST, path, Some(body));
    let view = |path| (Method::GET, path, "");
    let submit = |path, body| (Method::POST, path, body);
    vec![
        op("read case", Case, get("/api/v1/cases/{id}"), view("/cases/{id}")),
        op(
            "create case",
            Nothing,
            post("/api/v1/cases", json!({"title": "t", "description": "d"})),
            submit("/cases/new", "title=t&description=d"),
        ),
        op(
            "edit case",
            Case,
            (Method::PATCH, "/api/v1/cases/{id}", Some(json!({"title": "Renamed", "description": "d"}))),
            submit("/cases/{id}/edit", "title=Renamed&description=d"),
        ),
        op(
            "transition case",
            Case,
            post("/api/v1/cases/{id}/transition", json!({"state": "triaged"})),
            submit("/cases/{id}/transition", "state=triaged"),
        ),
        op(
            "add message",
            Case,
            post("/api/v1/cases/{id}/messages", json!({"body": "hello", "visibility": "internal"})),
            submit("/cases/{id}/messages", "body=hello&visibility=internal"),
        ),
        op("assign CVE", Case, post("/api/v1/cases/{id}/cve", json!({})), submit("/cases/{id}/cve", "")),
        // The console's accounts page lists the caller's tokens, and the users to those who may
        // see them.
        op("list tokens", Nothing, get("/api/v1/tokens"), view("/users")),
        op(
            "create token",
            Nothing,
            post("/api/v1/tokens", json!({"name": "token-{n}"})),
            submit("/tokens", "name=token-{n}"),
        ),
        op(
            "create user",
            Nothing,
            post("/api/v1/users", json!({"name": "new-{n}", "role": "analyst", "password": PASSWORD})),
            submit("/users", "name=new-{n}&role=analyst&password=correct+horse+battery"),
        ),
        op(
            "change user",
            User,
            (Method::PATCH, "/api/v1/users/{id}", Some(json!({"role": "auditor"}))),
            submit("/users/{id}", "role=auditor"),
        ),
        op("revoke token", Token, (Method::DELETE, "/api/v1/tokens/{id}", None), submit("/tokens/{id}/revoke", "")),
        op("list products", Nothing, get("/api/v1/products"), view("/products")),
        op(
            "create product",
            Nothing,
            post("/api/v1/products", json!({"vendor": "Acme", "name": "Tool {n}"})),
            submit("/products", "vendor=Acme&name=Tool+{n}"),
        ),
        op(
            "add version",
            Product,
            post("/api/v1/products/{id}/versions", json!({"version": "3.{n}"})),
            submit("/products/{id}/versions", "version=3.{n}"),
        ),
        op("list documents", Nothing, get("/api/v1/documents"), view("/console/documents")),
        op("read document", Document, get("/api/v1/documents/{id}"), view("/console/documents/{id}")),
        op(
            "schedule document",
            Document,
            post("/api/v1/documents/{id}/schedule", json!({"at": "next_release"})),
            submit("/console/documents/{id}/schedule", "when=next_release"),
        ),
        op(
            "publish document",
            Document,
            post("/api/v1/documents/{id}/publish", json!({})),
            submit("/console/documents/{id}/publish", ""),
        ),
        op("read audit log", Nothing, get("/api/v1/audit"), view("/audit")),
        op(
            "register webhook",
            Nothing,
            post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook-{n}"})),
            submit("/console/webhooks", "url=http://127.0.0.1:9/hook-{n}"),
        ),
        op(
            "resume webhook",
            Endpoint,
            post("/api/v1/webhooks/{id}/resume", json!({})),
            submit("/console/webhooks/{id}/resume", ""),
        ),
        op("webhook deliveries", Endpoint, get("/api/v1/webhooks/{id}/deliveries"), view("/console/webhooks/{id}")),
        op("list subscribers", Nothing, get("/api/v1/subscribers"), view("/console/subscribers")),
        op("list sources", Nothing, get("/api/v1/sources"), view("/console/sources")),
        op("read source", Source, get("/api/v1/sources/{id}"), view("/console/sources/{id}")),
        op(
            "add source",
            Nothing,
            post("/api/v1/sources", json!({"name": "src-{n}", "kind": "osv", "url": "https://osv.example/{n}.zip"})),
            submit("/console/sources", "name=src-{n}&kind=osv&url=https://osv.example/{n}.zip"),
        ),
        op(
            "sync source",
            Source,
            post("/api/v1/sources/{id}/sync", json!({})),
            submit("/console/sources/{id}/sync", ""),
        ),
    ]
}

/// A caller: a role with its API token and console session, or no one.
struct Caller {
    label: &'static str,
    token: Option<String>,
    /// The session cookie and the session's CSRF token.
    session: Option<(String, String)>,
}

/// The answer, in words that mean the same for JSON and for pages: a page that sends the caller
/// to sign in is `unauthenticated`, like the API's 401.
fn outcome(reply: &Reply) -> String {
    match reply.status {
        s if s.is_success() => "ok".into(),
        StatusCode::SEE_OTHER | StatusCode::FOUND => {
            let to = reply.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("");
            if to.starts_with("/login") { "unauthenticated".into() } else { "ok".into() }
        }
        StatusCode::UNAUTHORIZED => "unauthenticated".into(),
        StatusCode::FORBIDDEN => "forbidden".into(),
        StatusCode::NOT_FOUND => "not found".into(),
        StatusCode::CONFLICT => "conflict".into(),
        StatusCode::UNPROCESSABLE_ENTITY => "invalid".into(),
        other => other.as_u16().to_string(),
    }
}

/// The product and version every new document is about.
struct Catalog {
    product_id: i64,
    version_id: i64,
}

async fn make(app: &TestApp, admin: &str, catalog: &Catalog, fixture: Fixture, n: usize) -> String {
    let created = |reply: Reply, key: &str| {
        assert!(reply.status.is_success(), "making a fixture: {} {}", reply.status, reply.text());
        match &reply.json()[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    match fixture {
        Fixture::Nothing => String::new(),
        Fixture::Case => {
            created(app.post("/api/v1/cases", Some(admin), json!({"title": "c", "description": "d"})).await, "id")
        }
        Fixture::User => {
            let body = json!({"name": format!("target-{n}"), "role": "analyst", "password": PASSWORD});
            created(app.post("/api/v1/users", Some(admin), body).await, "id")
        }
        Fixture::Token => {
            // Someone else's token: revoking it is managing users, not one's own tokens.
            let user = app.state.store.create_user("test", &format!("holder-{n}"), Role::Analyst, None).await.unwrap();
            let digest = parapet_server::auth::digest(&parapet_server::auth::new_api_token());
            let token = app
                .state
                .store
                .create_token("test", user.id, "t", &digest, &[parapet_model::Scope::Read])
                .await
                .unwrap();
            token.id.to_string()
        }
        Fixture::Product => {
            let body = json!({"vendor": "Acme", "name": format!("Fixture {n}")});
            created(app.post("/api/v1/products", Some(admin), body).await, "id")
        }
        Fixture::Document => {
            let body = json!({
                "kind": "bulletin",
                "title": "Security update for Widget",
                "summary": "This update fixes an overflow.",
                "products": [catalog.product_id],
                "vulnerabilities": [{
                    "cve": format!("CVE-2026-{:05}", 40000 + n),
                    "title": "Widget overflow",
                    "description": "A crafted request overflows a buffer.",
                    "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "affected": [catalog.version_id],
                }],
                "updates": [{"product_id": catalog.product_id, "branch": null, "fixed_version": "1.1", "purl": null,
                             "url": "https://acme.example/download", "restart_required": false}],
            });
            created(app.post("/api/v1/documents", Some(admin), body).await, "id")
        }
        Fixture::Endpoint => {
            let body = json!({"url": format!("http://127.0.0.1:9/fixture-{n}")});
            let reply = app.post("/api/v1/webhooks", Some(admin), body).await;
            assert!(reply.status.is_success(), "making a webhook: {}", reply.text());
            reply.json()["endpoint"]["id"].to_string()
        }
        Fixture::Source => {
            let name = format!("fixture-{n}");
            let body = json!({"name": name, "kind": "osv", "url": format!("https://osv.example/{n}.zip")});
            created(app.post("/api/v1/sources", Some(admin), body).await, "name")
        }
    }
}

fn api_request(operation: &Operation, caller: &Caller, id: &str, n: usize) -> Request<Body> {
    let (method, path, body) = &operation.api;
    let uri = path.replace("{id}", id).replace("{n}", &n.to_string());
    let mut request = Request::builder().method(method.clone()).uri(uri);
    if let Some(token) = &caller.token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string().replace("{n}", &n.to_string()))
        }
        None => Body::empty(),
    };
    request.body(body).unwrap()
}

fn console_request(operation: &Operation, caller: &Caller, id: &str, n: usize) -> Request<Body> {
    let (method, path, body) = &operation.console;
    let uri = path.replace("{id}", id).replace("{n}", &n.to_string());
    let (cookie, csrf) = caller.session.clone().unwrap_or_default();
    if *method == Method::GET {
        return page(&uri, &cookie);
    }
    let body = body.replace("{n}", &n.to_string());
    form(&uri, &cookie, &format!("csrf={csrf}&{body}"))
}

#[tokio::test]
async fn api_and_console_answer_alike_for_every_role() {
    let app = TestApp::with(|s| s.notifications.allow_internal_targets = true).await;
    let admin = app.user("root", Role::Admin).await;
    let product = app.post("/api/v1/products", Some(&admin), json!({"vendor": "Acme", "name": "Widget"})).await.json();
    let product_id = product["id"].as_i64().unwrap();
    let version =
        app.post(&format!("/api/v1/products/{product_id}/versions"), Some(&admin), json!({"version": "1.0"})).await;
    let catalog = Catalog { product_id, version_id: version.json()["id"].as_i64().unwrap() };

    let mut callers = vec![Caller { label: "anonymous", token: None, session: None }];
    for (label, role) in
        [("admin", Role::Admin), ("analyst", Role::Analyst), ("publisher", Role::Publisher), ("auditor", Role::Auditor)]
    {
        let name = format!("parity-{label}");
        let token = app.user(&name, role).await;
        let cookie = sign_in(&app, &name, PASSWORD).await.unwrap_or_else(|r| panic!("{label} signs in: {}", r.text()));
        let dashboard = app.send(page("/dashboard", &cookie)).await;
        let csrf = csrf_field(&dashboard.text());
        callers.push(Caller { label, token: Some(token), session: Some((cookie, csrf)) });
    }

    let mut n = 0;
    let mut table = String::new();
    let mut disagreements = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for operation in operations() {
        let objects: &[bool] = if operation.fixture == Fixture::Nothing { &[true] } else { &[true, false] };
        for &exists in objects {
            let label = if operation.fixture == Fixture::Nothing {
                operation.name.to_owned()
            } else {
                format!("{} ({})", operation.name, if exists { "exists" } else { "missing" })
            };
            let mut row = Vec::new();
            for caller in &callers {
                let mut answers = Vec::new();
                for console in [false, true] {
                    n += 1;
                    let id = if exists {
                        make(&app, &admin, &catalog, operation.fixture, n).await
                    } else {
                        operation.fixture.missing().to_owned()
                    };
                    let request = if console {
                        console_request(&operation, caller, &id, n)
                    } else {
                        api_request(&operation, caller, &id, n)
                    };
                    let reply = app.send(request).await;
                    assert!(!reply.status.is_server_error(), "{label} by {}: {}", caller.label, reply.text());
                    answers.push(outcome(&reply));
                }
                if answers[0] != answers[1] {
                    disagreements.push(format!(
                        "{label} by {}: the API says {}, the console {}",
                        caller.label, answers[0], answers[1]
                    ));
                }
                seen.insert(answers[0].clone());
                row.push(format!("{}: {}", caller.label, answers[0]));
            }
            table.push_str(&format!("{label:<32} {}\n", row.join(", ")));
        }
    }
    assert!(disagreements.is_empty(), "the API and the console disagree:\n{}", disagreements.join("\n"));
    // The table is not all one answer: each kind of refusal and success is in it.
    for expected in ["ok", "unauthenticated", "forbidden", "not found"] {
        assert!(seen.contains(expected), "no operation answered {expected}:\n{table}");
    }
    insta::assert_snapshot!(table);
}
