//! Email subscribers: double opt-in, preferences and unsubscription. The server derives every
//! link's token from a subscriber's ID and `token_nonce` (see `parapet_notify::email`), so the
//! store keeps no token; it only checks that the nonce a link was made from is still current.
//!
//! The mails a subscription sends (the confirmation, the reminder to an address that is already
//! subscribed) are outbox messages with one email delivery each, written in the transaction that
//! decides to send them, so that they are retried like any other delivery.

use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use crate::outbox::EndpointFilters;
use crate::{Store, StoreError, from_ms, now_ms};

/// A subscriber as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    /// `pending`, `active` or `unsubscribed`.
    pub status: String,
    pub filters: EndpointFilters,
    /// What tokens are derived from; never shown.
    #[serde(skip)]
    pub token_nonce: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirm_sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What a subscription request led to. Callers answer every outcome the same way, so that
/// nobody learns from the answer whether an address is subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A confirmation link is on its way.
    ConfirmationSent,
    /// The address was already subscribed; it gets a link to its preferences instead.
    ReminderSent,
    /// A mail went to the address a short while ago; nothing is sent again yet.
    TooSoon,
}

/// How many subscribers are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubscriberCounts {
    pub pending: i64,
    pub active: i64,
    pub unsubscribed: i64,
}

const COLUMNS: &str = "id, email, status, filters, token_nonce, confirm_sent_at, confirmed_at, created_at";

