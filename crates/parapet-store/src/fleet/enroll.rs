//! Enrollment secrets, enrolling a host, revoking one, and computer groups.

use parapet_model::{AuditAction, FieldError, Tag};
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::{EnrollmentSecret, Group, tags_json, tags_of};
use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};

/// A secret to create; its hash is given apart, the secret itself never reaches the store.
#[derive(Debug, Clone)]
pub struct NewEnrollmentSecret {
    pub name: String,
    pub group: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub max_uses: Option<i64>,
}

/// The host an enrollment creates.
#[derive(Debug, Clone)]
pub struct NewHost {
    pub id: String,
    pub hostname: String,
    pub tags: Vec<Tag>,
    pub credential_hash: String,
}

/// What an enrollment came to. Every refusal looks the same to the agent (401); the reason is
/// for the server's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrollment {
    Enrolled { host_id: String, group: Option<String> },
    Refused(&'static str),
}

/// A group to create or change.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub rule: Vec<Tag>,
}

const SECRET_COLUMNS: &str = "s.id, s.name, g.name AS group_name, s.expires_at, s.max_uses, s.uses, s.revoked_at, \
     s.created_by, s.created_at";

fn secret_row(row: &sqlx::any::AnyRow) -> Result<EnrollmentSecret, StoreError> {
    Ok(EnrollmentSecret {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        group: row.try_get("group_name")?,
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_ms),
        max_uses: row.try_get("max_uses")?,
        uses: row.try_get("uses")?,
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_ms),
        created_by: row.try_get("created_by")?,
        created_at: from_ms(row.try_get("created_at")?),
    })
}

