//! The delivery worker in `serve`: it fans new outbox messages out into deliveries and carries
//! the due ones to webhook endpoints and mailboxes. Several servers share the work through the
//! claims in the database; each keeps a bounded number of deliveries in flight, starts new ones as
//! others finish (a hanging receiver holds one slot, not a batch), and records finished attempts
//! in batches.

use parapet_notify::retry::{Next, Policy};
use parapet_store::{Attempt, ClaimedDelivery, Subscriber};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::mail::Mailer;
use crate::state::AppState;

/// Deliveries one server keeps in flight.
const IN_FLIGHT: usize = 256;
/// Outbox targets turned into deliveries per fan-out transaction.
const FAN_OUT_BATCH: u32 = 500;

/// A failed attempt: retried after the policy's wait, or dead-lettered when the policy gives up.
pub(crate) fn failure(
    delivery: &ClaimedDelivery,
    policy: &Policy,
    started: Instant,
    error: String,
    status_code: Option<u16>,
) -> Attempt {
    let age = (time::OffsetDateTime::now_utc() - delivery.message_created_at).unsigned_abs();
    let jitter: f64 = rand::Rng::random(&mut rand::rng());
    let retry_at = match policy.after_failure(delivery.attempts as u32 + 1, age, jitter) {
        Next::RetryAfter(wait) => Some(time::OffsetDateTime::now_utc() + wait),
        Next::GiveUp => None,
    };
    Attempt::Failed { retry_at, status_code, error, duration_ms: started.elapsed().as_millis() as i64 }
}

/// A failed attempt never to be retried: it goes to the dead letters.
pub(crate) fn give_up(started: Instant, error: String, status_code: Option<u16>) -> Attempt {
    Attempt::Failed { retry_at: None, status_code, error, duration_ms: started.elapsed().as_millis() as i64 }
}

