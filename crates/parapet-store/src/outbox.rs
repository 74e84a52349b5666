//! The outbox and its deliveries. An event that notifies (a publication, a post, an advance
//! notice) writes its message here in its own transaction ([`enqueue`]); fan-out turns a message
//! into one delivery per matching webhook endpoint, a batch per transaction with its cursor;
//! workers claim due deliveries under a lease and record each attempt. A crash anywhere loses
//! nothing: an uncommitted batch is redone, and deliveries are unique per message and target, so
//! redoing never duplicates one (receivers see a message twice only when a send succeeded and its
//! record did not — with the same ID both times).

use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};
use parapet_model::AuditAction;

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Stable and unique: `evt_document_PSB-2026-001_1.0`.
    pub id: String,
    /// `document.published`, `post.published`, `advance_notice.published`.
    pub kind: String,
    /// The severity of a document, for minimum-severity filters.
    pub severity: Option<String>,
    /// Product names, for product filters.
    pub products: Vec<String>,
    /// What receivers get (the documented payload).
    pub payload: serde_json::Value,
}

/// Writes a message in the caller's transaction; writing the same message twice keeps one.
pub(crate) async fn enqueue(conn: &mut AnyConnection, message: &OutboxMessage) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO outbox (id, kind, severity, products, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&message.id)
    .bind(&message.kind)
    .bind(&message.severity)
    .bind(serde_json::to_string(&message.products).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(message.payload.to_string())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// What an endpoint wants to hear about; empty lists want everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointFilters {
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    /// `low`, `moderate`, `important` or `critical`: documents at least this severe.
    #[serde(default)]
    pub min_severity: Option<String>,
}

impl EndpointFilters {
    /// The kinds a filter may name: a document kind, or a kind of message.
    pub const KINDS: [&'static str; 6] = ["bulletin", "advisory", "document", "post", "advance_notice", "fleet"];

    /// Whether a message passes. Messages without a severity (posts, notices) pass a severity
    /// filter only when they are not documents.
    pub fn wants(&self, message: &OutboxMessage) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.iter().any(|k| kind_matches(k, message));
        let product_ok = self.products.is_empty()
            || message.products.iter().any(|p| self.products.iter().any(|w| w.eq_ignore_ascii_case(p)));
        let rank = |s: &str| parapet_model::Severity::ALL.iter().find(|v| v.as_str() == s).map(|v| v.rank());
        let severity_ok = match (&self.min_severity, &message.severity) {
            (None, _) => true,
            (Some(min), Some(severity)) => rank(severity) >= rank(min),
            (Some(_), None) => !message.kind.starts_with("document"),
        };
        kind_ok && product_ok && severity_ok
    }

    /// Checks what a caller asked for; the error names the field and the value.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if let Some(kind) = self.kinds.iter().find(|k| !Self::KINDS.contains(&k.as_str())) {
            return Err(("kinds", format!("{kind:?} is not one of {}", Self::KINDS.join(", "))));
        }
        if let Some(min) = &self.min_severity
            && !parapet_model::Severity::ALL.iter().any(|s| s.as_str() == min)
        {
            return Err(("min_severity", format!("{min:?} is not one of low, moderate, important, critical")));
        }
        if self.products.iter().any(|p| p.trim().is_empty() || p.len() > 200) {
            return Err(("products", "product names must be 1 to 200 characters".into()));
        }
        if self.kinds.len() > 16 || self.products.len() > 100 {
            return Err(("products", "at most 16 kinds and 100 products".into()));
        }
        Ok(())
    }
}

fn kind_matches(kind: &str, message: &OutboxMessage) -> bool {
    match kind {
        "bulletin" | "advisory" => {
            message.kind == "document.published" && message.payload["kind"].as_str() == Some(kind)
        }
        _ => message.kind.split('.').next() == Some(kind),
    }
}

/// A webhook endpoint as stored; its secrets stay sealed (the server opens them to sign).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub format: String,
    pub filters: EndpointFilters,
    #[serde(skip)]
    pub sealed_secret: String,
    #[serde(skip)]
    pub sealed_previous_secret: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
    pub failures: i64,
}

