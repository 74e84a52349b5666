//! Advance notification with a controllable clock: the notice goes out exactly three business
//! days before the release, with the right aggregates, revised when the plan changes, and
//! nothing under embargo in it — on the portal, in the API and in the feeds.

use axum::http::{Method, StatusCode};
use parapet_server::releases::ManualClock;
use serde_json::json;
use std::sync::Arc;
use time::macros::datetime;

use crate::TestApp;
use crate::publishing::draft_bulletin;

/// What the scheduled bulletin says that must not be out before the release.
const EMBARGOED: [&str; 7] = [
    "CVE-2026-31001",
    "PSB-2026-001",
    "Security update for Widget Server",
    "heap overflow",
    "2.4.0",
    "2.4.1",
    "Ada Lovelace",
];

#[tokio::test]
async fn the_advance_notice_goes_out_three_business_days_before_with_aggregates_only() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::new().await.on_clock(clock.clone());
    let (publisher, _, id) = draft_bulletin(&app).await;
    let scheduled =
        app.post(&format!("/api/v1/documents/{id}/schedule"), Some(&publisher), json!({"at": "next_release"})).await;
    assert_eq!(scheduled.json()["schedule"]["at"], "2026-12-08T17:00:00Z");

    // Tuesday 8 December 17:00: three business days before is Thursday 3 December 17:00 (the
    // weekend does not count).
    clock.set(datetime!(2026-12-03 16:59:59 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert!(app.state.store.advance_notices(10).await.unwrap().is_empty(), "not before the instant");
    clock.set(datetime!(2026-12-03 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    let notices = app.get("/api/v1/advance-notifications", None).await.json();
    let notice = &notices["items"][0];
    assert_eq!(notices["items"].as_array().unwrap().len(), 1);
    assert_eq!(notice["version"], 1);
    assert_eq!(notice["month"], "2026-12");
    assert_eq!(notice["release_at"], "2026-12-08T17:00:00Z");
    assert_eq!(notice["bulletins"], 1);
    assert_eq!(notice["highest_severity"], "critical");
    assert_eq!(notice["product_families"], json!(["Widget Server"]));
    assert_eq!(notice["restart_required"], true);
    // Published once, whoever looks again.
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert_eq!(app.state.store.advance_notice_history("2026-12").await.unwrap().len(), 1);

    // Nothing embargoed anywhere the notice shows.
    for path in [
        "/advance-notification",
        "/advance-notification/2026-12",
        "/api/v1/advance-notifications",
        "/feed.atom",
        "/feed.rss",
        "/feed.atom?kind=notice",
    ] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let text = reply.text();
        assert!(text.contains("Widget Server") || path.starts_with("/api"), "{path} shows the notice: {text}");
        for secret in EMBARGOED {
            assert!(!text.contains(secret), "{path} leaks {secret:?}: {text}");
        }
    }

    // The plan changes: the bulletin is taken off the release, and the notice is revised.
    clock.set(datetime!(2026-12-04 09:00 UTC));
    let unscheduled =
        app.call(Method::DELETE, &format!("/api/v1/documents/{id}/schedule"), Some(&publisher), None).await;
    assert_eq!(unscheduled.status, StatusCode::OK, "{}", unscheduled.text());
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    let history = app.state.store.advance_notice_history("2026-12").await.unwrap();
    assert_eq!(history.iter().map(|n| (n.version, n.summary.bulletins)).collect::<Vec<_>>(), [(1, 1), (2, 0)]);
    let page = app.get("/advance-notification/2026-12", None).await.text();
    assert!(page.contains("revision 2") && page.contains("Revision 1"), "{page}");
}

#[tokio::test]
async fn holidays_and_the_configured_days_move_the_notice() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-26 12:00 UTC)));
    let app = TestApp::with(|s| {
        s.notifications.advance_business_days = 3;
        s.notifications.holidays = vec!["2026-12-04".into()];
    })
    .await
    .on_clock(clock.clone());
    let (publisher, _, id) = draft_bulletin(&app).await;
    app.post(&format!("/api/v1/documents/{id}/schedule"), Some(&publisher), json!({"at": "next_release"})).await;
    clock.set(datetime!(2026-12-02 16:59 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert!(app.state.store.advance_notices(10).await.unwrap().is_empty());
    clock.set(datetime!(2026-12-02 17:00 UTC));
    parapet_server::documents::publishing::run_due(&app.state).await.unwrap();
    assert_eq!(
        app.state.store.advance_notices(10).await.unwrap().len(),
        1,
        "a holiday on Friday 4 moves it to Wednesday 2"
    );
}
