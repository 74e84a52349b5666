//! Webhooks end to end: an endpoint on a real loopback receiver gets a published post, signed as
//! Standard Webhooks says with the secret it was shown once (sealed at rest), and a Slack-shaped
//! endpoint gets a chat message; internal targets are refused unless configured.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use parapet_model::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{TestApp, spawn};

type Received = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

async fn receive(
    State(received): State<Received>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    received.lock().unwrap().push((uri.path().to_owned(), headers, body.to_vec()));
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_published_post_reaches_signed_and_chat_endpoints() {
    let refusing = TestApp::new().await;
    let publisher = refusing.user("pat", Role::Publisher).await;
    let refused = refusing.post("/api/v1/webhooks", Some(&publisher), json!({"url": "http://127.0.0.1:9/hook"})).await;
    assert_eq!(
        (refused.status, refused.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("url"))
    );

    let received: Received = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().route("/{name}", post(receive)).with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = TestApp::with(|s| s.notifications.allow_internal_targets = true).await;
    let publisher = app.user("pat", Role::Publisher).await;
    let analyst = app.user("ana", Role::Analyst).await;
    assert_eq!(
        app.post("/api/v1/webhooks", Some(&analyst), json!({"url": format!("{base}/signed")})).await.status,
        StatusCode::FORBIDDEN
    );
    let created = app.post("/api/v1/webhooks", Some(&publisher), json!({"url": format!("{base}/signed")})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let slack = app
        .post("/api/v1/webhooks", Some(&publisher), json!({"url": format!("{base}/slack"), "format": "slack"}))
        .await;
    assert_eq!(slack.status, StatusCode::CREATED);
    let listed = app.get("/api/v1/webhooks", Some(&publisher)).await.text();
    assert!(!listed.contains(&secret), "the secret is shown once, never listed");
    let stored = app.state.store.endpoints().await.unwrap();
    assert_ne!(stored[0].sealed_secret, secret, "sealed at rest");
    assert_eq!(
        parapet_server::notifications::webhooks::open(&app.state, &stored[0].sealed_secret).as_deref(),
        Some(secret.as_str())
    );

    let _server = spawn(&app).await;
    app.post("/api/v1/posts", Some(&publisher), json!({"title": "Hello", "summary": "First.", "body": "Text"})).await;
    app.post("/api/v1/posts/hello/publish", Some(&publisher), json!({})).await;
    let started = Instant::now();
    while received.lock().unwrap().len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "not delivered: {:?}", received.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = received.lock().unwrap().clone();
    let (_, headers, body) = received.iter().find(|(path, ..)| path == "/signed").unwrap();
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("webhook-id"), "evt_post_hello");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    let secret = parapet_notify::webhook::Secret::parse(&secret).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(
        parapet_notify::webhook::verify(
            &secret,
            "evt_post_hello",
            timestamp,
            body,
            &header("webhook-signature"),
            now,
            300
        ),
        Ok(())
    );
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["type"], "post.published");
    assert_eq!(payload["url"], "http://127.0.0.1:8080/blog/hello");
    let (_, slack_headers, slack_body) = received.iter().find(|(path, ..)| path == "/slack").unwrap();
    assert!(slack_headers.get("webhook-signature").is_none());
    let text: Value = serde_json::from_slice(slack_body).unwrap();
    assert!(text["text"].as_str().unwrap().contains("Hello"), "{text}");
    // The worker records the attempt after the receiver has answered: wait for the record.
    let started = Instant::now();
    loop {
        let log = app.state.store.deliveries_to("webhook", stored[0].id, 10).await.unwrap();
        assert_eq!(log.len(), 1, "one delivery per message and endpoint");
        if log[0].status == "delivered" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "not recorded as delivered: {log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
