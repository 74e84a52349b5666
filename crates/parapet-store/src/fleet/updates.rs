//! Updates and their approvals: the versions the fleet needs (noted as packages are computed),
//! approved, declined or left alone per group, by a person, a rule or a ring's promotion.
//!
//! Changing a group's approvals marks its hosts for planning at their next check-in
//! (`fleet_hosts.plan_at`): the check-in is where a host's jobs are made, so nothing is planned
//! for hosts that never come back.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::rollout::{ApprovalAction, HostApproval, HostPackageVersion, RebootPolicy};
use parapet_model::{AuditAction, Severity};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::findings::ComputedFix;
use super::package_lists;
use crate::audit::{Audit, append};
use crate::{Arg, Binds, Page, Store, StoreError, from_ms, like_pattern, now_ms, placeholders, to_ms};

/// One version of one package in one ecosystem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetUpdate {
    pub id: i64,
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    /// `security`, `critical`, `bugfix` or `unclassified`.
    pub classification: String,
    pub severity: Option<Severity>,
    pub advisories: Vec<String>,
    pub sources: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub released_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen_at: OffsetDateTime,
}

/// An update's approval for one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub id: i64,
    pub update_id: i64,
    pub group: String,
    pub group_id: i64,
    pub action: ApprovalAction,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deadline: Option<OffsetDateTime>,
    pub approved_by: String,
    /// The rule that made it, and the ring it moved through.
    pub rule: Option<String>,
    pub ring: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub approved_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
    pub paused_reason: Option<String>,
}

/// An update with its approvals, as the approvals page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateRow {
    #[serde(flatten)]
    pub update: FleetUpdate,
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Clone, Default)]
pub struct FleetUpdateQuery {
    /// Part of the package name, or an advisory ID it fixes.
    pub q: Option<String>,
    pub classification: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

/// Who makes an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovedBy<'a> {
    Person(&'a str),
    Rule {
        id: i64,
        name: &'a str,
    },
    /// A ring's promotion (or its first stage), for the rule that started it if one did.
    Ring {
        id: i64,
        name: &'a str,
        rule_id: Option<i64>,
    },
}

impl ApprovedBy<'_> {
    fn actor(&self) -> String {
        match self {
            ApprovedBy::Person(actor) => (*actor).to_owned(),
            ApprovedBy::Rule { name, .. } => format!("rule:{name}"),
            ApprovedBy::Ring { name, .. } => format!("ring:{name}"),
        }
    }
}

/// A change to the approvals of some updates for some groups; `None` takes approvals back.
#[derive(Debug, Clone)]
pub struct ApprovalChange<'a> {
    pub update_ids: &'a [i64],
    pub group_ids: &'a [i64],
    pub action: Option<ApprovalAction>,
    pub deadline: Option<OffsetDateTime>,
    pub by: ApprovedBy<'a>,
    pub at: OffsetDateTime,
}

/// A group's rollout settings, as planning needs them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRollout {
    pub id: i64,
    pub name: String,
    /// `Windows::to_text`'s form: `""` for always.
    pub windows: String,
    pub reboot: RebootPolicy,
}

pub(super) fn update_row(row: &sqlx::any::AnyRow) -> Result<FleetUpdate, StoreError> {
    let list = |column: &str| -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&row.try_get::<String, _>(column)?).map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    Ok(FleetUpdate {
        id: row.try_get("id")?,
        ecosystem: row.try_get("ecosystem")?,
        package: row.try_get("package")?,
        version: row.try_get("version")?,
        classification: row.try_get("classification")?,
        severity: Severity::from_rank(row.try_get("severity_rank")?),
        advisories: list("advisories")?,
        sources: list("sources")?,
        released_at: from_ms(row.try_get("released_at")?),
        first_seen_at: from_ms(row.try_get("first_seen_at")?),
    })
}

pub(super) const UPDATE_COLUMNS: &str = "u.id, u.ecosystem, u.package, u.version, u.classification, u.severity_rank, \
                              u.advisories, u.sources, u.released_at, u.first_seen_at";

const APPROVAL_SELECT: &str = "SELECT a.id, a.update_id, a.group_id, g.name AS group_name, a.action, a.deadline, \
     a.approved_by, r.name AS rule_name, ri.name AS ring_name, a.approved_at, a.paused_at, a.paused_reason \
     FROM fleet_approvals a JOIN fleet_groups g ON g.id = a.group_id \
     LEFT JOIN fleet_rules r ON r.id = a.rule_id LEFT JOIN fleet_rings ri ON ri.id = a.ring_id";