impl Store {
    pub async fn create_enrollment_secret(
        &self,
        actor: &str,
        secret: &NewEnrollmentSecret,
        secret_hash: &str,
    ) -> Result<EnrollmentSecret, StoreError> {
        let mut tx = self.write_tx().await?;
        let group_id = match &secret.group {
            Some(name) => Some(group_id(&mut tx, name).await?),
            None => None,
        };
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_enrollment_secrets (name, secret_hash, group_id, expires_at, max_uses, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&secret.name)
        .bind(secret_hash)
        .bind(group_id)
        .bind(secret.expires_at.map(to_ms))
        .bind(secret.max_uses)
        .bind(actor)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let created = enrollment_secret(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::EnrollmentSecretCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(serde_json::to_value(&created).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn enrollment_secrets(&self) -> Result<Vec<EnrollmentSecret>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {SECRET_COLUMNS} FROM fleet_enrollment_secrets s LEFT JOIN fleet_groups g ON g.id = s.group_id \
             ORDER BY s.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(secret_row).collect()
    }

    /// Revokes a secret: hosts can no longer enroll with it (hosts enrolled with it stay).
    pub async fn revoke_enrollment_secret(&self, actor: &str, id: i64) -> Result<EnrollmentSecret, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = enrollment_secret(&mut tx, id).await?;
        if before.revoked_at.is_none() {
            sqlx::query::<Any>("UPDATE fleet_enrollment_secrets SET revoked_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                Audit {
                    actor,
                    action: AuditAction::EnrollmentSecretRevoke,
                    entity_id: Some(id.to_string()),
                    before: Some(json!({"name": before.name})),
                    after: None,
                },
            )
            .await?;
        }
        let after = enrollment_secret(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Enrolls a host with the secret whose hash is `secret_hash`: one use of the secret, the
    /// host, its groups and the audit entry, or nothing at all.
    pub async fn enroll_host(&self, secret_hash: &str, host: &NewHost) -> Result<Enrollment, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT id, name, group_id, expires_at, max_uses, uses, revoked_at FROM fleet_enrollment_secrets \
             WHERE secret_hash = $1{}",
            self.backend.lock_suffix()
        ))
        .bind(secret_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(Enrollment::Refused("unknown enrollment secret")) };
        let secret_id: i64 = row.try_get("id")?;
        let secret_name: String = row.try_get("name")?;
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(Enrollment::Refused("the enrollment secret is revoked"));
        }
        if row.try_get::<Option<i64>, _>("expires_at")?.is_some_and(|at| at <= now) {
            return Ok(Enrollment::Refused("the enrollment secret has expired"));
        }
        let uses: i64 = row.try_get("uses")?;
        if row.try_get::<Option<i64>, _>("max_uses")?.is_some_and(|max| uses >= max) {
            return Ok(Enrollment::Refused("the enrollment secret is used up"));
        }
        let group_id: Option<i64> = row.try_get("group_id")?;
        let group = match group_id {
            Some(id) => {
                sqlx::query_scalar::<Any, String>("SELECT name FROM fleet_groups WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        sqlx::query::<Any>("UPDATE fleet_enrollment_secrets SET uses = uses + 1 WHERE id = $1")
            .bind(secret_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query::<Any>(
            "INSERT INTO fleet_hosts (id, hostname, tags, credential_hash, credential_rotated_at, secret_id, \
             enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $5)",
        )
        .bind(&host.id)
        .bind(&host.hostname)
        .bind(tags_json(&host.tags))
        .bind(&host.credential_hash)
        .bind(now)
        .bind(secret_id)
        .execute(&mut *tx)
        .await?;
        if let Some(group_id) = group_id {
            sqlx::query::<Any>("INSERT INTO fleet_group_members (group_id, host_id, via) VALUES ($1, $2, 'secret')")
                .bind(group_id)
                .bind(&host.id)
                .execute(&mut *tx)
                .await?;
        }
        apply_rules(&mut tx, &host.id, &host.tags).await?;
        sqlx::query::<Any>(
            "INSERT INTO fleet_check_ins (host_id, at, sequence, outcome, detail) VALUES ($1, $2, 0, 'enrolled', $3)",
        )
        .bind(&host.id)
        .bind(now)
        .bind(format!("with enrollment secret {secret_name}"))
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            Audit {
                actor: &format!("enrollment:{secret_name}"),
                action: AuditAction::HostEnroll,
                entity_id: Some(host.id.clone()),
                before: None,
                after: Some(json!({"hostname": host.hostname, "tags": tags_json(&host.tags), "group": group})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Enrollment::Enrolled { host_id: host.id.clone(), group })
    }

    /// Revokes a host: its credential stops working at once.
    pub async fn revoke_host(&self, actor: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT hostname, revoked_at FROM fleet_hosts WHERE id = $1{}",
            self.backend.lock_suffix()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("host"))?;
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_none() {
            let hostname: String = row.try_get("hostname")?;
            sqlx::query::<Any>("UPDATE fleet_hosts SET revoked_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                Audit {
                    actor,
                    action: AuditAction::HostRevoke,
                    entity_id: Some(id.to_owned()),
                    before: Some(json!({"hostname": hostname})),
                    after: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn groups(&self) -> Result<Vec<Group>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT g.id, g.name, g.description, g.rule, \
             (SELECT COUNT(DISTINCT m.host_id) FROM fleet_group_members m JOIN fleet_hosts h ON h.id = m.host_id \
              WHERE m.group_id = g.id AND h.revoked_at IS NULL) AS hosts \
             FROM fleet_groups g ORDER BY g.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Group {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    rule: tags_of(&row.try_get::<String, _>("rule")?),
                    hosts: row.try_get("hosts")?,
                })
            })
            .collect()
    }

    pub async fn create_group(&self, actor: &str, group: &NewGroup) -> Result<Group, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_groups (name, description, rule, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             RETURNING id",
        )
        .bind(&group.name)
        .bind(&group.description)
        .bind(tags_json(&group.rule))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a group named {:?} exists", group.name)))?;
        reapply_rule(&mut tx, id, &group.rule).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"name": group.name, "rule": tags_json(&group.rule)})),
            },
        )
        .await?;
        tx.commit().await?;
        self.group(&group.name).await?.ok_or(StoreError::NotFound("group"))
    }

    pub async fn group(&self, name: &str) -> Result<Option<Group>, StoreError> {
        Ok(self.groups().await?.into_iter().find(|g| g.name == name))
    }

    /// Changes a group's description and rule; members by rule follow the new rule.
    pub async fn update_group(&self, actor: &str, name: &str, group: &NewGroup) -> Result<Group, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = group_id(&mut tx, name).await?;
        sqlx::query::<Any>(
            "UPDATE fleet_groups SET name = $1, description = $2, rule = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&group.name)
        .bind(&group.description)
        .bind(tags_json(&group.rule))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a group named {:?} exists", group.name)))?;
        reapply_rule(&mut tx, id, &group.rule).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupUpdate,
                entity_id: Some(id.to_string()),
                before: Some(json!({"name": name})),
                after: Some(json!({"name": group.name, "rule": tags_json(&group.rule)})),
            },
        )
        .await?;
        tx.commit().await?;
        self.group(&group.name).await?.ok_or(StoreError::NotFound("group"))
    }

    pub async fn delete_group(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let id = group_id(&mut tx, name).await?;
        sqlx::query::<Any>("DELETE FROM fleet_groups WHERE id = $1").bind(id).execute(&mut *tx).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::GroupDelete,
                entity_id: Some(id.to_string()),
                before: Some(json!({"name": name})),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a host to a group, or takes it out (server-side targeting). Membership by rule or
    /// by enrollment secret is not changed.
    pub async fn assign_host(&self, actor: &str, host_id: &str, group: &str, member: bool) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let id = group_id(&mut tx, group).await?;
        let exists = sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM fleet_hosts WHERE id = $1")
            .bind(host_id)
            .fetch_one(&mut *tx)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound("host"));
        }
        let changed = if member {
            sqlx::query::<Any>(
                "INSERT INTO fleet_group_members (group_id, host_id, via) VALUES ($1, $2, 'manual') ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query::<Any>("DELETE FROM fleet_group_members WHERE group_id = $1 AND host_id = $2 AND via = 'manual'")
        }
        .bind(id)
        .bind(host_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            super::updates::plan_host(&mut tx, host_id).await?;
            append(
                &mut tx,
                Audit {
                    actor,
                    action: AuditAction::HostAssign,
                    entity_id: Some(host_id.to_owned()),
                    before: None,
                    after: Some(json!({"group": group, "member": member})),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn enrollment_secret(conn: &mut AnyConnection, id: i64) -> Result<EnrollmentSecret, StoreError> {
    let row = sqlx::query::<Any>(&format!(
        "SELECT {SECRET_COLUMNS} FROM fleet_enrollment_secrets s LEFT JOIN fleet_groups g ON g.id = s.group_id \
         WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("enrollment secret"))?;
    secret_row(&row)
}

async fn group_id(conn: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar::<Any, i64>("SELECT id FROM fleet_groups WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::Invalid(FieldError::new("group", format!("there is no group named {name:?}"))))
}

/// Puts a host in the groups whose rules its tags meet, and out of those whose rules they no
/// longer meet.
pub(super) async fn apply_rules(conn: &mut AnyConnection, host_id: &str, tags: &[Tag]) -> Result<(), StoreError> {
    let groups =
        sqlx::query::<Any>("SELECT id, rule FROM fleet_groups WHERE rule <> '[]'").fetch_all(&mut *conn).await?;
    sqlx::query::<Any>("DELETE FROM fleet_group_members WHERE host_id = $1 AND via = 'rule'")
        .bind(host_id)
        .execute(&mut *conn)
        .await?;
    for row in groups {
        let rule = tags_of(&row.try_get::<String, _>("rule")?);
        if rule_matches(&rule, tags) {
            sqlx::query::<Any>("INSERT INTO fleet_group_members (group_id, host_id, via) VALUES ($1, $2, 'rule')")
                .bind(row.try_get::<i64, _>("id")?)
                .bind(host_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    super::updates::plan_host(conn, host_id).await
}

/// Members of a group by rule after its rule changed.
async fn reapply_rule(conn: &mut AnyConnection, group_id: i64, rule: &[Tag]) -> Result<(), StoreError> {
    sqlx::query::<Any>("DELETE FROM fleet_group_members WHERE group_id = $1 AND via = 'rule'")
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    if rule.is_empty() {
        return Ok(());
    }
    let hosts =
        sqlx::query::<Any>("SELECT id, tags FROM fleet_hosts WHERE revoked_at IS NULL").fetch_all(&mut *conn).await?;
    for row in hosts {
        if rule_matches(rule, &tags_of(&row.try_get::<String, _>("tags")?)) {
            sqlx::query::<Any>("INSERT INTO fleet_group_members (group_id, host_id, via) VALUES ($1, $2, 'rule')")
                .bind(group_id)
                .bind(row.try_get::<String, _>("id")?)
                .execute(&mut *conn)
                .await?;
        }
    }
    super::updates::plan_group(conn, group_id).await
}

fn rule_matches(rule: &[Tag], tags: &[Tag]) -> bool {
    !rule.is_empty() && rule.iter().all(|wanted| tags.contains(wanted))
}
