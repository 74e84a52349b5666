//! The console and public pages, sign-in, and the operations endpoints, in process and over
//! a real socket.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use parapet_model::Role;

use crate::{PASSWORD, TestApp, csrf_field, form, page, set_cookie, sign_in};

#[tokio::test]
async fn sign_in_csrf_and_throttling() {
    let app = TestApp::new().await;
    app.user("ana", Role::Analyst).await;
    let session = sign_in(&app, "ana", PASSWORD).await.unwrap();
    let cases = app.send(page("/cases", &session)).await;
    assert_eq!(cases.status, StatusCode::OK);

    // A form post without the session's CSRF token is refused, with nothing created.
    let forged = app.send(form("/cases/new", &session, "csrf=wrong&title=t&description=d")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let token = csrf_field(&cases.text());
    let created =
        app.send(form("/cases/new", &session, &format!("csrf={token}&title=From+the+console&description=d"))).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    // The API refuses cookie-authenticated writes without the CSRF header.
    let api_write = Request::builder()
        .method("POST")
        .uri("/api/v1/cases")
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"title":"t","description":"d"}"#))
        .unwrap();
    assert_eq!(app.send(api_write).await.status, StatusCode::FORBIDDEN);

    // A sign-in without the double-submit cookie is refused.
    let no_cookie =
        app.send(form("/login", "", &format!("name=ana&password={}&csrf=x", PASSWORD.replace(' ', "+")))).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);

    // Five wrong passwords lock the name for the window, even with the right one after.
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "ana", "wrong password").await.unwrap_err().status, StatusCode::UNAUTHORIZED);
    }
    let locked = sign_in(&app, "ana", PASSWORD).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().contains("Too many failed sign-ins"));
}