fn approval_row(row: &sqlx::any::AnyRow) -> Result<Approval, StoreError> {
    Ok(Approval {
        id: row.try_get("id")?,
        update_id: row.try_get("update_id")?,
        group: row.try_get("group_name")?,
        group_id: row.try_get("group_id")?,
        action: row.try_get::<String, _>("action")?.parse().map_err(|e| StoreError::Corrupt(format!("{e:?}")))?,
        deadline: row.try_get::<Option<i64>, _>("deadline")?.map(from_ms),
        approved_by: row.try_get("approved_by")?,
        rule: row.try_get("rule_name")?,
        ring: row.try_get("ring_name")?,
        approved_at: from_ms(row.try_get("approved_at")?),
        paused_at: row.try_get::<Option<i64>, _>("paused_at")?.map(from_ms),
        paused_reason: row.try_get("paused_reason")?,
    })
}

impl Store {
    /// The updates the fleet knows, newest first, with their approvals.
    pub async fn fleet_updates(&self, query: &FleetUpdateQuery) -> Result<Page<UpdateRow>, StoreError> {
        let per_page = query.per_page.clamp(1, 500);
        let page = query.page.max(1);
        let mut binds = Binds::default();
        let mut conditions: Vec<String> = Vec::new();
        if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let package = binds.add(Arg::Text(like_pattern(q)));
            let advisory = binds.add(Arg::Text(like_pattern(&format!("\"{q}\""))));
            conditions.push(format!(
                "(LOWER(u.package) LIKE {package} ESCAPE '\\' OR LOWER(u.advisories) LIKE {advisory} ESCAPE '\\')"
            ));
        }
        if let Some(class) = &query.classification {
            conditions.push(format!("u.classification = {}", binds.add(Arg::Text(class.clone()))));
        }
        let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let total = binds
            .to(sqlx::query(&format!("SELECT COUNT(*) AS n FROM fleet_updates u{filter}")))
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?;
        let limit = binds.add(Arg::Int(i64::from(per_page)));
        let offset = binds.add(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let rows = binds
            .to(sqlx::query(&format!(
                "SELECT {UPDATE_COLUMNS} FROM fleet_updates u{filter} ORDER BY u.first_seen_at DESC, u.id DESC \
                 LIMIT {limit} OFFSET {offset}"
            )))
            .fetch_all(&self.pool)
            .await?;
        let updates = rows.iter().map(update_row).collect::<Result<Vec<_>, _>>()?;
        // The page's approvals in one query.
        let mut approvals: BTreeMap<i64, Vec<Approval>> = BTreeMap::new();
        if !updates.is_empty() {
            let sql =
                format!("{APPROVAL_SELECT} WHERE a.update_id IN ({}) ORDER BY g.name", placeholders(1, updates.len()));
            let mut select = sqlx::query::<Any>(&sql);
            for update in &updates {
                select = select.bind(update.id);
            }
            for row in select.fetch_all(&self.pool).await? {
                let approval = approval_row(&row)?;
                approvals.entry(approval.update_id).or_default().push(approval);
            }
        }
        let items = updates
            .into_iter()
            .map(|update| UpdateRow { approvals: approvals.remove(&update.id).unwrap_or_default(), update })
            .collect();
        Ok(Page { items, total, page, per_page })
    }

    pub async fn fleet_update(&self, id: i64) -> Result<Option<FleetUpdate>, StoreError> {
        let sql = format!("SELECT {UPDATE_COLUMNS} FROM fleet_updates u WHERE u.id = $1");
        sqlx::query::<Any>(&sql).bind(id).fetch_optional(&self.pool).await?.as_ref().map(update_row).transpose()
    }

    /// The updates that fix an advisory (by ID or alias).
    pub async fn updates_fixing(&self, advisory: &str) -> Result<Vec<FleetUpdate>, StoreError> {
        let pattern = like_pattern(&format!("\"{advisory}\""));
        let sql = format!(
            "SELECT {UPDATE_COLUMNS} FROM fleet_updates u WHERE LOWER(u.advisories) LIKE $1 ESCAPE '\\' \
             ORDER BY u.package, u.id"
        );
        let rows = sqlx::query::<Any>(&sql).bind(pattern).fetch_all(&self.pool).await?;
        let updates = rows.iter().map(update_row).collect::<Result<Vec<_>, _>>()?;
        Ok(updates.into_iter().filter(|u| u.advisories.iter().any(|a| a == advisory)).collect())
    }

