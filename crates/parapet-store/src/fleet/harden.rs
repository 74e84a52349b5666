//! Security configuration: the policy each group gives its hosts (`parapet harden` policy
//! files), what each host reports of the policy it runs and its drift, and which host is due a
//! job applying its group's policy.
//!
//! A host in several groups with policies takes the policy of the oldest of them (the lowest
//! group ID); the host page names the others. The policy text is checked by the caller (the
//! server, with the wizard's role book): the store keeps it as given and in canonical form.

use parapet_model::{AuditAction, HardenDrift, HardenReport};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::updates::plan_group;
use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, to_ms};

/// A group's policy as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupHardenPolicy {
    pub group_id: i64,
    pub group: String,
    /// The text as it was given, comments and all.
    pub policy: String,
    /// The canonical form agents are sent, and its SHA-256.
    pub canonical: String,
    pub digest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

/// What a host last reported of its security configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedHarden {
    pub policy_digest: Option<String>,
    pub snapshot: Option<String>,
    pub pending: bool,
    pub drift: Vec<HardenDrift>,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
}

/// Where a host stands with the policy its groups give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostHarden {
    /// The policy the host should run (the oldest group's), and the other groups whose
    /// policies it is not given.
    pub wanted: Option<GroupHardenPolicy>,
    pub overridden: Vec<String>,
    pub reported: Option<ReportedHarden>,
    /// The digest of the policy last given to the host as a job, and when.
    pub planned_digest: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub planned_at: Option<OffsetDateTime>,
    /// `none` (no group gives a policy), `compliant` (the wanted policy runs without drift),
    /// `drift`, `pending` (applied, waiting for its confirmation), `applying` (given as a job,
    /// not reported yet) or `not_applied` (the last job for it did not make it run).
    pub state: &'static str,
}

const POLICY_SELECT: &str = "SELECT p.group_id, g.name, p.policy, p.canonical, p.digest, p.updated_at, p.updated_by \
     FROM fleet_harden_policies p JOIN fleet_groups g ON g.id = p.group_id";

fn policy_row(row: &sqlx::any::AnyRow) -> Result<GroupHardenPolicy, StoreError> {
    Ok(GroupHardenPolicy {
        group_id: row.try_get("group_id")?,
        group: row.try_get("name")?,
        policy: row.try_get("policy")?,
        canonical: row.try_get("canonical")?,
        digest: row.try_get("digest")?,
        updated_at: from_ms(row.try_get("updated_at")?),
        updated_by: row.try_get("updated_by")?,
    })
}

/// The policies of the host's groups, the one it is given first.
async fn host_policies(conn: &mut AnyConnection, host_id: &str) -> Result<Vec<GroupHardenPolicy>, StoreError> {
    let sql = format!(
        "{POLICY_SELECT} WHERE p.group_id IN (SELECT group_id FROM fleet_group_members WHERE host_id = $1) \
         ORDER BY p.group_id"
    );
    let rows = sqlx::query::<Any>(&sql).bind(host_id).fetch_all(&mut *conn).await?;
    rows.iter().map(policy_row).collect()
}

async fn group_digest(conn: &mut AnyConnection, group_id: i64) -> Result<Option<String>, StoreError> {
    let sql = "SELECT digest FROM fleet_harden_policies WHERE group_id = $1";
    Ok(sqlx::query_scalar::<Any, String>(sql).bind(group_id).fetch_optional(&mut *conn).await?)
}

