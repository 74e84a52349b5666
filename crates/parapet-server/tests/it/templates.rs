//! Every template renders in a test. Debug builds render templates with strict undefined
//! behaviour, so a misspelt variable is an error, not an empty string; this test makes sure that
//! no template escapes being rendered, by visiting every page route with objects for it to show.

use axum::http::{Method, StatusCode};
use parapet_model::Role;
use parapet_server::releases::ManualClock;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::macros::datetime;

use crate::{PASSWORD, TestApp, page, sign_in};

/// The templates only ever included, extended or imported by others: they render as part of
/// the templates that name them.
fn partials() -> BTreeSet<String> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut named = BTreeSet::new();
    let mut stack = vec![folder.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for tag in ["include", "extends", "import", "from"] {
                for part in text.split(&format!("{{% {tag} \"")).skip(1) {
                    named.insert(part.split('"').next().unwrap().to_owned());
                }
            }
        }
    }
    named
}

#[tokio::test]
async fn every_template_renders_with_strict_undefined() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::with(|s| s.notifications.allow_internal_targets = true).await.on_clock(clock.clone());
    // What the pages show: a synced catalog, a published bulletin, a blog post, a report, a
    // webhook, a setup link.
    crate::catalog::rustsec(&app).await;
    let entries = app.get("/api/v1/catalog/advisories?per_page=1", None).await.json();
    let entry = entries["items"][0]["id"].as_str().unwrap().to_owned();
    let (publisher, case_id, document) = crate::publishing::draft_bulletin(&app).await;
    // Published on the monthly release day, so that the release has its page.
    let scheduled = app
        .post(&format!("/api/v1/documents/{document}/schedule"), Some(&publisher), json!({"at": "next_release"}))
        .await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.text());
    clock.set(datetime!(2026-12-08 17:30 UTC));
    let outcomes = parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert_eq!(outcomes, [(document.clone(), Ok("1.0".to_owned()))]);
    let month = "2026-12";
    let post = json!({"title": "Release notes", "summary": "What to patch.", "body": "Patch **now**."});
    assert_eq!(app.post("/api/v1/posts", Some(&publisher), post).await.status, StatusCode::CREATED);
    app.post("/api/v1/posts/release-notes/publish", Some(&publisher), json!({})).await;
    let tracking = app.report("A report").await;
    let endpoint = app.post("/api/v1/webhooks", Some(&publisher), json!({"url": "http://127.0.0.1:9/hook"})).await;
    let endpoint = endpoint.json()["endpoint"]["id"].to_string();
    let setup = parapet_server::auth::new_secret();
    let expires = datetime!(2026-12-08 18:30 UTC);
    app.state.store.create_setup_token(&parapet_server::auth::digest(&setup), expires).await.unwrap();
    let admin = app.user("root", Role::Admin).await;
    let host = crate::fleet::exposed_host(&app, &admin).await;
    let session = sign_in(&app, "root", PASSWORD).await.unwrap();

    let fill = |path: &str| {
        let id = if path.contains("/fleet/hosts/") {
            host.clone()
        } else if path.contains("/fleet/advisories/") {
            "PARAPET-TEST-0001".to_owned()
        } else if path.contains("/documents/") {
            document.clone()
        } else if path.contains("/catalog/") {
            entry.clone()
        } else if path.contains("/webhooks/") {
            endpoint.clone()
        } else {
            case_id.to_string()
        };
        let token = if path.starts_with("/setup/") { setup.clone() } else { tracking.clone() };
        // Groups are named: the exposed host's group.
        let name = if path.contains("/fleet/groups/") { "web" } else { "rustsec" };
        path.replace("{id}", &id)
            .replace("{cve}", "CVE-2026-31001")
            .replace("{month}", month)
            .replace("{slug}", "release-notes")
            .replace("{name}", name)
            .replace("{token}", &token)
            .replace("{attachment}", "1")
            .replace("{*path}", "index.txt")
    };
    let table = parapet_server::routes(&app.state);
    let pages: Vec<_> = table
        .table()
        .iter()
        .filter(|r| r.surface == parapet_server::Surface::Page && r.method == Method::GET)
        .map(|r| fill(r.path))
        .collect();
    assert!(pages.len() > 30, "only {} pages", pages.len());
    for uri in &pages {
        for cookie in ["", session.as_str()] {
            let reply = app.send(page(uri, cookie)).await;
            assert!(!reply.status.is_server_error(), "GET {uri}: {} {}", reply.status, reply.text());
        }
    }
    // The answers to forms that render a page rather than redirect.
    let done = app.send(crate::form("/report", "", "title=Another&description=steps")).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());

    let rendered = app.state.templates.rendered();
    let partials = partials();
    let missed: Vec<_> = app
        .state
        .templates
        .names()
        .into_iter()
        // Mail is rendered by the subscription tests, which run a real SMTP server and assert
        // that both of its templates rendered.
        .filter(|name| !rendered.contains(name) && !partials.contains(name) && !name.starts_with("email/"))
        .collect();
    assert!(missed.is_empty(), "never rendered, so a misspelt variable in them would pass: {missed:?}");
}
