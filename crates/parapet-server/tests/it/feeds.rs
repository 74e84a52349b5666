//! The blog and the feeds: posts go through draft and publication, render sanitized Markdown; the
//! Atom and RSS feeds list documents and posts, parse with Python's feedparser (the standard
//! parser), keep entry IDs across revisions, filter, and answer conditional GETs.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parapet_model::Role;
use serde_json::{Value, json};

use crate::TestApp;

fn shared(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path)
}

/// Parses a feed with Python's feedparser; returns what it read as JSON.
fn feedparser(body: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.xml");
    std::fs::write(&file, body).unwrap();
    let script = "import json, sys, feedparser\n\
                  f = feedparser.parse(sys.argv[1])\n\
                  print(json.dumps({'bozo': f.bozo, 'version': f.version, 'title': f.feed.get('title'),\n\
                  'entries': [{'id': e.get('id'), 'title': e.get('title'), 'link': e.get('link'),\n\
                  'updated': e.get('updated'), 'tags': [t.term for t in e.get('tags', [])]} for e in f.entries]}))";
    let output = std::process::Command::new("python3")
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("python3 runs (scripts/test.sh installs feedparser)");
    assert!(output.status.success(), "feedparser: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn blog_posts_and_feeds() {
    let app = TestApp::new().await;
    let publisher = app.user("pat", Role::Publisher).await;
    let analyst = app.user("ana", Role::Analyst).await;

    // Two published CISA documents, imported.
    for document in ["2024/icsa-24-200-01.json", "2024/icsma-24-254-01.json"] {
        let text = std::fs::read_to_string(shared("csaf/provider-cisa/OT/white").join(document)).unwrap();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/csaf/import")
            .header(header::AUTHORIZATION, format!("Bearer {publisher}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(text))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }

    // A post: a draft nobody outside sees, then published.
    let body = "# December\n\nPatch <script>alert(1)</script>now. [More](javascript:alert(1))";
    let created = app
        .post(
            "/api/v1/posts",
            Some(&analyst),
            json!({"title": "December release notes", "summary": "What to patch first.", "body": body}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(app.get("/api/v1/posts/december-release-notes", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/blog/december-release-notes", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post("/api/v1/posts/december-release-notes/publish", Some(&analyst), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let published = app.post("/api/v1/posts/december-release-notes/publish", Some(&publisher), json!({})).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    let page = app.get("/blog/december-release-notes", None).await.text();
    assert!(page.contains("<h1>December</h1>") && page.contains("Patch now."), "{page}");
    assert!(!page.contains("alert(1)"), "the post's script and javascript: link are gone: {page}");
    assert!(app.get("/blog", None).await.text().contains("December release notes"));
    let bad = app.post("/api/v1/posts", Some(&publisher), json!({"title": "", "body": "x"})).await;
    assert_eq!((bad.status, bad.json()["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("title")));

    // The feeds parse with a standard parser and list all three.
    let atom = app.get("/feed.atom", None).await;
    assert_eq!(atom.status, StatusCode::OK);
    assert!(atom.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/atom+xml"));
    let parsed = feedparser(&atom.body);
    assert_eq!((parsed["bozo"].as_bool(), parsed["version"].as_str()), (Some(false), Some("atom10")), "{parsed}");
    let ids: Vec<&str> = parsed["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{parsed}");
    assert!(ids.iter().any(|id| id.ends_with("/documents/ICSA-24-200-01")), "{ids:?}");
    assert!(ids.iter().any(|id| id.ends_with("/blog/december-release-notes")), "{ids:?}");
    let rss = app.get("/feed.rss", None).await;
    let parsed_rss = feedparser(&rss.body);
    assert_eq!(
        (parsed_rss["bozo"].as_bool(), parsed_rss["version"].as_str()),
        (Some(false), Some("rss20")),
        "{parsed_rss}"
    );
    assert_eq!(parsed_rss["entries"].as_array().unwrap().len(), 3);

    // Filters: kind, minimum severity; a bad one names its parameter.
    let blog_only = feedparser(&app.get("/feed.atom?kind=blog", None).await.body);
    assert_eq!(blog_only["entries"].as_array().unwrap().len(), 1);
    let documents = feedparser(&app.get("/feed.rss?kind=bulletin,advisory", None).await.body);
    assert_eq!(documents["entries"].as_array().unwrap().len(), 2);
    let critical = feedparser(&app.get("/feed.atom?severity=critical", None).await.body);
    assert!(critical["entries"].as_array().unwrap().len() < 3);
    let wrong = app.get("/feed.atom?kind=rumours", None).await;
    assert_eq!(
        (wrong.status, wrong.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );

    // Conditional GET.
    let etag = atom.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = Request::builder().uri("/feed.atom").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    assert_eq!(app.send(again).await.status, StatusCode::NOT_MODIFIED);

    // A revised post keeps its entry ID and carries the new time.
    let before = parsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"].as_str().unwrap().ends_with("/blog/december-release-notes"))
        .unwrap()
        .clone();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edited = app
        .call(
            Method::PUT,
            "/api/v1/posts/december-release-notes",
            Some(&publisher),
            Some(json!({"title": "December release notes", "summary": "Revised.", "body": "Updated text."})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let after = feedparser(&app.get("/feed.atom?kind=blog", None).await.body);
    let after = &after["entries"][0];
    assert_eq!(after["id"], before["id"]);
    assert_ne!(after["updated"], before["updated"]);
    let changed =
        Request::builder().uri("/feed.atom").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    assert_eq!(app.send(changed).await.status, StatusCode::OK);
}