/// A delivery a worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub message_id: String,
    pub channel: String,
    pub target: i64,
    pub attempts: i64,
    pub payload: serde_json::Value,
    pub message_created_at: OffsetDateTime,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        status_code: Option<u16>,
        duration_ms: i64,
    },
    /// Try again at `retry_at`, or dead-letter it when `None`.
    Failed {
        retry_at: Option<OffsetDateTime>,
        status_code: Option<u16>,
        error: String,
        duration_ms: i64,
    },
    /// Not sent, and never will be (the subscriber left, the endpoint is gone).
    Cancelled {
        reason: String,
    },
}

/// A delivery as the dead-letter list and delivery logs show it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub message_id: String,
    pub channel: String,
    pub target: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

/// How a message's deliveries stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
    pub cancelled: i64,
}

impl DeliveryCounts {
    pub fn total(&self) -> i64 {
        self.pending + self.delivered + self.dead + self.cancelled
    }
}

/// An outbox message as the console lists it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether every target has its delivery.
    pub fanned_out: bool,
}

const ENDPOINT_COLUMNS: &str = "id, url, format, filters, secret, previous_secret, previous_until, paused_at, failures";

impl Store {
    pub async fn create_endpoint(
        &self,
        actor: &str,
        url: &str,
        format: &str,
        filters: &EndpointFilters,
        sealed_secret: &str,
    ) -> Result<Endpoint, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO webhook_endpoints (url, format, filters, secret, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(url)
        .bind(format)
        .bind(serde_json::to_string(filters).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(sealed_secret)
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({"url": url, "format": format, "filters": filters});
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::EndpointCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(after),
            },
        )
        .await?;
        tx.commit().await?;
        self.endpoint(id).await?.ok_or(StoreError::NotFound("endpoint"))
    }

    /// Replaces the secret; the old one keeps signing until `previous_until` (a rotation).
    pub async fn rotate_endpoint_secret(
        &self,
        actor: &str,
        id: i64,
        sealed_secret: &str,
        previous_until: OffsetDateTime,
    ) -> Result<Endpoint, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $1, secret = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(to_ms(previous_until))
        .bind(sealed_secret)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("endpoint"));
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::EndpointRotateSecret,
                entity_id: Some(id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        self.endpoint(id).await?.ok_or(StoreError::NotFound("endpoint"))
    }

    /// Lets a paused endpoint receive again; its waiting deliveries go at once.
    pub async fn resume_endpoint(&self, actor: &str, id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>("UPDATE webhook_endpoints SET paused_at = NULL, failures = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("endpoint"));
        }
        sqlx::query::<Any>(
            "UPDATE deliveries SET next_attempt_at = $1 WHERE channel = 'webhook' AND target = $2 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::EndpointResume,
                entity_id: Some(id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn endpoint(&self, id: i64) -> Result<Option<Endpoint>, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(endpoint_row).transpose()
    }

    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, StoreError> {
        let rows = sqlx::query::<Any>(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(endpoint_row).collect()
    }

    /// Gives one unfinished message's next batch of targets their deliveries, in one transaction
    /// with the cursor: the webhook endpoints first, then the active email subscribers (those who
    /// confirmed before the message was written). Returns how many deliveries were made, or
    /// `None` when no message waits for fan-out.
    pub async fn fan_out(&self, batch: u32) -> Result<Option<u64>, StoreError> {
        let batch = batch.clamp(1, 5000);
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT id, kind, severity, products, payload, created_at, fanout_cursor, webhooks_done, email_cursor \
             FROM outbox WHERE fanout_done = 0 ORDER BY created_at, id LIMIT 1{}",
            self.backend.claim_suffix()
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let products: String = row.try_get("products")?;
        let payload: String = row.try_get("payload")?;
        let message = OutboxMessage {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            severity: row.try_get("severity")?,
            products: serde_json::from_str(&products).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            payload: serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let created_at: i64 = row.try_get("created_at")?;
        let webhooks_done = row.try_get::<i64, _>("webhooks_done")? != 0;
        let (channel, cursor, targets) = if !webhooks_done {
            let cursor: i64 = row.try_get("fanout_cursor")?;
            let targets =
                sqlx::query::<Any>("SELECT id, filters FROM webhook_endpoints WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(cursor)
                    .bind(i64::from(batch))
                    .fetch_all(&mut *tx)
                    .await?;
            ("webhook", cursor, targets)
        } else {
            let cursor: i64 = row.try_get("email_cursor")?;
            let targets = sqlx::query::<Any>(
                "SELECT id, filters FROM subscribers WHERE status = 'active' AND id > $1 AND confirmed_at <= $3 \
                 ORDER BY id LIMIT $2",
            )
            .bind(cursor)
            .bind(i64::from(batch))
            .bind(created_at)
            .fetch_all(&mut *tx)
            .await?;
            ("email", cursor, targets)
        };
        let mut wanted = Vec::with_capacity(targets.len());
        let mut last = cursor;
        for target in &targets {
            let id: i64 = target.try_get("id")?;
            let filters: String = target.try_get("filters")?;
            last = id;
            // Filters are checked when they are written; unreadable ones want everything rather
            // than silently nothing.
            let filters: EndpointFilters = serde_json::from_str(&filters).unwrap_or_default();
            // Email goes to public subscribers: what the fleet says stays with the staff's
            // webhooks.
            let internal = channel == "email" && message.kind.starts_with("fleet.");
            if filters.wants(&message) && !internal {
                wanted.push(id);
            }
        }
        let made = insert_deliveries(&mut tx, &message.id, channel, &wanted).await?;
        let finished = (targets.len() as u32) < batch;
        let update = if channel == "webhook" {
            "UPDATE outbox SET fanout_cursor = $1, webhooks_done = $2 WHERE id = $3"
        } else {
            "UPDATE outbox SET email_cursor = $1, fanout_done = $2 WHERE id = $3"
        };
        sqlx::query::<Any>(update).bind(last).bind(i64::from(finished)).bind(&message.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(made))
    }

    /// Claims up to `limit` due deliveries for `owner` until `lease_ms` from now; deliveries to
    /// paused endpoints wait.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query::<Any>(&format!(
            "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (\
               SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $3 \
               AND (d.lease_until IS NULL OR d.lease_until <= $3) \
               AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE d.channel = 'webhook' AND e.id = d.target \
                               AND e.paused_at IS NOT NULL) \
               ORDER BY d.next_attempt_at, d.id LIMIT $4{}) \
             RETURNING id, message_id, channel, target, attempts",
            self.backend.claim_suffix()
        ))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::from(limit.max(1)))
        .fetch_all(&mut *tx)
        .await?;
        let mut messages: Vec<String> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("message_id")?;
            if !messages.contains(&id) {
                messages.push(id);
            }
        }
        let mut payloads = std::collections::HashMap::new();
        for chunk in messages.chunks(100) {
            let placeholders = crate::placeholders(1, chunk.len());
            let sql = format!("SELECT id, payload, created_at FROM outbox WHERE id IN ({})", placeholders);
            let mut query = sqlx::query::<Any>(&sql);
            for id in chunk {
                query = query.bind(id.clone());
            }
            for row in query.fetch_all(&mut *tx).await? {
                let payload: String = row.try_get("payload")?;
                let payload: serde_json::Value =
                    serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                payloads.insert(row.try_get::<String, _>("id")?, (payload, from_ms(row.try_get("created_at")?)));
            }
        }
        tx.commit().await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let message_id: String = row.try_get("message_id")?;
            let (payload, created_at) = payloads
                .get(&message_id)
                .cloned()
                .ok_or(StoreError::Corrupt(format!("no outbox message {message_id}")))?;
            claimed.push(ClaimedDelivery {
                id: row.try_get("id")?,
                message_id,
                channel: row.try_get("channel")?,
                target: row.try_get("target")?,
                attempts: row.try_get("attempts")?,
                payload,
                message_created_at: created_at,
            });
        }
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    /// Extends `owner`'s claims on `ids` (still in flight) to `lease_ms` from now, so that a claim
    /// waiting its turn behind slow deliveries does not expire and go to another server too.
    pub async fn extend_leases(&self, owner: &str, ids: &[i64], lease_ms: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for chunk in ids.chunks(500) {
            let placeholders = crate::placeholders(3, chunk.len());
            let sql = format!(
                "UPDATE deliveries SET lease_until = $1 WHERE lease_owner = $2 AND status = 'pending' AND id IN ({})",
                placeholders
            );
            let mut query = sqlx::query::<Any>(&sql).bind(now_ms() + lease_ms).bind(owner.to_owned());
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records an attempt: delivered, retried later, dead-lettered or cancelled. An endpoint
    /// failing `pause_after` times in a row is paused. A delivery whose lease `owner` lost is
    /// left alone.
    pub async fn record_attempt(
        &self,
        owner: &str,
        delivery: &ClaimedDelivery,
        attempt: &Attempt,
        pause_after: i64,
    ) -> Result<(), StoreError> {
        self.record_attempts(owner, &[(delivery, attempt)], pause_after).await
    }

    /// Records several attempts in one transaction (see [`Store::record_attempt`]).
    pub async fn record_attempts(
        &self,
        owner: &str,
        attempts: &[(&ClaimedDelivery, &Attempt)],
        pause_after: i64,
    ) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        for (delivery, attempt) in attempts {
            record_in(&mut tx, owner, delivery, attempt, pause_after, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest messages that fan out (not the mails of single subscriptions), newest first.
    pub async fn outbox_messages(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, kind, created_at, fanout_done FROM outbox WHERE kind NOT LIKE 'subscription.%' \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxEntry {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    created_at: from_ms(row.try_get("created_at")?),
                    fanned_out: row.try_get::<i64, _>("fanout_done")? != 0,
                })
            })
            .collect()
    }

    /// How the deliveries of one message stand, by status.
    pub async fn delivery_counts(&self, message_id: &str) -> Result<DeliveryCounts, StoreError> {
        let mut counts = self.delivery_counts_of(&[message_id.to_owned()]).await?;
        Ok(counts.remove(message_id).unwrap_or_default())
    }

    /// How the deliveries of each of these messages stand, in one query.
    pub async fn delivery_counts_of(
        &self,
        message_ids: &[String],
    ) -> Result<std::collections::HashMap<String, DeliveryCounts>, StoreError> {
        let mut counts: std::collections::HashMap<String, DeliveryCounts> = std::collections::HashMap::new();
        if message_ids.is_empty() {
            return Ok(counts);
        }
        let placeholders = crate::placeholders(1, message_ids.len());
        let sql = format!(
            "SELECT message_id, status, COUNT(*) AS n FROM deliveries WHERE message_id IN ({}) \
             GROUP BY message_id, status",
            placeholders
        );
        let mut query = sqlx::query::<Any>(&sql);
        for id in message_ids {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&self.pool).await? {
            let n: i64 = row.try_get("n")?;
            let entry = counts.entry(row.try_get("message_id")?).or_default();
            match row.try_get::<String, _>("status")?.as_str() {
                "pending" => entry.pending = n,
                "delivered" => entry.delivered = n,
                "dead" => entry.dead = n,
                _ => entry.cancelled += n,
            }
        }
        Ok(counts)
    }

    /// The dead-letter list, newest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.deliveries_where("status = 'dead'", None, limit).await
    }

    /// The deliveries to one target, newest first: its delivery log.
    pub async fn deliveries_to(
        &self,
        channel: &str,
        target: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.deliveries_where("channel = $2 AND target = $3", Some((channel, target)), limit).await
    }

    async fn deliveries_where(
        &self,
        condition: &str,
        target: Option<(&str, i64)>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let sql = format!(
            "SELECT id, message_id, channel, target, status, attempts, last_error, delivered_at FROM deliveries \
             WHERE {condition} ORDER BY id DESC LIMIT $1"
        );
        let mut query = sqlx::query::<Any>(&sql).bind(i64::from(limit.clamp(1, 10_000)));
        if let Some((channel, target)) = target {
            query = query.bind(channel.to_owned()).bind(target);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let row = <DeliveryRow as sqlx::FromRow<_>>::from_row(row)?;
                Ok(DeliveryRecord {
                    id: row.id,
                    message_id: row.message_id,
                    channel: row.channel,
                    target: row.target,
                    status: row.status,
                    attempts: row.attempts,
                    last_error: row.last_error,
                    delivered_at: row.delivered_at.map(from_ms),
                })
            })
            .collect()
    }

    /// Sends a dead delivery again (an admin's decision, audited).
    pub async fn redeliver(&self, actor: &str, delivery: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, attempts = 0 WHERE id = $2 AND status = 'dead'",
        )
        .bind(now_ms())
        .bind(delivery)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("dead delivery"));
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::DeliveryRedeliver,
                entity_id: Some(delivery.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A `deliveries` row as the delivery listings read it.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    message_id: String,
    channel: String,
    target: i64,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    delivered_at: Option<i64>,
}

