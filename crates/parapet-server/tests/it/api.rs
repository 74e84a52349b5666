//! The JSON API: behaviour, bad input, and the OpenAPI document.

use axum::http::{Method, StatusCode};
use parapet_model::Role;
use serde_json::json;

use crate::TestApp;

#[tokio::test]
async fn report_becomes_a_case_for_analysts_only() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    let tracking = app.report("SQL injection in login").await;

    let anonymous = app.get("/api/v1/cases", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["error"]["code"], "unauthenticated");
    assert_eq!(anonymous.headers["www-authenticate"], "Bearer");

    let listed = app.get("/api/v1/cases", Some(&analyst)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["title"], "SQL injection in login");
    assert_eq!(listed["items"][0]["state"], "new");

    // The reporter follows the case and talks with the analysts.
    let status = app.get(&format!("/api/v1/reports/{tracking}"), None).await.json();
    assert_eq!((status["state"].as_str(), status["title"].as_str()), (Some("new"), Some("SQL injection in login")));
    let id = listed["items"][0]["id"].as_i64().unwrap();
    let reply = app
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            Some(&analyst),
            json!({"body": "Can you share a PoC?", "visibility": "reporter"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    app.post(&format!("/api/v1/cases/{id}/messages"), Some(&analyst), json!({"body": "internal: CVSS 9?"})).await;
    let answer =
        app.post(&format!("/api/v1/reports/{tracking}/messages"), None, json!({"body": "Attached below."})).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let status = app.get(&format!("/api/v1/reports/{tracking}"), None).await.json();
    let bodies: Vec<&str> =
        status["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Can you share a PoC?", "Attached below."], "internal notes never reach the reporter");
    assert_eq!(app.get("/api/v1/reports/not-a-token", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn case_lifecycle() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    let product = app
        .post(
            "/api/v1/products",
            Some(&analyst),
            json!({"vendor": "Acme", "name": "Widget", "purl": "pkg:generic/acme/widget"}),
        )
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.text());
    let product_id = product.json()["id"].as_i64().unwrap();
    let created = app
        .post(
            "/api/v1/cases",
            Some(&analyst),
            json!({
                "title": "Buffer overflow", "description": "in the parser",
                "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
                "affected": [{"product_id": product_id, "versions": "< 2.4.1", "fixed_version": "2.4.1"}],
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let case = created.json();
    assert_eq!(case["severity"], "important", "9.6 with user interaction is capped at Important");
    let id = case["id"].as_i64().unwrap();
    let uri = format!("/api/v1/cases/{id}");

    let patched = app
        .call(
            Method::PATCH,
            &uri,
            Some(&analyst),
            Some(json!({"severity_override": "critical", "severity_override_reason": "wormable"})),
        )
        .await;
    assert_eq!(patched.json()["severity"], "critical");
    for state in ["triaged", "confirmed", "fix_in_progress", "fix_ready", "scheduled"] {
        let moved = app.post(&format!("{uri}/transition"), Some(&analyst), json!({"state": state})).await;
        assert_eq!(moved.status, StatusCode::OK, "{state}: {}", moved.text());
    }
    let timeline = app.get(&format!("{uri}/timeline"), Some(&analyst)).await.json();
    let actions: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "case.transition").count(), 5);
    assert_eq!(actions[0], "case.create");
    assert!(timeline.as_array().unwrap().iter().all(|e| e["actor"] == "ana"));

    let filtered =
        app.get("/api/v1/cases?state=scheduled&severity=critical&sort=title&order=asc", Some(&analyst)).await.json();
    assert_eq!(filtered["total"], 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    let ok = app
        .post("/api/v1/cases", Some(&analyst), json!({"title": "t", "description": "d", "cve_id": "CVE-2026-0001"}))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let id = ok.json()["id"].as_i64().unwrap();
    let uri = format!("/api/v1/cases/{id}");

    let table = [
        (Method::POST, "/api/v1/cases".to_owned(), json!({"title": "t"}), "description"),
        (
            Method::POST,
            "/api/v1/cases".into(),
            json!({"title": "t", "description": "d", "cvss_v31": "CVSS:3.1/AV:N"}),
            "cvss_v31",
        ),
        (
            Method::POST,
            "/api/v1/cases".into(),
            json!({"title": "t", "description": "d", "cvss_v4": "CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}),
            "cvss_v4",
        ),
        (
            Method::POST,
            "/api/v1/cases".into(),
            json!({"title": "t", "description": "d", "cve_id": "CVE-2026-0001"}),
            "cve_id",
        ),
        (
            Method::POST,
            "/api/v1/cases".into(),
            json!({"title": "t", "description": "d", "exploitability_index": "sometimes"}),
            "exploitability_index",
        ),
        (Method::POST, "/api/v1/cases".into(), json!({"title": 7, "description": "d"}), "title"),
        (Method::POST, "/api/v1/cases".into(), json!({"title": "t", "description": "d", "colour": "red"}), "colour"),
        (Method::POST, format!("{uri}/transition"), json!({"state": "disclosed"}), "state"),
        (Method::POST, format!("{uri}/transition"), json!({"state": "published"}), "state"),
        (Method::PATCH, uri.clone(), json!({"title": "x".repeat(301)}), "title"),
        (Method::PATCH, uri.clone(), json!({"reporter_email": "<script>@"}), "reporter_email"),
        (Method::POST, "/api/v1/products".into(), json!({"vendor": "A", "name": "B", "cpe": "cpe:/a:x"}), "cpe"),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"name": "x", "role": "god", "password": "long enough password"}),
            "role",
        ),
    ];
    for (method, uri, body, field) in table {
        let reply = app.call(method.clone(), &uri, Some(&analyst), Some(body.clone())).await;
        if uri == "/api/v1/users" {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "analysts cannot manage users");
            continue;
        }
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {uri} {body}: {}", reply.text());
        assert_eq!(reply.json()["error"]["field"], field, "{method} {uri} {body}");
    }
    let disclosed = app.post(&format!("{uri}/transition"), Some(&analyst), json!({"state": "disclosed"})).await.json();
    assert_eq!(
        disclosed["error"]["message"],
        "cannot move a case from new to disclosed; allowed from new: triaged, rejected, duplicate"
    );

    let cases = app.get("/api/v1/cases", Some(&analyst)).await.json();
    assert_eq!(cases["total"], 1, "refused changes leave nothing behind");
    assert_eq!(cases["items"][0]["title"], "t");
    assert_eq!(cases["items"][0]["state"], "new");

    // Not JSON, too large, wrong content type, unknown query values.
    let raw = |body: &'static str, content_type: &'static str| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/cases")
            .header("authorization", format!("Bearer {analyst}"))
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    assert_eq!(app.send(raw("{not json", "application/json")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.send(raw("{}", "text/plain")).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"title\": \"t\", \"description\": \"{}\"}}", "a".repeat(400 * 1024));
    let too_large = app.post("/api/v1/cases", Some(&analyst), serde_json::from_str(&huge).unwrap()).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    let bad_query = app.get("/api/v1/cases?severity=urgent", Some(&analyst)).await;
    assert_eq!(
        (bad_query.status, bad_query.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("severity"))
    );
    // Errors that axum answers by itself get the same shape.
    let wrong_method = app.call(Method::PUT, "/api/v1/cases", Some(&analyst), None).await;
    assert_eq!(
        (wrong_method.status, wrong_method.json()["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let not_multipart = app.post(&format!("{uri}/attachments"), Some(&analyst), json!({"file": "x"})).await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
    assert!(not_multipart.json()["error"]["message"].is_string());
    let bad_sort = app.get("/api/v1/cases?sort=id;DROP%20TABLE%20cases", Some(&analyst)).await;
    assert_eq!(bad_sort.json()["error"]["field"], "sort");
}

#[tokio::test]
async fn roles_and_token_scopes() {
    let app = TestApp::new().await;
    let auditor = app.user("aud", Role::Auditor).await;
    let publisher = app.user("pub", Role::Publisher).await;
    let admin = app.user("root", Role::Admin).await;
    let analyst = app.user("ana", Role::Analyst).await;
    let case = app.post("/api/v1/cases", Some(&analyst), json!({"title": "t", "description": "d"})).await.json();
    let uri = format!("/api/v1/cases/{}", case["id"]);

    assert_eq!(app.get(&uri, Some(&auditor)).await.status, StatusCode::OK, "auditors read cases");
    assert_eq!(
        app.call(Method::PATCH, &uri, Some(&auditor), Some(json!({"title": "x"}))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("{uri}/transition"), Some(&publisher), json!({"state": "triaged"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/api/v1/audit", Some(&auditor)).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/audit", Some(&analyst)).await.status, StatusCode::FORBIDDEN);

    // A read-only token made from a read-write one cannot write, and cannot mint a writer.
    let created = app.post("/api/v1/tokens", Some(&analyst), json!({"name": "ci", "scopes": ["read"]})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let read_only = created.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&uri, Some(&read_only)).await.status, StatusCode::OK);
    assert_eq!(
        app.call(Method::PATCH, &uri, Some(&read_only), Some(json!({"title": "x"}))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/tokens", Some(&read_only), json!({"name": "w", "scopes": ["write"]})).await.status,
        StatusCode::FORBIDDEN
    );

    // Tokens are listed without their secret, show when they were used, and can be revoked.
    let tokens = app.get("/api/v1/tokens", Some(&analyst)).await;
    assert!(!tokens.text().contains(&read_only) && !tokens.text().contains("token_hash"));
    let ci = tokens.json().as_array().unwrap().iter().find(|t| t["name"] == "ci").cloned().unwrap();
    assert!(!ci["last_used_at"].is_null());
    let revoked = app.call(Method::DELETE, &format!("/api/v1/tokens/{}", ci["id"]), Some(&analyst), None).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(app.get(&uri, Some(&read_only)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&uri, Some("ppt_forged")).await.status, StatusCode::UNAUTHORIZED);

    // Admins manage users; new passwords must be long enough.
    let short =
        app.post("/api/v1/users", Some(&admin), json!({"name": "eve", "role": "analyst", "password": "short"})).await;
    assert_eq!(short.json()["error"]["field"], "password");
    let eve = app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"name": "eve", "role": "analyst", "password": "long enough password"}),
        )
        .await;
    assert_eq!(eve.status, StatusCode::CREATED);
    assert!(!eve.text().contains("argon2"), "password hashes are never returned");
    let audit = app.get("/api/v1/audit?entity=user", Some(&admin)).await.text();
    assert!(!audit.contains("argon2") && !audit.contains("long enough password"));
    let csv = app.get("/api/v1/audit?format=csv", Some(&admin)).await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.text().starts_with("id,at,actor,action,entity,entity_id,before,after\n"));
}

#[tokio::test]
async fn cve_pool_and_attachments() {
    let app = TestApp::new().await;
    let analyst = app.user("ana", Role::Analyst).await;
    app.state.store.add_to_cve_pool(&["CVE-2026-5000".into()]).await.unwrap();
    let case = app.post("/api/v1/cases", Some(&analyst), json!({"title": "t", "description": "d"})).await.json();
    let uri = format!("/api/v1/cases/{}", case["id"]);
    let assigned = app.call(Method::POST, &format!("{uri}/cve"), Some(&analyst), None).await.json();
    assert_eq!(assigned["cve_id"], "CVE-2026-5000");
    let other = app.post("/api/v1/cases", Some(&analyst), json!({"title": "u", "description": "d"})).await.json();
    let empty = app.call(Method::POST, &format!("/api/v1/cases/{}/cve", other["id"]), Some(&analyst), None).await;
    assert_eq!(empty.json()["error"]["field"], "cve_id");

    let boundary = "XBOUNDARY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"poc.html\"\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n--{boundary}--\r\n"
    );
    let upload = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{uri}/attachments"))
        .header("authorization", format!("Bearer {analyst}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    let uploaded = app.send(upload).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    let attachment = uploaded.json();
    let download = app.get(&format!("{uri}/attachments/{}", attachment["id"]), Some(&analyst)).await;
    assert_eq!(download.body, b"<script>alert(1)</script>");
    assert_eq!(download.headers["content-type"], "application/octet-stream", "uploads are never served as HTML");
    assert!(download.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
}

#[tokio::test]
async fn intake_is_rate_limited_per_client() {
    let app = TestApp::with(|s| s.intake.reports_per_minute = 2).await;
    app.report("one").await;
    app.report("two").await;
    let third = app.post("/api/v1/reports", None, json!({"title": "three", "description": "d"})).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.json()["error"]["code"], "rate_limited");
}

/// Every API route is documented in the served OpenAPI document, and the document is OpenAPI 3.
#[tokio::test]
async fn openapi_covers_every_route() {
    let app = TestApp::new().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let table = parapet_server::routes(&app.state);
    let routes: Vec<&str> =
        table.table().iter().filter(|r| r.surface == parapet_server::Surface::Api).map(|r| r.path).collect();
    // Every API route is under /api/v1, and nothing under /api/ is served as a page or a file.
    assert!(routes.iter().all(|r| r.starts_with("/api/v1/")));
    assert!(
        table.table().iter().filter(|r| r.path.starts_with("/api/")).all(|r| r.surface == parapet_server::Surface::Api)
    );
    assert!(routes.len() > 15);
    for route in routes {
        let path = route.strip_prefix("/api/v1").unwrap();
        assert!(doc["paths"].get(path).is_some(), "{route} is not in openapi.json");
    }
    assert!(doc["components"]["schemas"]["Error"].is_object());
}