#[tokio::test]
async fn session_cookie_attributes() {
    let app = TestApp::with(|s| s.auth.secure_cookies = true).await;
    app.user("ana", Role::Analyst).await;
    let login = app.get("/login", None).await;
    let login_csrf = set_cookie(&login, "parapet_login_csrf").unwrap();
    let body = format!("name=ana&password={}&csrf={login_csrf}", PASSWORD.replace(' ', "+"));
    let reply = app.send(form("/login", &format!("parapet_login_csrf={login_csrf}"), &body)).await;
    let cookie = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("parapet_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert_eq!(reply.headers[header::LOCATION], "/dashboard", "next defaults to the dashboard");
}

#[tokio::test]
async fn console_pages_render_and_escape() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    app.user("root", Role::Admin).await;
    let hostile = "<script>alert('x')</script>";
    let case = app
        .post(
            "/api/v1/cases",
            Some(&analyst),
            serde_json::json!({"title": hostile, "description": hostile, "disclosure_date": "2026-12-08"}),
        )
        .await
        .json();
    let session = sign_in(&app, "root", PASSWORD).await.unwrap();
    for uri in [
        "/dashboard",
        "/cases",
        "/cases?state=new&severity=low&sort=title&order=asc&q=x",
        "/cases/new",
        &format!("/cases/{}", case["id"]),
        "/products",
        "/users",
        "/audit",
    ] {
        let reply = app.send(page(uri, &session)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text());
        let html = reply.text();
        assert!(!html.contains("<script>"), "{uri} does not escape");
        assert!(html.contains("<main id=\"main\">") && html.contains("lang=\"en\""), "{uri} uses the layout");
    }
    let detail = app.send(page(&format!("/cases/{}", case["id"]), &session)).await.text();
    assert!(detail.contains("&lt;script&gt;"));
    let dashboard = app.send(page("/dashboard", &session)).await.text();
    assert!(dashboard.contains("2026-12-08"), "due cases are on the dashboard");
    // Signed out, the console sends people to sign in.
    let anonymous = app.get("/cases", None).await;
    assert_eq!(
        (anonymous.status, anonymous.headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login")
    );
}

#[tokio::test]
async fn public_intake_form_and_tracking_page() {
    let app = TestApp::new().await;
    let bad = app.send(form("/report", "", "title=&description=d")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("<strong>title</strong>"));
    let done =
        app.send(form("/report", "", "title=Open+redirect&description=see+%3Cb%3E&reporter_email=a%40b.example")).await;
    assert_eq!(done.status, StatusCode::CREATED);
    // Templates escape '/' in text and attributes as &#x2f;.
    let html = done.text().replace("&#x2f;", "/");
    let start = html.find("/track/").unwrap_or_else(|| panic!("no tracking link in {html}"));
    let link = html[start..].split('"').next().unwrap().to_owned();
    let tracking = app.get(&link, None).await;
    assert_eq!(tracking.status, StatusCode::OK);
    assert!(tracking.text().contains("Open redirect") && tracking.text().contains("New"));
    assert_eq!(tracking.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(tracking.headers["referrer-policy"], "no-referrer");
    let sent = app.send(form(&format!("{link}/messages"), "", "body=Here+is+more")).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(app.get(&link, None).await.text().contains("Here is more"));
}

#[tokio::test]
async fn first_admin_through_the_setup_link() {
    let app = TestApp::new().await;
    let token = parapet_server::auth::new_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    app.state.store.create_setup_token(&parapet_server::auth::digest(&token), expires).await.unwrap();
    assert_eq!(app.get(&format!("/setup/{token}"), None).await.status, StatusCode::OK);
    let done = app.send(form(&format!("/setup/{token}"), "", "name=boss&password=a+long+password")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/setup/{token}"), None).await.status, StatusCode::NOT_FOUND, "the link works once");
    sign_in(&app, "boss", "a long password").await.unwrap();
}

#[tokio::test]
async fn operations_over_a_real_socket() {
    let app = TestApp::with(|s| {
        s.security_txt.contact = vec!["mailto:security@example.com".into()];
        s.server.public_url = "https://psirt.example.com".into();
    })
    .await;
    let server = crate::spawn(&app).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", server.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let txt = get("/.well-known/security.txt").await.unwrap();
    assert_eq!(txt.headers()["content-type"], "text/plain; charset=utf-8");
    let txt = txt.text().await.unwrap();
    for line in [
        "Contact: https://psirt.example.com/report",
        "Contact: mailto:security@example.com",
        "Policy: https://psirt.example.com/policy",
        "Canonical: https://psirt.example.com/.well-known/security.txt",
    ] {
        assert!(txt.lines().any(|l| l == line), "security.txt lacks {line:?}:\n{txt}");
    }
    assert!(txt.lines().any(|l| l.starts_with("Expires: 20") && l.ends_with('Z')));
    let reply = client
        .post(format!("{}/api/v1/reports", server.base))
        .json(&serde_json::json!({"title": "over the wire", "description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    assert!(reply.headers().contains_key("x-request-id"));
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("parapet_http_requests_total{method=\"POST\",route=\"/api/v1/reports\",status=\"201\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("over the wire"));
    assert_eq!(get("/no/such/page").await.unwrap().status(), 404);
}

#[tokio::test]
async fn case_list_pages_keep_their_filters() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    for i in 0..51 {
        app.post(
            "/api/v1/cases",
            Some(&analyst),
            serde_json::json!({"title": format!("R&D leak {i}"), "description": "d"}),
        )
        .await;
    }
    let session = sign_in(&app, "ana", PASSWORD).await.unwrap();
    let html = app.send(page("/cases?q=R%26D&sort=title", &session)).await.text().replace("&#x2f;", "/");
    assert!(html.contains("51 cases."), "{html}");
    // Query strings are URL-encoded, then HTML-escaped.
    assert!(html.contains("href=\"/cases?q=R%26D&amp;sort=title&amp;page=2\""), "{html}");
    let second = app.send(page("/cases?q=R%26D&sort=title&page=2", &session)).await.text();
    assert!(second.contains("Page 2 of 2") && second.contains("rel=\"prev\""));
}

#[tokio::test]
async fn document_editor_checks_saves_and_publishes() {
    let app = TestApp::new().await;
    app.user("pat", Role::Publisher).await;
    let cookie = sign_in(&app, "pat", PASSWORD).await.unwrap();
    assert_eq!(app.get("/console/documents", None).await.status, StatusCode::SEE_OTHER, "anonymous: sign in first");
    let new = app.send(page("/console/documents/new", &cookie)).await;
    assert_eq!(new.status, StatusCode::OK);
    let csrf = csrf_field(&new.text());
    let encode = |s: &str| serde_urlencoded::to_string([("content", s)]).unwrap();

    // Not JSON, and JSON that breaks a rule: the editor says what is wrong and saves nothing.
    let body = format!("csrf={csrf}&kind=advisory&action=check&{}", encode("{not json"));
    let reply = app.send(form("/console/documents/new", &cookie, &body)).await;
    assert!(reply.text().contains("not valid document JSON"), "{}", reply.text());
    let empty_title =
        r#"{"title": "", "summary": "s", "references": [{"url": "https://acme.example", "summary": "x"}]}"#;
    let body = format!("csrf={csrf}&kind=advisory&action=save&{}", encode(empty_title));
    let reply = app.send(form("/console/documents/new", &cookie, &body)).await;
    assert!(reply.text().contains("title:"), "{}", reply.text());
    assert!(app.state.store.document_ids().await.unwrap().is_empty());

    // Check previews without saving; save creates the draft.
    let advisory = r#"{"title": "Harden <Widget>", "summary": "Turn off the legacy listener.", "category": "configuration",
        "references": [{"url": "https://acme.example/hardening", "summary": "Hardening guide"}]}"#;
    let body = format!("csrf={csrf}&kind=advisory&action=check&{}", encode(advisory));
    let checked = app.send(form("/console/documents/new", &cookie, &body)).await.text();
    assert!(checked.contains("Valid CSAF 2.0") && checked.contains("Preview: Harden &lt;Widget&gt;"), "{checked}");
    assert!(app.state.store.document_ids().await.unwrap().is_empty(), "checking saves nothing");
    let body = format!("csrf={csrf}&kind=advisory&action=save&{}", encode(advisory));
    let saved = app.send(form("/console/documents/new", &cookie, &body)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let location = saved.headers[header::LOCATION].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    assert!(id.starts_with("PSA-"), "{id}");
    let editor = app.send(page(&location, &cookie)).await.text();
    assert!(editor.contains("Schedule for the next monthly release") && editor.contains("Valid CSAF 2.0"));
    assert!(app.send(page("/console/documents", &cookie)).await.text().contains(&id));

    // Publish now; then a change needs a new revision.
    let published = app.send(form(&format!("/console/documents/{id}/publish"), &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER, "{}", published.text());
    assert_eq!(app.get(&format!("/documents/{id}"), None).await.status, StatusCode::OK);
    let body = format!("csrf={csrf}&action=save&change=&change_summary=&{}", encode(advisory));
    let refused = app.send(form(&location, &cookie, &body)).await.text();
    assert!(refused.contains("minor or major"), "{refused}");
    let body = format!("csrf={csrf}&action=save&change=minor&change_summary=Clarified&{}", encode(advisory));
    assert_eq!(app.send(form(&location, &cookie, &body)).await.status, StatusCode::SEE_OTHER);
    let stored = app
        .state
        .store
        .document(&parapet_model::Viewer::Staff { user_id: 1, name: "t".into(), role: Role::Admin, scopes: None }, &id)
        .await
        .unwrap();
    assert_eq!(stored.document.unwrap().current().unwrap().number.to_string(), "1.1");
}

#[tokio::test]
async fn notifications_console_registers_resumes_and_redelivers() {
    let app = TestApp::with(|s| s.notifications.allow_internal_targets = true).await;
    let publisher = app.user("pat", Role::Publisher).await;
    app.user("ana", Role::Analyst).await;
    let analyst = sign_in(&app, "ana", PASSWORD).await.unwrap();
    assert_eq!(app.send(page("/console/notifications", &analyst)).await.status, StatusCode::FORBIDDEN);
    let session = sign_in(&app, "pat", PASSWORD).await.unwrap();
    let overview = app.send(page("/console/notifications", &session)).await;
    assert_eq!(overview.status, StatusCode::OK);
    let csrf = csrf_field(&overview.text());

    // Registering shows the secret once.
    let forged =
        app.send(form("/console/webhooks", &session, "csrf=wrong&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let body = format!("csrf={csrf}&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&format=standard");
    let created = app.send(form("/console/webhooks", &session, &body)).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let text = created.text();
    let start = text.find("whsec_").expect("the secret is shown");
    let secret = text[start..].split('<').next().unwrap().to_owned();
    assert!(!app.send(page("/console/notifications", &session)).await.text().contains(&secret), "shown once");

    // A post whose delivery fails for good: a dead letter, and the endpoint paused.
    let dead = app.dead_delivery(&publisher).await;
    let overview = app.send(page("/console/notifications", &session)).await.text();
    for expected in ["evt_post_hello", "HTTP 500", "Redeliver", "Resume", "127.0.0.1:9"] {
        assert!(overview.contains(expected), "{expected} missing from the page");
    }
    let endpoint = dead.target;
    let log = app.send(page(&format!("/console/webhooks/{endpoint}"), &session)).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.text().contains("evt_post_hello") && log.text().contains("dead"));

    let resumed =
        app.send(form(&format!("/console/webhooks/{endpoint}/resume"), &session, &format!("csrf={csrf}"))).await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    assert!(app.state.store.endpoint(endpoint).await.unwrap().unwrap().paused_at.is_none());
    let delivery = dead.id;
    let redelivered =
        app.send(form(&format!("/console/deliveries/{delivery}/redeliver"), &session, &format!("csrf={csrf}"))).await;
    assert_eq!(redelivered.status, StatusCode::SEE_OTHER);
    assert!(app.state.store.dead_letters(10).await.unwrap().is_empty());
    assert_eq!(app.send(page("/console/subscribers", &session)).await.status, StatusCode::OK);
}