/// A `webhook_endpoints` row as stored, its secrets still sealed.
#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    url: String,
    format: String,
    filters: String,
    secret: String,
    previous_secret: Option<String>,
    previous_until: Option<i64>,
    paused_at: Option<i64>,
    failures: i64,
}

fn endpoint_row(row: &sqlx::any::AnyRow) -> Result<Endpoint, StoreError> {
    let row = <EndpointRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Endpoint {
        id: row.id,
        url: row.url,
        format: row.format,
        filters: serde_json::from_str(&row.filters)
            .map_err(|e| StoreError::Corrupt(format!("endpoint filters: {e}")))?,
        sealed_secret: row.secret,
        sealed_previous_secret: row.previous_secret,
        previous_until: row.previous_until.map(from_ms),
        paused_at: row.paused_at.map(from_ms),
        failures: row.failures,
    })
}

/// Inserts one pending delivery per target, a few hundred rows per statement; existing ones stay.
async fn insert_deliveries(
    conn: &mut AnyConnection,
    message: &str,
    channel: &str,
    targets: &[i64],
) -> Result<u64, StoreError> {
    let now = now_ms();
    let mut made = 0;
    for chunk in targets.chunks(500) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("($1, $2, ${}, 'pending', $3, $3)", i + 4)).collect();
        let sql = format!(
            "INSERT INTO deliveries (message_id, channel, target, status, next_attempt_at, created_at) VALUES {} \
             ON CONFLICT (message_id, channel, target) DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query::<Any>(&sql).bind(message.to_owned()).bind(channel.to_owned()).bind(now);
        for target in chunk {
            query = query.bind(*target);
        }
        made += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(made)
}

