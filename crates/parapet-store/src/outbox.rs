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

use crate::audit::append;
use crate::{Store, StoreError, from_ms, now_ms, to_ms};

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
    /// Whether a message passes. Messages without a severity (posts, notices) pass a severity
    /// filter only when they are not documents.
    pub fn wants(&self, message: &OutboxMessage) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.iter().any(|k| message.kind.starts_with(k.as_str()));
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
        append(&mut tx, actor, "endpoint.create", "endpoint", Some(id.to_string()), None, Some(after)).await?;
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
        append(&mut tx, actor, "endpoint.rotate_secret", "endpoint", Some(id.to_string()), None, None).await?;
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
        append(&mut tx, actor, "endpoint.resume", "endpoint", Some(id.to_string()), None, None).await?;
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

    /// Gives one unfinished message's next batch of endpoints their deliveries, in one
    /// transaction with the cursor. Returns how many deliveries were made, or `None` when no
    /// message waits for fan-out.
    pub async fn fan_out(&self, batch: u32) -> Result<Option<u64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT id, kind, severity, products, payload, fanout_cursor FROM outbox WHERE fanout_done = 0 \
             ORDER BY created_at, id LIMIT 1{}",
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
        let cursor: i64 = row.try_get("fanout_cursor")?;
        let endpoints =
            sqlx::query::<Any>("SELECT id, filters FROM webhook_endpoints WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(cursor)
                .bind(i64::from(batch.max(1)))
                .fetch_all(&mut *tx)
                .await?;
        let now = now_ms();
        let mut made = 0;
        let mut last = cursor;
        for endpoint in &endpoints {
            let id: i64 = endpoint.try_get("id")?;
            let filters: String = endpoint.try_get("filters")?;
            let filters: EndpointFilters = serde_json::from_str(&filters).unwrap_or_default();
            last = id;
            if !filters.wants(&message) {
                continue;
            }
            made += sqlx::query::<Any>(
                "INSERT INTO deliveries (message_id, channel, target, status, next_attempt_at, created_at) \
                 VALUES ($1, 'webhook', $2, 'pending', $3, $3) ON CONFLICT (message_id, channel, target) DO NOTHING",
            )
            .bind(&message.id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let done = (endpoints.len() as u32) < batch.max(1);
        sqlx::query::<Any>("UPDATE outbox SET fanout_cursor = $1, fanout_done = $2 WHERE id = $3")
            .bind(last)
            .bind(i64::from(done))
            .bind(&message.id)
            .execute(&mut *tx)
            .await?;
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
        let ids: Vec<i64> = sqlx::query_scalar::<Any, i64>(&format!(
            "SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             AND (d.lease_until IS NULL OR d.lease_until <= $1) \
             AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE d.channel = 'webhook' AND e.id = d.target \
                             AND e.paused_at IS NOT NULL) \
             ORDER BY d.next_attempt_at, d.id LIMIT $2{}",
            self.backend.claim_suffix()
        ))
        .bind(now)
        .bind(i64::from(limit.max(1)))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query::<Any>("UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id = $3")
                .bind(owner)
                .bind(now + lease_ms)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query::<Any>(
                "SELECT d.id, d.message_id, d.channel, d.target, d.attempts, o.payload, o.created_at \
                 FROM deliveries d JOIN outbox o ON o.id = d.message_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let payload: String = row.try_get("payload")?;
            claimed.push(ClaimedDelivery {
                id: row.try_get("id")?,
                message_id: row.try_get("message_id")?,
                channel: row.try_get("channel")?,
                target: row.try_get("target")?,
                attempts: row.try_get("attempts")?,
                payload: serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                message_created_at: from_ms(row.try_get("created_at")?),
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records an attempt: delivered, retried later, or dead-lettered. An endpoint failing
    /// `pause_after` times in a row is paused. A delivery whose lease `owner` lost is left alone.
    pub async fn record_attempt(
        &self,
        owner: &str,
        delivery: &ClaimedDelivery,
        attempt: &Attempt,
        pause_after: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
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
        };
        let changed = sqlx::query::<Any>(
            "UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, \
             delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END, lease_owner = NULL, lease_until = NULL \
             WHERE id = $5 AND lease_owner = $6",
        )
        .bind(status)
        .bind(next)
        .bind(&error)
        .bind(now)
        .bind(delivery.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
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
        .execute(&mut *tx)
        .await?;
        if delivery.channel == "webhook" {
            if status == "delivered" {
                sqlx::query::<Any>("UPDATE webhook_endpoints SET failures = 0 WHERE id = $1")
                    .bind(delivery.target)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query::<Any>(
                    "UPDATE webhook_endpoints SET failures = failures + 1, \
                     paused_at = CASE WHEN failures + 1 >= $1 AND paused_at IS NULL THEN $2 ELSE paused_at END WHERE id = $3",
                )
                .bind(pause_after)
                .bind(now)
                .bind(delivery.target)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
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
                Ok(DeliveryRecord {
                    id: row.try_get("id")?,
                    message_id: row.try_get("message_id")?,
                    channel: row.try_get("channel")?,
                    target: row.try_get("target")?,
                    status: row.try_get("status")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    delivered_at: row.try_get::<Option<i64>, _>("delivered_at")?.map(from_ms),
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
        append(&mut tx, actor, "delivery.redeliver", "delivery", Some(delivery.to_string()), None, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn endpoint_row(row: &sqlx::any::AnyRow) -> Result<Endpoint, StoreError> {
    let filters: String = row.try_get("filters")?;
    Ok(Endpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        format: row.try_get("format")?,
        filters: serde_json::from_str(&filters).map_err(|e| StoreError::Corrupt(format!("endpoint filters: {e}")))?,
        sealed_secret: row.try_get("secret")?,
        sealed_previous_secret: row.try_get("previous_secret")?,
        previous_until: row.try_get::<Option<i64>, _>("previous_until")?.map(from_ms),
        paused_at: row.try_get::<Option<i64>, _>("paused_at")?.map(from_ms),
        failures: row.try_get("failures")?,
    })
}
