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

/// Parses a calendar with Python's icalendar; returns its events as JSON.
fn icalendar(body: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.ics");
    std::fs::write(&file, body).unwrap();
    let script = "import json, sys, icalendar\n\
                  cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
                  print(json.dumps([{'uid': str(e.get('uid')), 'summary': str(e.get('summary')),\n\
                  'start': e.decoded('dtstart').isoformat(), 'end': e.decoded('dtend').isoformat(),\n\
                  'status': str(e.get('status')) if e.get('status') else None, 'url': str(e.get('url'))}\n\
                  for e in cal.walk('VEVENT')]))";
    let output = std::process::Command::new("python3")
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("python3 runs (scripts/test.sh installs icalendar)");
    assert!(output.status.success(), "icalendar: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn the_calendar_lists_release_days_and_briefings() {
    use time::macros::datetime;
    let clock = std::sync::Arc::new(parapet_server::releases::ManualClock::new(datetime!(2026-11-20 12:00 UTC)));
    let app = TestApp::new().await.on_clock(clock);
    let publisher = app.user("pat", Role::Publisher).await;
    let analyst = app.user("ana", Role::Analyst).await;
    let webcast = json!({"title": "December release webcast", "starts_at": "2026-12-09T18:00:00Z", "duration_minutes": 45,
        "join_url": "https://meet.example.com/psirt", "description": "Questions and answers on the December bulletins."});
    assert_eq!(app.post("/api/v1/briefings", Some(&analyst), webcast.clone()).await.status, StatusCode::FORBIDDEN);
    let created = app.post("/api/v1/briefings", Some(&publisher), webcast).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let other = app
        .post("/api/v1/briefings", Some(&publisher), json!({"title": "Cancelled talk", "starts_at": "2026-12-10T18:00:00Z", "join_url": "https://meet.example.com/x"}))
        .await
        .json();
    let cancelled =
        app.call(Method::DELETE, &format!("/api/v1/briefings/{}", other["id"]), Some(&publisher), None).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let bad = app
        .post(
            "/api/v1/briefings",
            Some(&publisher),
            json!({"title": "x", "starts_at": "2026-12-10T18:00:00Z", "join_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("join_url"))
    );

    let reply = app.get("/calendar.ics", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/calendar"));
    let events = icalendar(&reply.body);
    let events = events.as_array().unwrap();
    let releases: Vec<&Value> = events.iter().filter(|e| e["uid"].as_str().unwrap().starts_with("release-")).collect();
    assert_eq!(releases.len(), 16, "a quarter back, a year ahead: {events:?}");
    let december = releases.iter().find(|e| e["uid"].as_str().unwrap().starts_with("release-2026-12@")).unwrap();
    assert_eq!(december["start"], "2026-12-08T17:00:00+00:00", "the second Tuesday at 17:00 UTC");
    let briefing = events.iter().find(|e| e["summary"] == "December release webcast").unwrap();
    assert_eq!(
        (briefing["start"].as_str(), briefing["end"].as_str()),
        (Some("2026-12-09T18:00:00+00:00"), Some("2026-12-09T18:45:00+00:00"))
    );
    assert_eq!(briefing["url"], "https://meet.example.com/psirt");
    let talk = events.iter().find(|e| e["summary"] == "Cancelled talk").unwrap();
    assert_eq!(talk["status"], "CANCELLED");

    let etag = reply.headers[header::ETAG].to_str().unwrap().to_owned();
    let again =
        Request::builder().uri("/calendar.ics").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    assert_eq!(app.send(again).await.status, StatusCode::NOT_MODIFIED);
    let console = app.get("/console/briefings", Some(&publisher)).await.text();
    assert!(console.contains("December release webcast") && console.contains("Schedule a briefing"), "{console}");
}