async fn record_in(
    conn: &mut AnyConnection,
    owner: &str,
    delivery: &ClaimedDelivery,
    attempt: &Attempt,
    pause_after: i64,
    now: i64,
) -> Result<(), StoreError> {
    let (status, next, error, code, duration, outcome) = match attempt {
        Attempt::Delivered { status_code, duration_ms } => {
            ("delivered", now, None, *status_code, *duration_ms, "delivered")
        }
        Attempt::Failed { retry_at: Some(at), status_code, error, duration_ms } => {
            ("pending", to_ms(*at), Some(error.clone()), *status_code, *duration_ms, "failed")
        }
        Attempt::Failed { retry_at: None, status_code, error, duration_ms } => {
            ("dead", now, Some(error.clone()), *status_code, *duration_ms, "dead")
        }
        Attempt::Cancelled { reason } => ("cancelled", now, Some(reason.clone()), None, 0, "cancelled"),
    };
    let changed = sqlx::query::<Any>(
        "UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END, lease_owner = NULL, lease_until = NULL \
         WHERE id = $5 AND lease_owner = $6 AND status = 'pending'",
    )
    .bind(status)
    .bind(next)
    .bind(&error)
    .bind(now)
    .bind(delivery.id)
    .bind(owner)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(());
    }
    sqlx::query::<Any>(
        "INSERT INTO delivery_log (delivery, at, outcome, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(delivery.id)
    .bind(now)
    .bind(outcome)
    .bind(code.map(i64::from))
    .bind(&error)
    .bind(duration)
    .execute(&mut *conn)
    .await?;
    if delivery.channel == "webhook" && outcome != "cancelled" {
        if status == "delivered" {
            sqlx::query::<Any>("UPDATE webhook_endpoints SET failures = 0 WHERE id = $1 AND failures <> 0")
                .bind(delivery.target)
                .execute(&mut *conn)
                .await?;
        } else {
            sqlx::query::<Any>(
                "UPDATE webhook_endpoints SET failures = failures + 1, \
                 paused_at = CASE WHEN failures + 1 >= $1 AND paused_at IS NULL THEN $2 ELSE paused_at END WHERE id = $3",
            )
            .bind(pause_after)
            .bind(now)
            .bind(delivery.target)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