/// Runs until `stop`, then lets the deliveries in flight finish and records them.
pub async fn worker(state: AppState, mailer: Option<Arc<Mailer>>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let owner = format!("serve-{}", uuid::Uuid::new_v4().simple());
    let client = super::webhooks::client(&state);
    let policy = state.settings.notifications.retry_policy();
    let pause_after = state.settings.notifications.webhook_pause_after.max(1);
    // An attempt takes less than its timeouts, so an expired claim means the server holding it is
    // gone, and another may take the delivery.
    let lease_ms = (state.settings.notifications.delivery_lease_seconds.max(1) * 1000) as i64;
    // Tasks of their own, so that they go on while this loop waits on the database.
    let mut in_flight = tokio::task::JoinSet::new();
    let mut finished: Vec<(ClaimedDelivery, Attempt)> = Vec::new();
    // The claims in flight, renewed every third of a lease while they wait or run.
    let mut held: HashMap<tokio::task::Id, i64> = HashMap::new();
    let renew_every = Duration::from_millis(lease_ms as u64 / 3);
    let mut last_renewal = Instant::now();
    // When to look again for work after finding none: idle servers poll, busy ones do not wait.
    let idle = Duration::from_millis(250);
    let (mut next_fan_out, mut next_claim) = (Instant::now(), Instant::now());
    let mut last_record = Instant::now();
    loop {
        let stopping = *stop.borrow();
        if !stopping && Instant::now() >= next_fan_out {
            // One batch per turn, so that delivery starts while a large fan-out goes on.
            match state.store.fan_out(FAN_OUT_BATCH).await {
                Ok(Some(_)) => next_claim = Instant::now(),
                Ok(None) => next_fan_out = Instant::now() + idle,
                Err(e) => {
                    tracing::error!(error = %e, "cannot fan out notifications");
                    next_fan_out = Instant::now() + idle;
                }
            }
        }
        if !stopping && in_flight.len() < IN_FLIGHT / 2 && Instant::now() >= next_claim {
            let room = (IN_FLIGHT - in_flight.len()) as u32;
            match state.store.claim_deliveries(&owner, room, lease_ms).await {
                Ok(claimed) => {
                    if claimed.is_empty() {
                        next_claim = Instant::now() + idle;
                    }
                    let subscribers = subscribers_of(&state, &claimed).await;
                    for delivery in claimed {
                        let delivery_id = delivery.id;
                        let (state, client, mailer) = (state.clone(), client.clone(), mailer.clone());
                        let subscriber = match &subscribers {
                            Some(found) => Ok(found.get(&delivery.target).cloned()),
                            None => Err(()),
                        };
                        let task = in_flight.spawn(async move {
                            let attempt = match subscriber {
                                Ok(subscriber) => {
                                    attempt(&state, &client, mailer.as_deref(), &delivery, subscriber.as_ref(), &policy)
                                        .await
                                }
                                Err(()) => failure(
                                    &delivery,
                                    &policy,
                                    Instant::now(),
                                    "cannot read the subscriber".into(),
                                    None,
                                ),
                            };
                            (delivery, attempt)
                        });
                        held.insert(task.id(), delivery_id);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim deliveries");
                    next_claim = Instant::now() + idle;
                }
            }
        }
        if in_flight.is_empty() {
            if stopping {
                return;
            }
            let wake = next_fan_out.min(next_claim);
            tokio::select! {
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
            continue;
        }
        // Wait for something to finish (or a moment, to fan out and claim more), then take
        // everything else that has finished too.
        let mut done = Vec::new();
        tokio::select! {
            Some(joined) = in_flight.join_next_with_id() => done.push(joined),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        while let Some(joined) = in_flight.try_join_next_with_id() {
            done.push(joined);
        }
        for joined in done {
            match joined {
                Ok((task, outcome)) => {
                    held.remove(&task);
                    finished.push(outcome);
                }
                // A task that panicked has no attempt to record; its claim is no longer renewed,
                // expires, and the delivery is tried again.
                Err(e) => {
                    held.remove(&e.id());
                }
            }
        }
        if !held.is_empty() && last_renewal.elapsed() >= renew_every {
            let ids: Vec<i64> = held.values().copied().collect();
            if let Err(e) = state.store.extend_leases(&owner, &ids, lease_ms).await {
                tracing::error!(error = %e, "cannot renew delivery claims");
            }
            last_renewal = Instant::now();
        }
        // Attempts are recorded a batch per transaction; a short delay buys large batches.
        let due = finished.len() >= 128 || last_record.elapsed() >= Duration::from_millis(50) || in_flight.is_empty();
        if !finished.is_empty() && due {
            let batch: Vec<(&ClaimedDelivery, &Attempt)> = finished.iter().map(|(d, a)| (d, a)).collect();
            if let Err(e) = state.store.record_attempts(&owner, &batch, pause_after).await {
                // Unrecorded attempts are made again once their claims expire: at least once.
                tracing::error!(error = %e, "cannot record delivery attempts");
            }
            finished.clear();
            last_record = Instant::now();
        }
    }
}

/// The subscribers the email deliveries among `claimed` go to, read in one query; `None` when
/// they cannot be read (those mails fail this time and are retried later).
async fn subscribers_of(state: &AppState, claimed: &[ClaimedDelivery]) -> Option<HashMap<i64, Subscriber>> {
    let ids: Vec<i64> = claimed.iter().filter(|d| d.channel == "email").map(|d| d.target).collect();
    if ids.is_empty() {
        return Some(HashMap::new());
    }
    match state.store.subscribers_by_id(&ids).await {
        Ok(found) => Some(found.into_iter().map(|s| (s.id, s)).collect()),
        Err(e) => {
            tracing::error!(error = %e, "cannot read subscribers");
            None
        }
    }
}

/// One attempt at one delivery, by its channel.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    mailer: Option<&Mailer>,
    delivery: &ClaimedDelivery,
    subscriber: Option<&Subscriber>,
    policy: &Policy,
) -> Attempt {
    match (delivery.channel.as_str(), mailer) {
        ("webhook", _) => super::webhooks::deliver(state, client, delivery, policy).await,
        ("email", Some(mailer)) => mailer.deliver(state, delivery, subscriber, policy).await,
        ("email", None) => failure(
            delivery,
            policy,
            Instant::now(),
            "email is not configured on this server (notifications.smtp_url)".into(),
            None,
        ),
        (other, _) => Attempt::Cancelled { reason: format!("unknown channel {other:?}") },
    }
}
