//! The outbox: a publication writes its message in its own transaction; fan-out gives each
//! matching endpoint one delivery, once; workers claim under a lease; failures retry, pause an
//! endpoint that keeps failing, and end in the dead-letter list, from which an admin redelivers.

use parapet_model::PostInput;
use parapet_store::{Attempt, EndpointFilters};
use time::OffsetDateTime;

use crate::{TestStore, on_both};

on_both!(fan_out_claim_retry_pause_and_redeliver);

async fn fan_out_claim_retry_pause_and_redeliver(store: TestStore) {
    let all = store
        .create_endpoint("admin", "https://hooks.example/all", "standard", &EndpointFilters::default(), "sealed-a")
        .await
        .unwrap();
    let documents_only = EndpointFilters { kinds: vec!["document".into()], ..Default::default() };
    store.create_endpoint("admin", "https://hooks.example/docs", "slack", &documents_only, "sealed-b").await.unwrap();
    let widget_only = EndpointFilters { products: vec!["Widget".into()], ..Default::default() };
    store.create_endpoint("admin", "https://hooks.example/widget", "standard", &widget_only, "sealed-c").await.unwrap();

    // Publishing a post writes its message; fan-out in batches of two endpoints.
    let input = PostInput { slug: None, title: "Hello".into(), summary: "First post.".into(), body: "Text".into() };
    store.create_post("pat", &input.validate().unwrap()).await.unwrap();
    store.publish_post("pat", "hello", None).await.unwrap();
    assert_eq!(store.fan_out(2).await.unwrap(), Some(1), "the first batch: one endpoint wants posts");
    assert_eq!(store.fan_out(2).await.unwrap(), Some(0), "the second batch: the product filter says no");
    assert_eq!(store.fan_out(2).await.unwrap(), Some(0), "the email subscribers: none");
    assert_eq!(store.fan_out(2).await.unwrap(), None, "done");

    // One worker holds the delivery; another finds nothing.
    let claimed = store.claim_deliveries("worker-a", 10, 60_000).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let delivery = &claimed[0];
    assert_eq!((delivery.message_id.as_str(), delivery.target), ("evt_post_hello", all.id));
    assert_eq!(delivery.payload["type"], "post.published");
    assert!(store.claim_deliveries("worker-b", 10, 60_000).await.unwrap().is_empty());

    // A failure to retry at once, then one to give up: the endpoint pauses after two.
    let failed = |retry: bool| Attempt::Failed {
        retry_at: retry.then(OffsetDateTime::now_utc),
        status_code: Some(503),
        error: "HTTP 503".into(),
        duration_ms: 12,
    };
    store.record_attempt("worker-a", delivery, &failed(true), 2).await.unwrap();
    let again = store.claim_deliveries("worker-b", 10, 60_000).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    // A worker whose lease was taken records nothing.
    store
        .record_attempt("worker-a", &again[0], &Attempt::Delivered { status_code: Some(200), duration_ms: 1 }, 2)
        .await
        .unwrap();
    store.record_attempt("worker-b", &again[0], &failed(false), 2).await.unwrap();
    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].attempts, dead[0].last_error.as_deref()), (2, Some("HTTP 503")));
    assert!(store.endpoint(all.id).await.unwrap().unwrap().paused_at.is_some(), "paused after two failures in a row");

    // Redelivered by an admin: it waits while the endpoint is paused, goes once resumed.
    store.redeliver("admin", dead[0].id).await.unwrap();
    assert!(store.redeliver("admin", dead[0].id).await.is_err(), "only dead deliveries");
    assert!(store.claim_deliveries("worker-a", 10, 60_000).await.unwrap().is_empty());
    store.resume_endpoint("admin", all.id).await.unwrap();
    let resumed = store.claim_deliveries("worker-a", 10, 60_000).await.unwrap();
    assert_eq!(resumed.len(), 1);
    store
        .record_attempt("worker-a", &resumed[0], &Attempt::Delivered { status_code: Some(204), duration_ms: 3 }, 2)
        .await
        .unwrap();
    let log = store.deliveries_to("webhook", all.id, 10).await.unwrap();
    assert_eq!((log[0].status.as_str(), log.len()), ("delivered", 1));
    assert!(log[0].delivered_at.is_some());
    assert_eq!(store.endpoint(all.id).await.unwrap().unwrap().failures, 0);
    assert!(store.claim_deliveries("worker-a", 10, 60_000).await.unwrap().is_empty());

    // A rotation keeps the old secret for a while.
    let rotated = store.rotate_endpoint_secret("admin", all.id, "sealed-a2", OffsetDateTime::now_utc()).await.unwrap();
    assert_eq!(
        (rotated.sealed_secret.as_str(), rotated.sealed_previous_secret.as_deref()),
        ("sealed-a2", Some("sealed-a"))
    );
}

on_both!(renewed_claims_stay_with_their_worker);

async fn renewed_claims_stay_with_their_worker(store: TestStore) {
    store
        .create_endpoint("admin", "https://hooks.example/a", "standard", &EndpointFilters::default(), "s")
        .await
        .unwrap();
    let input = PostInput { slug: None, title: "Hello".into(), summary: "S".into(), body: "B".into() };
    store.create_post("pat", &input.validate().unwrap()).await.unwrap();
    store.publish_post("pat", "hello", None).await.unwrap();
    while store.fan_out(10).await.unwrap().is_some() {}
    let claimed = store.claim_deliveries("worker-a", 10, 100).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // Renewed before it ran out: another worker cannot take it.
    store.extend_leases("worker-a", &[claimed[0].id], 60_000).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(store.claim_deliveries("worker-b", 10, 60_000).await.unwrap().is_empty());
    // Without renewal a claim runs out and goes to whoever asks; another worker's renewal does
    // not hold it.
    store.extend_leases("worker-a", &[claimed[0].id], 100).await.unwrap();
    store.extend_leases("worker-b", &[claimed[0].id], 60_000).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let taken = store.claim_deliveries("worker-b", 10, 60_000).await.unwrap();
    assert_eq!(taken.iter().map(|d| d.id).collect::<Vec<_>>(), vec![claimed[0].id]);
}