    /// The update for this version of a package, made (unclassified, released now) when the
    /// fleet has not needed it yet: an approval may name any version.
    pub async fn ensure_update(&self, ecosystem: &str, package: &str, version: &str) -> Result<i64, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>(
            "INSERT INTO fleet_updates (ecosystem, package, version, classification, released_at, first_seen_at) \
             VALUES ($1, $2, $3, 'unclassified', $4, $4) ON CONFLICT (ecosystem, package, version) DO NOTHING",
        )
        .bind(ecosystem)
        .bind(package)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let id = sqlx::query_scalar::<Any, i64>(
            "SELECT id FROM fleet_updates WHERE ecosystem = $1 AND package = $2 AND version = $3",
        )
        .bind(ecosystem)
        .bind(package)
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn approvals_of(&self, update_id: i64) -> Result<Vec<Approval>, StoreError> {
        let sql = format!("{APPROVAL_SELECT} WHERE a.update_id = $1 ORDER BY g.name");
        sqlx::query::<Any>(&sql).bind(update_id).fetch_all(&self.pool).await?.iter().map(approval_row).collect()
    }

    /// Approves, declines or takes back the approval of each update for each group, in one
    /// transaction with its audit entries; the groups' hosts are planned again at their next
    /// check-in. The number of approvals that changed.
    pub async fn set_approvals(&self, change: &ApprovalChange<'_>) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = approve_in(&mut tx, change).await?;
        tx.commit().await?;
        Ok(changed)
    }
}

