//! Email subscribers: double opt-in (a confirmation mail written with the request, a stale link
//! refused), reminders instead of changes for active addresses, quiet periods, preferences,
//! unsubscription cancelling what was not yet sent, and fan-out to the confirmed ones only.

use parapet_model::PostInput;
use parapet_store::{Attempt, EndpointFilters, SubscribeOutcome, SubscriberCounts};

use crate::{TestStore, on_both};

on_both!(double_opt_in_preferences_and_unsubscribe, fan_out_reaches_confirmed_subscribers_once);

async fn double_opt_in_preferences_and_unsubscribe(store: TestStore) {
    let posts = EndpointFilters { kinds: vec!["post".into()], ..Default::default() };
    let outcome = store.subscribe("Alice@Example.com", &posts, "nonce-1", 60_000).await.unwrap();
    assert_eq!(outcome, SubscribeOutcome::ConfirmationSent);
    let claimed = store.claim_deliveries("w", 10, 60_000).await.unwrap();
    assert_eq!(claimed.len(), 1, "the confirmation mail is a delivery of its own");
    assert_eq!(
        (claimed[0].channel.as_str(), claimed[0].payload["type"].as_str()),
        ("email", Some("subscription.confirm"))
    );
    let id = claimed[0].target;
    store
        .record_attempt("w", &claimed[0], &Attempt::Delivered { status_code: Some(250), duration_ms: 1 }, 10)
        .await
        .unwrap();

    // The same mailbox in other letters is the same subscriber, and is not mailed again at once.
    assert_eq!(
        store.subscribe("alice@example.com", &posts, "nonce-2", 60_000).await.unwrap(),
        SubscribeOutcome::TooSoon
    );
    assert!(store.claim_deliveries("w", 10, 60_000).await.unwrap().is_empty());
    // After the quiet period, a new request voids the first link.
    assert_eq!(
        store.subscribe("alice@example.com", &posts, "nonce-2", 0).await.unwrap(),
        SubscribeOutcome::ConfirmationSent
    );
    assert!(!store.confirm_subscriber(id, "nonce-1", "nonce-3").await.unwrap(), "a stale link");
    assert_eq!(store.subscriber(id).await.unwrap().unwrap().status, "pending");
    assert!(store.confirm_subscriber(id, "nonce-2", "nonce-3").await.unwrap());
    assert!(!store.confirm_subscriber(id, "nonce-2", "nonce-4").await.unwrap(), "a link works once");
    let subscriber = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!((subscriber.status.as_str(), subscriber.token_nonce.as_str()), ("active", "nonce-3"));
    assert_eq!(subscriber.email, "alice@example.com");

    // A request for an active address mails it a reminder and changes nothing.
    let everything = EndpointFilters::default();
    assert_eq!(
        store.subscribe("ALICE@example.com", &everything, "nonce-x", 0).await.unwrap(),
        SubscribeOutcome::ReminderSent
    );
    let subscriber = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(
        (subscriber.filters.kinds.clone(), subscriber.token_nonce.as_str()),
        (vec!["post".to_owned()], "nonce-3")
    );

    // Preferences change with the current nonce only.
    let bulletins = EndpointFilters {
        kinds: vec!["bulletin".into()],
        min_severity: Some("important".into()),
        ..Default::default()
    };
    assert!(store.update_subscriber_filters(id, "nonce-2", &bulletins).await.is_err());
    store.update_subscriber_filters(id, "nonce-3", &bulletins).await.unwrap();
    assert_eq!(store.subscriber(id).await.unwrap().unwrap().filters, bulletins);

    // Confirming cancelled the second confirmation mail; unsubscribing cancels the reminder.
    let waiting = store.deliveries_to("email", id, 10).await.unwrap();
    let status = |prefix: &str| waiting.iter().find(|d| d.message_id.starts_with(prefix)).unwrap().status.clone();
    assert_eq!((status("evt_confirm_").as_str(), status("evt_reminder_").as_str()), ("cancelled", "pending"));
    assert!(store.unsubscribe(id, "nonce-2").await.is_err(), "a stale link");
    store.unsubscribe(id, "nonce-3").await.unwrap();
    store.unsubscribe(id, "nonce-3").await.unwrap();
    let after = store.deliveries_to("email", id, 10).await.unwrap();
    assert!(after.iter().all(|d| d.status != "pending"), "{after:?}");
    assert!(store.claim_deliveries("w", 10, 60_000).await.unwrap().is_empty());
    assert_eq!(store.subscriber_counts().await.unwrap(), SubscriberCounts { pending: 0, active: 0, unsubscribed: 1 });
}

async fn fan_out_reaches_confirmed_subscribers_once(store: TestStore) {
    let mut ids = Vec::new();
    for (n, kinds) in
        [(0, vec![]), (1, vec!["post".to_owned()]), (2, vec!["bulletin".to_owned()]), (3, vec![]), (4, vec![])]
    {
        let email = format!("reader{n}@example.org");
        let filters = EndpointFilters { kinds, ..Default::default() };
        store.subscribe(&email, &filters, &format!("n{n}"), 0).await.unwrap();
        ids.push(store.subscribers(0, 100).await.unwrap().last().unwrap().id);
    }
    // Reader 3 never confirms; the others do.
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| *n != 3) {
        assert!(store.confirm_subscriber(*id, &format!("n{n}"), "active").await.unwrap());
    }
    // The confirmation mails are out of the way.
    for delivery in store.claim_deliveries("w", 100, 60_000).await.unwrap() {
        store
            .record_attempt("w", &delivery, &Attempt::Delivered { status_code: Some(250), duration_ms: 1 }, 10)
            .await
            .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let input = PostInput { slug: None, title: "News".into(), summary: "S".into(), body: "B".into() };
    store.create_post("pat", &input.validate().unwrap()).await.unwrap();
    store.publish_post("pat", "news", None).await.unwrap();
    // Reader 4 unsubscribes after the post was published, before fan-out.
    store.unsubscribe(ids[4], "active").await.unwrap();

    // Batches of two: the (empty) webhook pass, then the subscribers.
    let mut made = 0;
    while let Some(n) = store.fan_out(2).await.unwrap() {
        made += n;
    }
    assert_eq!(made, 2, "readers 0 and 1 want posts; 2 wants bulletins, 3 is pending, 4 left");
    // Redoing fan-out never makes a second delivery.
    assert_eq!(store.fan_out(2).await.unwrap(), None);
    let claimed = store.claim_deliveries("w", 100, 60_000).await.unwrap();
    let mut targets: Vec<i64> = claimed.iter().map(|d| d.target).collect();
    targets.sort();
    assert_eq!(targets, vec![ids[0], ids[1]]);
    assert!(claimed.iter().all(|d| d.message_id == "evt_post_news" && d.channel == "email"));

    // Someone who confirms after a message was written does not get it.
    store.subscribe("late@example.org", &EndpointFilters::default(), "late", 0).await.unwrap();
    let late = store.subscribers(0, 100).await.unwrap().last().unwrap().id;
    assert!(store.confirm_subscriber(late, "late", "active").await.unwrap());
    assert!(store.deliveries_to("email", late, 10).await.unwrap().iter().all(|d| d.message_id != "evt_post_news"));
}