/// Records a host's report (inside its check-in's transaction).
pub(super) async fn save_report(
    conn: &mut AnyConnection,
    host_id: &str,
    report: &HardenReport,
    at: i64,
) -> Result<(), StoreError> {
    let drift = serde_json::to_string(&report.drift).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query::<Any>(
        "INSERT INTO fleet_host_harden (host_id, policy_digest, snapshot, pending, drift, error, reported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (host_id) DO UPDATE SET \
         policy_digest = excluded.policy_digest, snapshot = excluded.snapshot, pending = excluded.pending, \
         drift = excluded.drift, error = excluded.error, reported_at = excluded.reported_at",
    )
    .bind(host_id)
    .bind(&report.policy_digest)
    .bind(&report.snapshot)
    .bind(i64::from(report.pending))
    .bind(drift)
    .bind(&report.error)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Notes that a job gives the host the policy of this digest (inside the job's transaction).
pub(super) async fn mark_planned(
    conn: &mut AnyConnection,
    host_id: &str,
    digest: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO fleet_host_harden (host_id, planned_digest, planned_at) VALUES ($1, $2, $3) \
         ON CONFLICT (host_id) DO UPDATE SET planned_digest = excluded.planned_digest, planned_at = excluded.planned_at",
    )
    .bind(host_id)
    .bind(digest)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Gives a group a policy, replacing the one it had (audited); its hosts are planned at
    /// their next check-in.
    pub async fn set_group_harden_policy(
        &self,
        group_id: i64,
        policy: &str,
        canonical: &str,
        digest: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<GroupHardenPolicy, StoreError> {
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query_scalar::<Any, i64>("SELECT id FROM fleet_groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("group"));
        }
        let before = group_digest(&mut tx, group_id).await?;
        sqlx::query::<Any>(
            "INSERT INTO fleet_harden_policies (group_id, policy, canonical, digest, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id) DO UPDATE SET policy = excluded.policy, \
             canonical = excluded.canonical, digest = excluded.digest, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(group_id)
        .bind(policy)
        .bind(canonical)
        .bind(digest)
        .bind(to_ms(at))
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupHardenPolicySet,
                entity_id: Some(group_id.to_string()),
                before: before.map(|digest| json!({"digest": digest})),
                after: Some(json!({"digest": digest, "policy": canonical})),
            },
        )
        .await?;
        plan_group(&mut tx, group_id).await?;
        let sql = format!("{POLICY_SELECT} WHERE p.group_id = $1");
        let stored = policy_row(&sqlx::query::<Any>(&sql).bind(group_id).fetch_one(&mut *tx).await?)?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Takes a group's policy away (audited): its hosts keep what they run, and are given no
    /// new policy from this group. Whether there was one to take.
    pub async fn clear_group_harden_policy(&self, group_id: i64, actor: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = group_digest(&mut tx, group_id).await?;
        let Some(before) = before else { return Ok(false) };
        sqlx::query::<Any>("DELETE FROM fleet_harden_policies WHERE group_id = $1")
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupHardenPolicyClear,
                entity_id: Some(group_id.to_string()),
                before: Some(json!({"digest": before})),
                after: None,
            },
        )
        .await?;
        // Another of the hosts' groups may give them its policy now.
        plan_group(&mut tx, group_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn group_harden_policy(&self, group_id: i64) -> Result<Option<GroupHardenPolicy>, StoreError> {
        let sql = format!("{POLICY_SELECT} WHERE p.group_id = $1");
        sqlx::query::<Any>(&sql).bind(group_id).fetch_optional(&self.pool).await?.as_ref().map(policy_row).transpose()
    }

    /// Where the host stands with its groups' policies.
    pub async fn host_harden(&self, host_id: &str) -> Result<HostHarden, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut policies = host_policies(&mut conn, host_id).await?.into_iter();
        let wanted = policies.next();
        let overridden = policies.map(|p| p.group).collect();
        let row = sqlx::query::<Any>(
            "SELECT policy_digest, snapshot, pending, drift, error, reported_at, planned_digest, planned_at \
             FROM fleet_host_harden WHERE host_id = $1",
        )
        .bind(host_id)
        .fetch_optional(&mut *conn)
        .await?;
        let (mut reported, mut planned_digest, mut planned_at) = (None, None, None);
        if let Some(row) = row {
            if let Some(at) = row.try_get::<Option<i64>, _>("reported_at")? {
                let drift = serde_json::from_str(&row.try_get::<String, _>("drift")?)
                    .map_err(|e| StoreError::Corrupt(format!("fleet host drift: {e}")))?;
                reported = Some(ReportedHarden {
                    policy_digest: row.try_get("policy_digest")?,
                    snapshot: row.try_get("snapshot")?,
                    pending: row.try_get::<i64, _>("pending")? != 0,
                    drift,
                    error: row.try_get("error")?,
                    reported_at: from_ms(at),
                });
            }
            planned_digest = row.try_get("planned_digest")?;
            planned_at = row.try_get::<Option<i64>, _>("planned_at")?.map(from_ms);
        }
        let state = match (&wanted, &reported) {
            (None, _) => "none",
            (Some(wanted), Some(reported)) if reported.policy_digest.as_deref() == Some(wanted.digest.as_str()) => {
                if reported.pending {
                    "pending"
                } else if reported.drift.is_empty() && reported.error.is_none() {
                    "compliant"
                } else {
                    "drift"
                }
            }
            (Some(wanted), _) if planned_digest.as_deref() == Some(wanted.digest.as_str()) => {
                // Given, and a report since the job says it did not take.
                let reported_since = reported.as_ref().zip(planned_at).is_some_and(|(r, at)| r.reported_at > at);
                if reported_since { "not_applied" } else { "applying" }
            }
            (Some(_), _) => "not_applied",
        };
        Ok(HostHarden { wanted, overridden, reported, planned_digest, planned_at, state })
    }

    /// The policy the host is due to be given as a job: its group's, when the host reports
    /// another and no job gave it this one yet.
    pub async fn harden_due(&self, host_id: &str) -> Result<Option<GroupHardenPolicy>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some(wanted) = host_policies(&mut conn, host_id).await?.into_iter().next() else { return Ok(None) };
        let row = sqlx::query::<Any>("SELECT policy_digest, planned_digest FROM fleet_host_harden WHERE host_id = $1")
            .bind(host_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            let runs: Option<String> = row.try_get("policy_digest")?;
            let planned: Option<String> = row.try_get("planned_digest")?;
            if runs.as_deref() == Some(wanted.digest.as_str()) || planned.as_deref() == Some(wanted.digest.as_str()) {
                return Ok(None);
            }
        }
        Ok(Some(wanted))
    }
}