/// [`Store::set_approvals`] in the caller's transaction.
pub(super) async fn approve_in(tx: &mut AnyConnection, change: &ApprovalChange<'_>) -> Result<u64, StoreError> {
    let at = to_ms(change.at);
    let actor = change.by.actor();
    let (rule_id, ring_id) = match change.by {
        ApprovedBy::Person(_) => (None, None),
        ApprovedBy::Rule { id, .. } => (Some(id), None),
        ApprovedBy::Ring { id, rule_id, .. } => (rule_id, Some(id)),
    };
    let mut changed = 0;
    let mut replan: BTreeSet<i64> = BTreeSet::new();
    for update_id in change.update_ids {
        let exists = sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM fleet_updates WHERE id = $1")
            .bind(*update_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound("update"));
        }
        for group_id in change.group_ids {
            let before = sqlx::query::<Any>(
                "SELECT action, deadline FROM fleet_approvals WHERE update_id = $1 AND group_id = $2",
            )
            .bind(*update_id)
            .bind(*group_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| -> Result<(String, Option<i64>), StoreError> {
                Ok((row.try_get("action")?, row.try_get("deadline")?))
            })
            .transpose()?;
            let wanted = change.action.map(|a| (a.as_str().to_owned(), change.deadline.map(to_ms)));
            if before == wanted {
                continue;
            }
            match change.action {
                Some(action) => {
                    sqlx::query::<Any>(
                        "INSERT INTO fleet_approvals (update_id, group_id, action, deadline, approved_by, rule_id, \
                             ring_id, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (update_id, group_id) DO UPDATE SET action = excluded.action, \
                             deadline = excluded.deadline, approved_by = excluded.approved_by, \
                             rule_id = excluded.rule_id, ring_id = excluded.ring_id, \
                             approved_at = excluded.approved_at, paused_at = NULL, paused_reason = NULL",
                    )
                    .bind(*update_id)
                    .bind(*group_id)
                    .bind(action.as_str())
                    .bind(change.deadline.map(to_ms))
                    .bind(&actor)
                    .bind(rule_id)
                    .bind(ring_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("group"),
                        _ => StoreError::from(e),
                    })?;
                }
                None => {
                    sqlx::query::<Any>("DELETE FROM fleet_approvals WHERE update_id = $1 AND group_id = $2")
                        .bind(*update_id)
                        .bind(*group_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            append(
                &mut *tx,
                Audit {
                    actor: &actor,
                    action: AuditAction::UpdateApproval,
                    entity_id: Some(update_id.to_string()),
                    before: before.map(
                        |(action, deadline)| json!({"group_id": group_id, "action": action, "deadline": deadline}),
                    ),
                    after: Some(json!({
                        "group_id": group_id,
                        "action": change.action.map_or("not_approved", ApprovalAction::as_str),
                        "deadline": change.deadline.map(to_ms),
                    })),
                },
            )
            .await?;
            changed += 1;
            replan.insert(*group_id);
        }
    }
    for group_id in replan {
        plan_group(&mut *tx, group_id).await?;
    }
    Ok(changed)
}

impl Store {
    /// A group's rollout settings: windows (`Windows::to_text`'s form) and reboot policy. Its
    /// hosts are planned again.
    pub async fn set_group_rollout(
        &self,
        actor: &str,
        name: &str,
        windows: &str,
        reboot: RebootPolicy,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>("SELECT id, windows, reboot FROM fleet_groups WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("group"))?;
        let id: i64 = row.try_get("id")?;
        let before =
            json!({"windows": row.try_get::<String, _>("windows")?, "reboot": row.try_get::<String, _>("reboot")?});
        sqlx::query::<Any>("UPDATE fleet_groups SET windows = $1, reboot = $2, updated_at = $3 WHERE id = $4")
            .bind(windows)
            .bind(reboot.as_str())
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupUpdate,
                entity_id: Some(id.to_string()),
                before: Some(before),
                after: Some(json!({"windows": windows, "reboot": reboot.as_str()})),
            },
        )
        .await?;
        plan_group(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every group's rollout settings, by name.
    pub async fn group_rollouts(&self) -> Result<Vec<GroupRollout>, StoreError> {
        let rows = sqlx::query::<Any>("SELECT id, name, windows, reboot FROM fleet_groups ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(group_rollout).collect()
    }
}

fn group_rollout(row: &sqlx::any::AnyRow) -> Result<GroupRollout, StoreError> {
    Ok(GroupRollout {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        windows: row.try_get("windows")?,
        reboot: row.try_get::<String, _>("reboot")?.parse().map_err(|e| StoreError::Corrupt(format!("{e:?}")))?,
    })
}

/// Marks a group's hosts for planning at their next check-in. The mark is `0`, "due whatever
/// the clock says": the time a host should wait until (a window, a deadline) is written by
/// planning, with the server's clock.
pub(super) async fn plan_group(conn: &mut AnyConnection, group_id: i64) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE fleet_hosts SET plan_at = 0 WHERE revoked_at IS NULL AND (plan_at IS NULL OR plan_at > 0) \
         AND id IN (SELECT host_id FROM fleet_group_members WHERE group_id = $1)",
    )
    .bind(group_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks one host for planning at its next check-in (see [`plan_group`]).
pub(super) async fn plan_host(conn: &mut AnyConnection, host_id: &str) -> Result<(), StoreError> {
    sqlx::query::<Any>("UPDATE fleet_hosts SET plan_at = 0 WHERE id = $1 AND (plan_at IS NULL OR plan_at > 0)")
        .bind(host_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Notes the fix computed for a package as an update of the fleet, merging what another
/// installed version of the package said about the same update.
pub(super) async fn note_fix(conn: &mut AnyConnection, package_id: i64, fix: &ComputedFix) -> Result<(), StoreError> {
    let row = sqlx::query::<Any>("SELECT ecosystem, name FROM fleet_packages WHERE id = $1")
        .bind(package_id)
        .fetch_one(&mut *conn)
        .await?;
    let (ecosystem, package): (String, String) = (row.try_get("ecosystem")?, row.try_get("name")?);
    let existing = sqlx::query::<Any>(
        "SELECT id, classification, severity_rank, advisories, sources FROM fleet_updates \
         WHERE ecosystem = $1 AND package = $2 AND version = $3",
    )
    .bind(&ecosystem)
    .bind(&package)
    .bind(&fix.version)
    .fetch_optional(&mut *conn)
    .await?;
    let decode = |text: String| -> Result<BTreeSet<String>, StoreError> {
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let encode = |set: &BTreeSet<String>| serde_json::to_string(set).unwrap_or_else(|_| "[]".into());
    match existing {
        None => {
            let mut sources: BTreeSet<String> = fix.source.iter().cloned().collect();
            sources.extend(sources_naming(conn, &fix.advisories).await?);
            let advisories: BTreeSet<String> = fix.advisories.iter().cloned().collect();
            let now = now_ms();
            let published = super::remediation::published_at(conn, &fix.advisories).await?;
            sqlx::query::<Any>(
                "INSERT INTO fleet_updates (ecosystem, package, version, classification, severity_rank, advisories, \
                 sources, released_at, first_seen_at, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&ecosystem)
            .bind(&package)
            .bind(&fix.version)
            .bind(&fix.classification)
            .bind(fix.severity_rank)
            .bind(encode(&advisories))
            .bind(encode(&sources))
            .bind(fix.released_at.unwrap_or(now))
            .bind(now)
            .bind(published)
            .execute(&mut *conn)
            .await?;
        }
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            let mut advisories = decode(row.try_get("advisories")?)?;
            let known = advisories.len();
            advisories.extend(fix.advisories.iter().cloned());
            let stored_class: String = row.try_get("classification")?;
            let stored_rank: i64 = row.try_get("severity_rank")?;
            // An update approved before the catalog named it takes the catalog's word.
            let class = if stored_class == "unclassified" { fix.classification.clone() } else { stored_class.clone() };
            if advisories.len() == known && class == stored_class && fix.severity_rank <= stored_rank {
                return Ok(());
            }
            let mut sources = decode(row.try_get("sources")?)?;
            sources.extend(fix.source.iter().cloned());
            let new: Vec<String> = advisories.iter().cloned().collect();
            sources.extend(sources_naming(conn, &new).await?);
            let published = super::remediation::published_at(conn, &new).await?;
            sqlx::query::<Any>(
                "UPDATE fleet_updates SET classification = $1, severity_rank = $2, advisories = $3, sources = $4, \
                 published_at = $5 WHERE id = $6",
            )
            .bind(class)
            .bind(stored_rank.max(fix.severity_rank))
            .bind(encode(&advisories))
            .bind(encode(&sources))
            .bind(published)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The catalog sources with a live record of any of these IDs.
async fn sources_naming(conn: &mut AnyConnection, ids: &[String]) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    for chunk in ids.chunks(200) {
        let sql = format!(
            "SELECT DISTINCT s.name FROM catalog_ids ci JOIN catalog_records r ON r.id = ci.record \
             JOIN catalog_sources s ON s.id = r.source_id WHERE ci.alias IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<Any, String>(&sql);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// What planning a host's installs needs from the store.
#[derive(Debug, Clone, Default)]
pub struct HostRollout {
    pub ecosystem: String,
    /// The system asks for a restart, as the last check-in or job report said.
    pub reboot_required: bool,
    /// The host's uptime at its last check-in.
    pub uptime_seconds: Option<u64>,
    pub groups: Vec<GroupRollout>,
    pub approvals: Vec<(HostApproval, i64)>,
    /// The host's packages that some approval of its groups names.
    pub installed: Vec<HostPackageVersion>,
}

impl Store {
    /// The approvals of a host's groups (each with its update ID), those groups' settings, and
    /// the host's installed versions of the packages approved.
    pub async fn host_rollout(&self, host_id: &str) -> Result<HostRollout, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let host =
            sqlx::query::<Any>("SELECT ecosystem, inventory_id, reboot_required, facts FROM fleet_hosts WHERE id = $1")
                .bind(host_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("host"))?;
        let ecosystem: String = host.try_get("ecosystem")?;
        let inventory: Option<i64> = host.try_get("inventory_id")?;
        let facts: Option<parapet_model::HostFacts> =
            host.try_get::<Option<String>, _>("facts")?.and_then(|f| serde_json::from_str(&f).ok());
        let groups = sqlx::query::<Any>(
            "SELECT DISTINCT g.id, g.name, g.windows, g.reboot FROM fleet_groups g \
             JOIN fleet_group_members m ON m.group_id = g.id WHERE m.host_id = $1 ORDER BY g.name",
        )
        .bind(host_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(group_rollout)
        .collect::<Result<Vec<_>, _>>()?;
        let mut out = HostRollout {
            ecosystem: ecosystem.clone(),
            reboot_required: host.try_get::<i64, _>("reboot_required")? != 0,
            uptime_seconds: facts.map(|f| f.uptime_seconds),
            groups,
            ..HostRollout::default()
        };
        if out.groups.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT a.id, a.update_id, a.group_id, a.action, a.deadline, a.paused_at, u.package, u.version \
             FROM fleet_approvals a JOIN fleet_updates u ON u.id = a.update_id \
             WHERE u.ecosystem = $1 AND a.group_id IN ({})",
            placeholders(2, out.groups.len())
        );
        let mut query = sqlx::query::<Any>(&sql).bind(&ecosystem);
        for group in &out.groups {
            query = query.bind(group.id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let approval = HostApproval {
                id: row.try_get("id")?,
                group_id: row.try_get("group_id")?,
                package: row.try_get("package")?,
                version: row.try_get("version")?,
                action: row
                    .try_get::<String, _>("action")?
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e:?}")))?,
                deadline: row.try_get::<Option<i64>, _>("deadline")?.map(from_ms),
                paused: row.try_get::<Option<i64>, _>("paused_at")?.is_some(),
            };
            out.approvals.push((approval, row.try_get("update_id")?));
        }
        let (Some(inventory), false) = (inventory, out.approvals.is_empty()) else { return Ok(out) };
        let names: BTreeSet<&str> = out.approvals.iter().map(|(a, _)| a.package.as_str()).collect();
        let mut candidates: Vec<(i64, HostPackageVersion)> = Vec::new();
        let names: Vec<&str> = names.into_iter().collect();
        for chunk in names.chunks(200) {
            let sql = format!(
                "SELECT id, name, arch, version FROM fleet_packages WHERE ecosystem = $1 AND name IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query::<Any>(&sql).bind(&ecosystem);
            for name in chunk {
                query = query.bind(*name);
            }
            for row in query.fetch_all(&mut *conn).await? {
                candidates.push((
                    row.try_get("id")?,
                    HostPackageVersion {
                        name: row.try_get("name")?,
                        arch: row.try_get("arch")?,
                        version: row.try_get("version")?,
                    },
                ));
            }
        }
        let list = sqlx::query_scalar::<Any, String>("SELECT package_ids FROM fleet_inventories WHERE id = $1")
            .bind(inventory)
            .fetch_one(&mut *conn)
            .await?;
        let mut wanted: Vec<i64> = candidates.iter().map(|(id, _)| *id).collect();
        wanted.sort_unstable();
        let held = package_lists::held(&list, &wanted)?;
        out.installed =
            candidates.into_iter().filter(|(id, _)| held.binary_search(id).is_ok()).map(|(_, p)| p).collect();
        Ok(out)
    }
}

impl Store {
    /// The installed versions of a package on the active hosts of a group: (host, version).
    pub async fn group_package_versions(
        &self,
        group_id: i64,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let candidates =
            sqlx::query::<Any>("SELECT id, version FROM fleet_packages WHERE ecosystem = $1 AND name = $2")
                .bind(ecosystem)
                .bind(package)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| Ok((row.try_get::<i64, _>("id")?, row.try_get::<String, _>("version")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted: Vec<i64> = candidates.iter().map(|(id, _)| *id).collect();
        wanted.sort_unstable();
        let hosts = sqlx::query::<Any>(
            "SELECT id, inventory_id FROM fleet_hosts WHERE revoked_at IS NULL AND inventory_id IS NOT NULL \
             AND id IN (SELECT host_id FROM fleet_group_members WHERE group_id = $1)",
        )
        .bind(group_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<String, _>("id")?, row.try_get::<i64, _>("inventory_id")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
        // Hosts share inventories: each distinct one is read once.
        let mut inventories: Vec<i64> = hosts.iter().map(|(_, inventory)| *inventory).collect();
        inventories.sort_unstable();
        inventories.dedup();
        let mut versions_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (inventory, list) in package_lists::lists_of(&mut conn, &inventories).await? {
            let held = list.into_iter().filter(|id| wanted.binary_search(id).is_ok());
            let versions = held.filter_map(|id| candidates.iter().find(|(c, _)| *c == id).map(|(_, v)| v.clone()));
            versions_of.insert(inventory, versions.collect());
        }
        let mut out = Vec::new();
        for (host, inventory) in hosts {
            for version in versions_of.get(&inventory).into_iter().flatten() {
                out.push((host.clone(), version.clone()));
            }
        }
        Ok(out)
    }
}
