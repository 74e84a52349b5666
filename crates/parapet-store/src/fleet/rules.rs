//! Auto-approval rules and rings: what approves updates without a person, and how an update
//! moves from one group of a ring to the next.
//!
//! The server decides (it has the clock and the version order); this module stores rules,
//! rings and where each update stands in each ring, and applies a decision in one transaction
//! with the approvals it makes.

use parapet_model::AuditAction;
use parapet_model::rollout::{ApprovalAction, RuleCriteria};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::updates::{ApprovalChange, ApprovedBy, FleetUpdate, UPDATE_COLUMNS, approve_in, update_row};
use crate::audit::{Audit, append};
use crate::outbox::{OutboxMessage, enqueue};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};

/// What a rule approves for: a group, or a ring (its first stage, then by promotion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleTarget {
    Group(String),
    Ring(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub target: RuleTarget,
    pub criteria: RuleCriteria,
    pub enabled: bool,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: String,
    pub target: RuleTarget,
    pub criteria: RuleCriteria,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ring {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The groups, in order.
    pub stages: Vec<String>,
    pub promotion_delay_hours: f64,
    pub failure_budget_percent: i64,
}

#[derive(Debug, Clone)]
pub struct NewRing {
    pub name: String,
    pub description: String,
    pub stages: Vec<String>,
    pub promotion_delay_ms: i64,
    pub failure_budget_percent: i64,
}

/// Where one update stands in one ring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingProgress {
    pub ring_id: i64,
    pub ring: String,
    pub update_id: i64,
    pub package: String,
    pub version: String,
    /// The position of the last stage approved, from 0.
    pub stage: i64,
    /// The group of that stage.
    pub group: String,
    pub group_id: i64,
    /// The next stage's group, if there is one.
    pub next_group: Option<(i64, String)>,
    /// `rolling`, `stopped` or `done`.
    pub state: String,
    pub reason: Option<String>,
    pub deadline_days: Option<i64>,
    pub rule_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub stage_approved_at: OffsetDateTime,
    pub promotion_delay_ms: i64,
    pub failure_budget_percent: i64,
}

/// The install results of one update in one group: (succeeded, failed, in flight).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InstallCounts {
    pub succeeded: i64,
    pub failed: i64,
    pub in_flight: i64,
}

