//! Email subscriptions against a real SMTP server (aiosmtpd): bad addresses and preferences are
//! refused; double opt-in with a link that works once, for its own subscriber only; a published
//! post reaches the subscribers who want it as a multipart mail with the list headers, the
//! preferences and unsubscribe links and the HTML escaped; preferences change through the link;
//! RFC 8058 one-click unsubscription stops the mail.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parapet_model::Role;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::smtp::{Received, SmtpServer};
use crate::{Reply, TestApp, spawn};

async fn form(app: &TestApp, uri: &str, body: &str) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.send(request).await
}

/// The path and query of the first link in `text` (plain, or HTML with its character
/// references) that starts with `prefix`.
fn link(text: &str, prefix: &str) -> String {
    let text = &text.replace("&#x2f;", "/").replace("&amp;", "&");
    let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let end = text[start..].find(|c: char| c.is_whitespace() || c == '>' || c == '"').map_or(text.len(), |e| start + e);
    text[start..end].trim_start_matches("http://127.0.0.1:8080").to_owned()
}

fn query(path: &str) -> String {
    path.split_once('?').unwrap().1.to_owned()
}

#[tokio::test]
async fn double_opt_in_multipart_mail_preferences_and_one_click_unsubscribe() {
    let smtp = SmtpServer::start();
    let app = TestApp::with(|s| {
        s.notifications.smtp_url = parapet_server::config::Secret::new(smtp.url());
        s.notifications.mail_from = "Example PSIRT <psirt@example.com>".into();
    })
    .await;

    // Bad input is refused at subscription time, naming the field.
    for (body, field) in [
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": "root@localhost"}), "email"),
        (json!({"email": "a@example.com", "kinds": ["everything"]}), "kinds"),
        (json!({"email": "a@example.com", "min_severity": "apocalyptic"}), "min_severity"),
    ] {
        let reply = app.post("/api/v1/subscriptions", None, body.clone()).await;
        assert_eq!(
            (reply.status, reply.json()["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let page = form(&app, "/subscribe", "email=nobody%40nowhere").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("the domain &quot;nowhere&quot; cannot receive mail"), "{}", page.text());

    // Alice subscribes to everything through the API, Bob to advisories through the page.
    let reply = app.post("/api/v1/subscriptions", None, json!({"email": "alice@example.com"})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let page = form(&app, "/subscribe", "email=bob%40example.org&kind_advisory=on&products=&min_severity=").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Check your inbox"));
    // Asking again at once sends nothing more, and answers the same.
    assert_eq!(
        app.post("/api/v1/subscriptions", None, json!({"email": "alice@example.com"})).await.status,
        StatusCode::ACCEPTED
    );

    let _server = spawn(&app).await;
    let mails = smtp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 2, "one confirmation per address");
    assert!(mails.iter().all(|m| m.rcpt_to == m.to), "the envelope goes to the addressee: {mails:#?}");
    let mail_to = |mails: &[Received], to: &str| mails.iter().find(|m| m.to == to).cloned().unwrap();
    let alice_confirm = mail_to(&mails, "alice@example.com");
    let bob_confirm = mail_to(&mails, "bob@example.org");
    assert!(alice_confirm.subject.starts_with("Confirm your subscription"));
    assert_eq!(alice_confirm.from, "Example PSIRT <psirt@example.com>");
    assert_eq!(alice_confirm.content_type, "multipart/alternative");
    let alice_link = link(&alice_confirm.text, "http://127.0.0.1:8080/subscriptions/confirm?");
    assert_eq!(alice_link, link(&alice_confirm.html, "http://127.0.0.1:8080/subscriptions/confirm?"));
    let bob_link = link(&bob_confirm.text, "http://127.0.0.1:8080/subscriptions/confirm?");

    // A token works for its own subscriber only: Bob's token on Alice's ID is refused.
    let alice_id = query(&alice_link).split('&').next().unwrap().to_owned();
    let bob_token = query(&bob_link).split('&').nth(1).unwrap().to_owned();
    let crossed = app.get(&format!("/subscriptions/confirm?{alice_id}&{bob_token}"), None).await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    assert_eq!(
        form(&app, "/subscriptions/confirm", &format!("{alice_id}&{bob_token}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Both mail templates rendered, strictly: a misspelt variable in them fails here.
    let rendered = app.state.templates.rendered();
    assert!(rendered.contains("email/message.txt") && rendered.contains("email/message.html"), "{rendered:?}");
    // Opening the link confirms nothing (mail scanners open links); the button does, once.
    let opened = app.get(&alice_link, None).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.text().contains("alice@example.com"));
    assert!(opened.text().contains("<strong id=\"receives\">everything</strong>"), "the preferences are shown");
    let counts = app.state.store.subscriber_counts().await.unwrap();
    assert_eq!((counts.pending, counts.active), (2, 0));
    let confirmed = form(&app, "/subscriptions/confirm", &query(&alice_link)).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    assert!(confirmed.text().contains("Subscribed"));
    assert_eq!(
        form(&app, "/subscriptions/confirm", &query(&alice_link)).await.status,
        StatusCode::NOT_FOUND,
        "used once"
    );
    assert_eq!(form(&app, "/subscriptions/confirm", &query(&bob_link)).await.status, StatusCode::OK);

    // A post: Alice wants everything, Bob only advisories.
    let publisher = app.user("pat", Role::Publisher).await;
    let post = json!({"title": "Patch <now> & more", "summary": "Why you should patch.", "body": "Text"});
    app.post("/api/v1/posts", Some(&publisher), post).await;
    let published = app.post("/api/v1/posts/patch-now-more/publish", Some(&publisher), json!({})).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    let mails = smtp.wait_for(3).await;
    let news = mails.iter().find(|m| m.subject.contains("blog")).cloned().unwrap();
    assert_eq!(news.to, "alice@example.com");
    assert_eq!(news.content_type, "multipart/alternative");
    assert_eq!(news.subject, "Security Response Center blog: Patch <now> & more");
    assert!(news.html.contains("Patch &lt;now&gt; &amp; more"), "{}", news.html);
    assert!(!news.html.contains("Patch <now>"));
    assert!(news.text.contains("Patch <now> & more"), "the text part is not HTML-escaped: {}", news.text);
    let id = alice_id.trim_start_matches("s=");
    assert_eq!(news.message_id, format!("<evt_post_patch-now-more.{id}@127.0.0.1>"));
    assert_eq!(news.list_id.as_deref(), Some("<notifications.127.0.0.1>"));
    assert_eq!(news.list_unsubscribe_post.as_deref(), Some("List-Unsubscribe=One-Click"));
    let unsubscribe =
        link(news.list_unsubscribe.as_deref().unwrap(), "http://127.0.0.1:8080/subscriptions/unsubscribe?");
    assert!(news.text.contains(&format!("Unsubscribe: http://127.0.0.1:8080{unsubscribe}")), "{}", news.text);
    let preferences = link(&news.text, "http://127.0.0.1:8080/subscriptions/manage?");
    assert_eq!(link(&news.html, "http://127.0.0.1:8080/subscriptions/manage?"), preferences);
    // Nothing for Bob: the post is not an advisory.
    let started = Instant::now();
    loop {
        let log = app.state.store.deliveries_to("email", id.parse().unwrap(), 10).await.unwrap();
        if log.iter().any(|d| d.message_id == "evt_post_patch-now-more" && d.status == "delivered") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.messages().len(), 3);

    // Preferences through the link: the page shows them, a save changes them.
    let shown = app.get(&preferences, None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text().contains("alice@example.com"));
    let saved = form(
        &app,
        "/subscriptions/manage",
        &format!("{}&kind_post=on&products=Widget&min_severity=important", query(&preferences)),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let stored = app.state.store.subscriber(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(
        (stored.filters.kinds, stored.filters.products, stored.filters.min_severity),
        (vec!["post".to_owned()], vec!["Widget".to_owned()], Some("important".to_owned()))
    );
    let bad = form(&app, "/subscriptions/manage", &format!("{}&min_severity=apocalyptic", query(&preferences))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // RFC 8058: the mail client POSTs to the header's URL, no cookie, no page.
    let opened = app.get(&unsubscribe, None).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert_eq!(
        app.state.store.subscriber(id.parse().unwrap()).await.unwrap().unwrap().status,
        "active",
        "opening the link changes nothing"
    );
    let one_click = form(&app, &unsubscribe, "List-Unsubscribe=One-Click").await;
    assert_eq!(one_click.status, StatusCode::OK, "{}", one_click.text());
    assert_eq!(app.state.store.subscriber(id.parse().unwrap()).await.unwrap().unwrap().status, "unsubscribed");
    // The next post goes to nobody.
    app.post("/api/v1/posts", Some(&publisher), json!({"title": "Second", "summary": "S", "body": "B"})).await;
    app.post("/api/v1/posts/second/publish", Some(&publisher), json!({})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 3, "no mail after unsubscribing");
    let listed = app.get("/api/v1/subscribers", Some(&publisher)).await.json();
    assert_eq!(listed["counts"], json!({"pending": 0, "active": 1, "unsubscribed": 1}));
    assert_eq!(app.get("/api/v1/subscribers", None).await.status, StatusCode::UNAUTHORIZED);
}

/// An SMTP server that accepts connections and never answers costs one timeout per attempt; the
/// mail is kept for a retry, not lost.
#[tokio::test]
async fn a_silent_smtp_server_costs_a_timeout_and_the_mail_waits_for_a_retry() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", silent.local_addr().unwrap());
    let app = TestApp::with(|s| {
        s.notifications.smtp_url = parapet_server::config::Secret::new(url);
        s.notifications.mail_from = "Example PSIRT <psirt@example.com>".into();
        s.notifications.smtp_timeout_seconds = 1;
        s.notifications.delivery_lease_seconds = 30;
    })
    .await;
    let reply = app.post("/api/v1/subscriptions", None, json!({"email": "carol@example.net"})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let id = app.state.store.subscribers(0, 1).await.unwrap()[0].id;
    let _server = spawn(&app).await;
    let started = Instant::now();
    loop {
        let log = app.state.store.deliveries_to("email", id, 10).await.unwrap();
        if log[0].attempts == 1 {
            assert_eq!(log[0].status, "pending", "kept for a retry: {log:?}");
            assert_eq!(log[0].last_error.as_deref(), Some("SMTP: timed out connecting"));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no attempt recorded: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(10), "the attempt took {:?}", started.elapsed());
    drop(silent);
}

/// The advance notice and the bulletin that follows reach a subscriber by mail: the notice with
/// its aggregates only, the bulletin with its severity, links and CSAF file.
#[tokio::test]
async fn the_advance_notice_and_the_bulletin_are_mailed() {
    use parapet_server::releases::ManualClock;
    use time::macros::datetime;
    let smtp = SmtpServer::start();
    let clock = std::sync::Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::with(|s| {
        s.notifications.smtp_url = parapet_server::config::Secret::new(smtp.url());
        s.notifications.mail_from = "Example PSIRT <psirt@example.com>".into();
    })
    .await
    .on_clock(clock.clone());
    let store = &app.state.store;
    store.subscribe("dan@example.com", &parapet_store::EndpointFilters::default(), "n", 0).await.unwrap();
    let dan = store.subscribers(0, 1).await.unwrap()[0].id;
    assert!(store.confirm_subscriber(dan, "n", "confirmed").await.unwrap());

    let (publisher, _, id) = crate::publishing::draft_bulletin(&app).await;
    app.post(&format!("/api/v1/documents/{id}/schedule"), Some(&publisher), json!({"at": "next_release"})).await;
    clock.set(datetime!(2026-12-03 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    let _server = spawn(&app).await;
    let notice = smtp.wait_for(1).await.remove(0);
    assert_eq!(notice.subject, "Advance notification: 2026-12 security release");
    assert_eq!(notice.to, "dan@example.com");
    for expected in
        ["Security bulletins: 1", "Highest severity: Critical", "Products: Widget Server", "Restart: may be required"]
    {
        assert!(notice.text.contains(expected), "{expected:?} missing: {}", notice.text);
    }
    for embargoed in ["CVE-2026-31001", "PSB-2026-001", "heap overflow", "2.4.1", "Ada Lovelace"] {
        assert!(!notice.text.contains(embargoed) && !notice.html.contains(embargoed), "{embargoed} in the notice");
    }

    clock.set(datetime!(2026-12-08 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    let mails = smtp.wait_for(2).await;
    let bulletin = mails.iter().find(|m| m.subject.starts_with("Security bulletin")).unwrap();
    assert_eq!(bulletin.subject, "Security bulletin PSB-2026-001 (Critical): Security update for Widget Server");
    assert!(bulletin.text.contains("Severity: Critical") && bulletin.text.contains("Products: Widget Server"));
    assert!(bulletin.text.contains("Read it: http://127.0.0.1:8080/documents/PSB-2026-001"), "{}", bulletin.text);
    assert!(
        bulletin.text.contains("CSAF: http://127.0.0.1:8080/.well-known/csaf/white/2026/psb-2026-001.json"),
        "{}",
        bulletin.text
    );
    assert!(bulletin.message_id.starts_with("<evt_document_PSB-2026-001_"));
}