impl Store {
    /// Handles a request to subscribe `email` with `filters`. A new or lapsed address becomes
    /// pending with `nonce` and is mailed a confirmation link; an active one is mailed a link to
    /// its preferences (its preferences are not changed by a request anyone could make). Nothing
    /// is mailed to an address mailed less than `quiet_ms` ago.
    pub async fn subscribe(
        &self,
        email: &str,
        filters: &EndpointFilters,
        nonce: &str,
        quiet_ms: i64,
    ) -> Result<SubscribeOutcome, StoreError> {
        let now = now_ms();
        let key = email.to_lowercase();
        let filters_json = serde_json::to_string(filters).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write_tx().await?;
        let existing = sqlx::query::<Any>(&format!(
            "SELECT id, status, confirm_sent_at FROM subscribers WHERE email_key = $1{}",
            // Waits for a concurrent request for the same address rather than skipping its row.
            self.backend.lock_suffix()
        ))
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match existing {
            None => {
                // A concurrent request for a new address may have inserted it first: then that
                // one mails it, and this one is inside its quiet period.
                let id = sqlx::query_scalar::<Any, i64>(
                    "INSERT INTO subscribers (email, email_key, status, filters, token_nonce, confirm_sent_at, \
                     created_at, updated_at) VALUES ($1, $2, 'pending', $3, $4, $5, $5, $5) \
                     ON CONFLICT (email_key) DO NOTHING RETURNING id",
                )
                .bind(email)
                .bind(&key)
                .bind(&filters_json)
                .bind(nonce)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                match id {
                    Some(id) => {
                        send_one(&mut tx, id, &format!("evt_confirm_{id}_{now}"), "subscription.confirm").await?;
                        SubscribeOutcome::ConfirmationSent
                    }
                    None => SubscribeOutcome::TooSoon,
                }
            }
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let status: String = row.try_get("status")?;
                let last: Option<i64> = row.try_get("confirm_sent_at")?;
                if last.is_some_and(|at| now - at < quiet_ms) {
                    SubscribeOutcome::TooSoon
                } else if status == "active" {
                    sqlx::query::<Any>("UPDATE subscribers SET confirm_sent_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    send_one(&mut tx, id, &format!("evt_reminder_{id}_{now}"), "subscription.reminder").await?;
                    SubscribeOutcome::ReminderSent
                } else {
                    // A new nonce: links mailed for an earlier request stop working.
                    sqlx::query::<Any>(
                        "UPDATE subscribers SET status = 'pending', email = $1, filters = $2, token_nonce = $3, \
                         confirm_sent_at = $4, updated_at = $4 WHERE id = $5",
                    )
                    .bind(email)
                    .bind(&filters_json)
                    .bind(nonce)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    send_one(&mut tx, id, &format!("evt_confirm_{id}_{now}"), "subscription.confirm").await?;
                    SubscribeOutcome::ConfirmationSent
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Confirms a pending subscriber whose confirmation link was made from `nonce`, and gives it
    /// `new_nonce` so that the confirmation link cannot be used again; confirmation mails still
    /// waiting are cancelled. Returns whether it was
    /// confirmed now (false: already active, or the link is stale).
    pub async fn confirm_subscriber(&self, id: i64, nonce: &str, new_nonce: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE subscribers SET status = 'active', confirmed_at = $1, token_nonce = $2, updated_at = $1 \
             WHERE id = $3 AND token_nonce = $4 AND status = 'pending'",
        )
        .bind(now)
        .bind(new_nonce)
        .bind(id)
        .bind(nonce)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            // A confirmation mail not yet sent has nothing left to ask.
            sqlx::query::<Any>(
                "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL \
                 WHERE channel = 'email' AND target = $1 AND status = 'pending' AND message_id LIKE 'evt_confirm_%'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// Replaces an active subscriber's preferences, when its link was made from `nonce`.
    pub async fn update_subscriber_filters(
        &self,
        id: i64,
        nonce: &str,
        filters: &EndpointFilters,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE subscribers SET filters = $1, updated_at = $2 WHERE id = $3 AND token_nonce = $4 AND status = 'active'",
        )
        .bind(serde_json::to_string(filters).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(now_ms())
        .bind(id)
        .bind(nonce)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("subscription"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Unsubscribes, when the link was made from `nonce`; mails not yet sent to the subscriber
    /// are cancelled in the same transaction. Unsubscribing twice is not an error.
    pub async fn unsubscribe(&self, id: i64, nonce: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let found =
            sqlx::query_scalar::<Any, String>("SELECT status FROM subscribers WHERE id = $1 AND token_nonce = $2")
                .bind(id)
                .bind(nonce)
                .fetch_optional(&mut *tx)
                .await?;
        match found.as_deref() {
            None => return Err(StoreError::NotFound("subscription")),
            Some("unsubscribed") => {}
            Some(_) => {
                sqlx::query::<Any>(
                    "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $1, updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query::<Any>(
                    "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL \
                     WHERE channel = 'email' AND target = $1 AND status = 'pending'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM subscribers WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscriber_row).transpose()
    }

    /// The subscribers with these IDs (those that exist), in one query per thousand.
    pub async fn subscribers_by_id(&self, ids: &[i64]) -> Result<Vec<Subscriber>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let placeholders = crate::placeholders(1, chunk.len());
            let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id IN ({})", placeholders);
            let mut query = sqlx::query::<Any>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(subscriber_row(&row)?);
            }
        }
        Ok(found)
    }

    /// Subscribers by ID after `after`, for the console's pages.
    pub async fn subscribers(&self, after: i64, limit: u32) -> Result<Vec<Subscriber>, StoreError> {
        let rows = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after)
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscriber_row).collect()
    }

    pub async fn subscriber_counts(&self) -> Result<SubscriberCounts, StoreError> {
        let rows = sqlx::query::<Any>("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut counts = SubscriberCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<String, _>("status")?.as_str() {
                "pending" => counts.pending = n,
                "active" => counts.active = n,
                _ => counts.unsubscribed += n,
            }
        }
        Ok(counts)
    }
}

/// A message for one subscriber alone (no fan-out) and its delivery.
async fn send_one(conn: &mut AnyConnection, subscriber: i64, id: &str, kind: &str) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query::<Any>(
        "INSERT INTO outbox (id, kind, severity, products, payload, created_at, fanout_done, webhooks_done) \
         VALUES ($1, $2, NULL, '[]', $3, $4, 1, 1)",
    )
    .bind(id)
    .bind(kind)
    .bind(serde_json::json!({"type": kind}).to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query::<Any>(
        "INSERT INTO deliveries (message_id, channel, target, status, next_attempt_at, created_at) \
         VALUES ($1, 'email', $2, 'pending', $3, $3)",
    )
    .bind(id)
    .bind(subscriber)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A `subscribers` row as stored.
#[derive(sqlx::FromRow)]
struct SubscriberRow {
    id: i64,
    email: String,
    status: String,
    filters: String,
    token_nonce: String,
    confirm_sent_at: Option<i64>,
    confirmed_at: Option<i64>,
    created_at: i64,
}

fn subscriber_row(row: &sqlx::any::AnyRow) -> Result<Subscriber, StoreError> {
    let row = <SubscriberRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Subscriber {
        id: row.id,
        email: row.email,
        status: row.status,
        filters: serde_json::from_str(&row.filters)
            .map_err(|e| StoreError::Corrupt(format!("subscriber preferences: {e}")))?,
        token_nonce: row.token_nonce,
        confirm_sent_at: row.confirm_sent_at.map(from_ms),
        confirmed_at: row.confirmed_at.map(from_ms),
        created_at: from_ms(row.created_at),
    })
}