fn criteria_json(criteria: &RuleCriteria) -> Result<String, StoreError> {
    serde_json::to_string(criteria).map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn id_by_name(conn: &mut AnyConnection, table: &str, what: &'static str, name: &str) -> Result<i64, StoreError> {
    // `table` is one of two constants below, never input.
    let sql = format!("SELECT id FROM {table} WHERE name = $1");
    sqlx::query_scalar::<Any, i64>(&sql).bind(name).fetch_optional(&mut *conn).await?.ok_or(StoreError::NotFound(what))
}

async fn target_ids(conn: &mut AnyConnection, target: &RuleTarget) -> Result<(Option<i64>, Option<i64>), StoreError> {
    Ok(match target {
        RuleTarget::Group(name) => (Some(id_by_name(conn, "fleet_groups", "group", name).await?), None),
        RuleTarget::Ring(name) => (None, Some(id_by_name(conn, "fleet_rings", "ring", name).await?)),
    })
}

impl Store {
    pub async fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT r.id, r.name, g.name AS group_name, ri.name AS ring_name, r.criteria, r.enabled, r.created_by, \
             r.created_at FROM fleet_rules r LEFT JOIN fleet_groups g ON g.id = r.group_id \
             LEFT JOIN fleet_rings ri ON ri.id = r.ring_id ORDER BY r.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let target = match (row.try_get::<Option<String>, _>("group_name")?, row.try_get("ring_name")?) {
                    (Some(group), _) => RuleTarget::Group(group),
                    (None, Some(ring)) => RuleTarget::Ring(ring),
                    (None, None) => return Err(StoreError::Corrupt("a fleet rule without a target".into())),
                };
                Ok(Rule {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    target,
                    criteria: serde_json::from_str(&row.try_get::<String, _>("criteria")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    enabled: row.try_get::<i64, _>("enabled")? != 0,
                    created_by: row.try_get("created_by")?,
                    created_at: from_ms(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    pub async fn rule(&self, name: &str) -> Result<Option<Rule>, StoreError> {
        Ok(self.rules().await?.into_iter().find(|r| r.name == name))
    }

    pub async fn create_rule(&self, actor: &str, rule: &NewRule) -> Result<Rule, StoreError> {
        let mut tx = self.write_tx().await?;
        let (group_id, ring_id) = target_ids(&mut tx, &rule.target).await?;
        let now = now_ms();
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_rules (name, group_id, ring_id, criteria, enabled, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&rule.name)
        .bind(group_id)
        .bind(ring_id)
        .bind(criteria_json(&rule.criteria)?)
        .bind(i64::from(rule.enabled))
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a rule named {:?} exists", rule.name)))?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::RuleCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"name": rule.name, "target": rule.target, "criteria": rule.criteria, "enabled": rule.enabled})),
            },
        )
        .await?;
        tx.commit().await?;
        self.rule(&rule.name).await?.ok_or(StoreError::NotFound("rule"))
    }

    pub async fn update_rule(&self, actor: &str, name: &str, rule: &NewRule) -> Result<Rule, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = id_by_name(&mut tx, "fleet_rules", "rule", name).await?;
        let (group_id, ring_id) = target_ids(&mut tx, &rule.target).await?;
        sqlx::query::<Any>(
            "UPDATE fleet_rules SET name = $1, group_id = $2, ring_id = $3, criteria = $4, enabled = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(&rule.name)
        .bind(group_id)
        .bind(ring_id)
        .bind(criteria_json(&rule.criteria)?)
        .bind(i64::from(rule.enabled))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a rule named {:?} exists", rule.name)))?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::RuleUpdate,
                entity_id: Some(id.to_string()),
                before: Some(json!({"name": name})),
                after: Some(json!({"name": rule.name, "target": rule.target, "criteria": rule.criteria, "enabled": rule.enabled})),
            },
        )
        .await?;
        tx.commit().await?;
        self.rule(&rule.name).await?.ok_or(StoreError::NotFound("rule"))
    }

    pub async fn delete_rule(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        self.delete_named(actor, "fleet_rules", "rule", AuditAction::RuleDelete, name).await
    }

    /// The updates an enabled rule has not acted on yet.
    pub async fn updates_unseen_by(&self, rule_id: i64) -> Result<Vec<FleetUpdate>, StoreError> {
        let sql = format!(
            "SELECT {UPDATE_COLUMNS} FROM fleet_updates u WHERE NOT EXISTS \
             (SELECT 1 FROM fleet_rule_applied a WHERE a.rule_id = $1 AND a.update_id = u.id) ORDER BY u.id"
        );
        let rows = sqlx::query::<Any>(&sql).bind(rule_id).fetch_all(&self.pool).await?;
        rows.iter().map(update_row).collect()
    }

    /// A rule acts on an update: approves it for its group, or for its ring's first stage (and
    /// starts the update's progress through the ring); `approve` false only notes that the rule
    /// has looked (it does not match). Once per rule and update.
    pub async fn apply_rule(
        &self,
        rule: &Rule,
        update_id: i64,
        approve: bool,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let noted = sqlx::query::<Any>(
            "INSERT INTO fleet_rule_applied (rule_id, update_id, at) VALUES ($1, $2, $3) \
             ON CONFLICT (rule_id, update_id) DO NOTHING",
        )
        .bind(rule.id)
        .bind(update_id)
        .bind(to_ms(at))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if noted == 0 || !approve {
            tx.commit().await?;
            return Ok(false);
        }
        let deadline = rule.criteria.deadline_days.map(|d| at + time::Duration::days(i64::from(d)));
        match &rule.target {
            RuleTarget::Group(group) => {
                let group_id = id_by_name(&mut tx, "fleet_groups", "group", group).await?;
                let change = ApprovalChange {
                    update_ids: &[update_id],
                    group_ids: &[group_id],
                    action: Some(ApprovalAction::Install),
                    deadline,
                    by: ApprovedBy::Rule { id: rule.id, name: &rule.name },
                    at,
                };
                approve_in(&mut tx, &change).await?;
            }
            RuleTarget::Ring(ring) => {
                let ring_id = id_by_name(&mut tx, "fleet_rings", "ring", ring).await?;
                let first = sqlx::query_scalar::<Any, i64>(
                    "SELECT group_id FROM fleet_ring_stages WHERE ring_id = $1 ORDER BY position LIMIT 1",
                )
                .bind(ring_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(group_id) = first else {
                    tx.commit().await?;
                    return Ok(false);
                };
                let stages =
                    sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM fleet_ring_stages WHERE ring_id = $1")
                        .bind(ring_id)
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::query::<Any>(
                    "INSERT INTO fleet_ring_progress (ring_id, update_id, stage, state, deadline_days, rule_id, updated_at) \
                     VALUES ($1, $2, 0, $3, $4, $5, $6) ON CONFLICT (ring_id, update_id) DO NOTHING",
                )
                .bind(ring_id)
                .bind(update_id)
                .bind(if stages > 1 { "rolling" } else { "done" })
                .bind(rule.criteria.deadline_days.map(i64::from))
                .bind(rule.id)
                .bind(to_ms(at))
                .execute(&mut *tx)
                .await?;
                let change = ApprovalChange {
                    update_ids: &[update_id],
                    group_ids: &[group_id],
                    action: Some(ApprovalAction::Install),
                    deadline,
                    by: ApprovedBy::Ring { id: ring_id, name: ring, rule_id: Some(rule.id) },
                    at,
                };
                approve_in(&mut tx, &change).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn rings(&self) -> Result<Vec<Ring>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, name, description, promotion_delay_ms, failure_budget_percent FROM fleet_rings ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let stages = sqlx::query_scalar::<Any, String>(
                "SELECT g.name FROM fleet_ring_stages s JOIN fleet_groups g ON g.id = s.group_id WHERE s.ring_id = $1 \
                 ORDER BY s.position",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            out.push(Ring {
                id,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
                stages,
                promotion_delay_hours: row.try_get::<i64, _>("promotion_delay_ms")? as f64 / 3_600_000.0,
                failure_budget_percent: row.try_get("failure_budget_percent")?,
            });
        }
        Ok(out)
    }

    pub async fn ring(&self, name: &str) -> Result<Option<Ring>, StoreError> {
        Ok(self.rings().await?.into_iter().find(|r| r.name == name))
    }

    async fn write_stages(tx: &mut AnyConnection, ring_id: i64, stages: &[String]) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM fleet_ring_stages WHERE ring_id = $1").bind(ring_id).execute(&mut *tx).await?;
        for (position, group) in stages.iter().enumerate() {
            let group_id = id_by_name(tx, "fleet_groups", "group", group).await?;
            sqlx::query::<Any>("INSERT INTO fleet_ring_stages (ring_id, position, group_id) VALUES ($1, $2, $3)")
                .bind(ring_id)
                .bind(position as i64)
                .bind(group_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique(e, "stages", format!("group {group:?} is in the ring twice")))?;
        }
        Ok(())
    }

    pub async fn create_ring(&self, actor: &str, ring: &NewRing) -> Result<Ring, StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_rings (name, description, promotion_delay_ms, failure_budget_percent, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&ring.name)
        .bind(&ring.description)
        .bind(ring.promotion_delay_ms)
        .bind(ring.failure_budget_percent)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a ring named {:?} exists", ring.name)))?;
        Store::write_stages(&mut tx, id, &ring.stages).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::RingCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"name": ring.name, "stages": ring.stages, "promotion_delay_ms": ring.promotion_delay_ms, "failure_budget_percent": ring.failure_budget_percent})),
            },
        )
        .await?;
        tx.commit().await?;
        self.ring(&ring.name).await?.ok_or(StoreError::NotFound("ring"))
    }

    pub async fn update_ring(&self, actor: &str, name: &str, ring: &NewRing) -> Result<Ring, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = id_by_name(&mut tx, "fleet_rings", "ring", name).await?;
        sqlx::query::<Any>(
            "UPDATE fleet_rings SET name = $1, description = $2, promotion_delay_ms = $3, failure_budget_percent = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&ring.name)
        .bind(&ring.description)
        .bind(ring.promotion_delay_ms)
        .bind(ring.failure_budget_percent)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a ring named {:?} exists", ring.name)))?;
        Store::write_stages(&mut tx, id, &ring.stages).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::RingUpdate,
                entity_id: Some(id.to_string()),
                before: Some(json!({"name": name})),
                after: Some(json!({"name": ring.name, "stages": ring.stages, "promotion_delay_ms": ring.promotion_delay_ms, "failure_budget_percent": ring.failure_budget_percent})),
            },
        )
        .await?;
        tx.commit().await?;
        self.ring(&ring.name).await?.ok_or(StoreError::NotFound("ring"))
    }

    pub async fn delete_ring(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        self.delete_named(actor, "fleet_rings", "ring", AuditAction::RingDelete, name).await
    }

    /// Deletes the rule or ring of this name (`table` is one of theirs, never input), audited.
    async fn delete_named(
        &self,
        actor: &str,
        table: &str,
        what: &'static str,
        action: AuditAction,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let id = id_by_name(&mut tx, table, what, name).await?;
        sqlx::query::<Any>(&format!("DELETE FROM {table} WHERE id = $1")).bind(id).execute(&mut *tx).await?;
        append(
            &mut tx,
            Audit { actor, action, entity_id: Some(id.to_string()), before: Some(json!({"name": name})), after: None },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where updates stand in rings: all of them, or only those still rolling.
    pub async fn ring_progress(&self, rolling_only: bool) -> Result<Vec<RingProgress>, StoreError> {
        let sql = format!(
            "SELECT p.ring_id, ri.name AS ring_name, p.update_id, u.package, u.version, p.stage, p.state, p.reason, \
             p.deadline_days, p.rule_id, ri.promotion_delay_ms, ri.failure_budget_percent, s.group_id, \
             g.name AS group_name, a.approved_at, \
             (SELECT n.group_id FROM fleet_ring_stages n WHERE n.ring_id = p.ring_id AND n.position = p.stage + 1) \
             AS next_id, \
             (SELECT ng.name FROM fleet_ring_stages n JOIN fleet_groups ng ON ng.id = n.group_id \
              WHERE n.ring_id = p.ring_id AND n.position = p.stage + 1) AS next_name \
             FROM fleet_ring_progress p JOIN fleet_rings ri ON ri.id = p.ring_id \
             JOIN fleet_updates u ON u.id = p.update_id \
             JOIN fleet_ring_stages s ON s.ring_id = p.ring_id AND s.position = p.stage \
             JOIN fleet_groups g ON g.id = s.group_id \
             LEFT JOIN fleet_approvals a ON a.update_id = p.update_id AND a.group_id = s.group_id{} \
             ORDER BY p.updated_at DESC, p.ring_id, p.update_id",
            if rolling_only { " WHERE p.state = 'rolling'" } else { "" }
        );
        let rows = sqlx::query::<Any>(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let next_id: Option<i64> = row.try_get("next_id")?;
                let next_name: Option<String> = row.try_get("next_name")?;
                Ok(RingProgress {
                    ring_id: row.try_get("ring_id")?,
                    ring: row.try_get("ring_name")?,
                    update_id: row.try_get("update_id")?,
                    package: row.try_get("package")?,
                    version: row.try_get("version")?,
                    stage: row.try_get("stage")?,
                    group: row.try_get("group_name")?,
                    group_id: row.try_get("group_id")?,
                    next_group: next_id.zip(next_name),
                    state: row.try_get("state")?,
                    reason: row.try_get("reason")?,
                    deadline_days: row.try_get("deadline_days")?,
                    rule_id: row.try_get("rule_id")?,
                    stage_approved_at: from_ms(row.try_get::<Option<i64>, _>("approved_at")?.unwrap_or(0)),
                    promotion_delay_ms: row.try_get("promotion_delay_ms")?,
                    failure_budget_percent: row.try_get("failure_budget_percent")?,
                })
            })
            .collect()
    }

    /// What installs of an update in a group came to so far.
    pub async fn install_counts(&self, update_id: i64, group_id: i64) -> Result<InstallCounts, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT outcome, COUNT(*) AS n FROM fleet_job_packages jp JOIN fleet_jobs j ON j.id = jp.job_id \
             WHERE jp.update_id = $1 AND jp.group_id = $2 AND j.kind = 'install' AND j.state <> 'cancelled' \
             GROUP BY outcome",
        )
        .bind(update_id)
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = InstallCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<Option<String>, _>("outcome")?.as_deref() {
                Some("succeeded") => counts.succeeded += n,
                Some(_) => counts.failed += n,
                None => counts.in_flight += n,
            }
        }
        Ok(counts)
    }

    /// Moves an update on to the ring's next stage: its approval there, in one transaction with
    /// the progress.
    pub async fn promote(&self, progress: &RingProgress, at: OffsetDateTime) -> Result<(), StoreError> {
        let Some((group_id, _)) = &progress.next_group else { return Ok(()) };
        let mut tx = self.write_tx().await?;
        let last = sqlx::query_scalar::<Any, i64>("SELECT MAX(position) FROM fleet_ring_stages WHERE ring_id = $1")
            .bind(progress.ring_id)
            .fetch_one(&mut *tx)
            .await?;
        let stage = progress.stage + 1;
        let moved = sqlx::query::<Any>(
            "UPDATE fleet_ring_progress SET stage = $1, state = $2, updated_at = $3 WHERE ring_id = $4 \
             AND update_id = $5 AND stage = $6 AND state = 'rolling'",
        )
        .bind(stage)
        .bind(if stage >= last { "done" } else { "rolling" })
        .bind(to_ms(at))
        .bind(progress.ring_id)
        .bind(progress.update_id)
        .bind(progress.stage)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            // Another server promoted it first.
            return Ok(());
        }
        let deadline = progress.deadline_days.map(|d| at + time::Duration::days(d));
        let change = ApprovalChange {
            update_ids: &[progress.update_id],
            group_ids: &[*group_id],
            action: Some(ApprovalAction::Install),
            deadline,
            by: ApprovedBy::Ring { id: progress.ring_id, name: &progress.ring, rule_id: progress.rule_id },
            at,
        };
        approve_in(&mut tx, &change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops an update in a ring: later stages do not get it, and the staff's webhooks hear why.
    pub async fn stop_ring(&self, progress: &RingProgress, reason: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let stopped = sqlx::query::<Any>(
            "UPDATE fleet_ring_progress SET state = 'stopped', reason = $1, updated_at = $2 WHERE ring_id = $3 \
             AND update_id = $4 AND state = 'rolling'",
        )
        .bind(reason)
        .bind(to_ms(at))
        .bind(progress.ring_id)
        .bind(progress.update_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stopped == 0 {
            return Ok(());
        }
        // Approvals the ring made in later stages (none unless someone moved it back) wait.
        sqlx::query::<Any>(
            "UPDATE fleet_approvals SET paused_at = $1, paused_reason = $2 WHERE update_id = $3 AND ring_id = $4 \
             AND group_id IN (SELECT group_id FROM fleet_ring_stages WHERE ring_id = $4 AND position > $5)",
        )
        .bind(to_ms(at))
        .bind(reason)
        .bind(progress.update_id)
        .bind(progress.ring_id)
        .bind(progress.stage)
        .execute(&mut *tx)
        .await?;
        let message = OutboxMessage {
            id: format!("evt_fleet_ring_stopped_{}_{}_{}", progress.ring_id, progress.update_id, progress.stage),
            kind: "fleet.ring_stopped".into(),
            severity: None,
            products: Vec::new(),
            payload: json!({
                "type": "fleet.ring_stopped",
                "ring": progress.ring,
                "stage": progress.group,
                "package": progress.package,
                "version": progress.version,
                "reason": reason,
            }),
        };
        enqueue(&mut tx, &message).await?;
        tx.commit().await?;
        Ok(())
    }
}
