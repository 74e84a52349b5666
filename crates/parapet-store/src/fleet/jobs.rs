//! Jobs: the installs, rollbacks and reboots the server gives agents, one open job per host
//! (a unique index says so), each with the packages it carries and, once over, the agent's
//! report.
//!
//! A job is `pending` until an agent's check-in takes it, then `sent` (and given again at every
//! check-in until the report comes, so that an agent that lost the answer, or restarted
//! mid-install, reports what it did instead of losing it), then `succeeded`, `failed` or
//! `cancelled`. A second report of a finished job changes nothing.

use parapet_model::{AuditAction, JobOutcome, JobPackage, JobReport, JobWork};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::updates::plan_host;
use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, to_ms};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredJob {
    pub id: i64,
    pub host_id: String,
    pub hostname: String,
    #[serde(flatten)]
    pub work: JobWork,
    /// `pending`, `sent`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    pub rollback_of: Option<i64>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    pub sent_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub message: Option<String>,
    pub report: Option<JobReport>,
}

impl StoredJob {
    pub fn is_open(&self) -> bool {
        matches!(self.state.as_str(), "pending" | "sent")
    }
}

/// One package of a new job, with the approval it carries out (none for a rollback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJobPackage {
    pub package: JobPackage,
    pub from: Option<String>,
    pub update_id: Option<i64>,
    pub approval_id: Option<i64>,
    pub group_id: Option<i64>,
}

/// What recording a report came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportRecorded {
    Recorded,
    /// The job was over already (a retried report, or a cancelled job): nothing changed.
    AlreadyFinished(String),
}

const JOB_SELECT: &str = "SELECT j.id, j.host_id, h.hostname, j.kind, j.state, j.packages, j.parameters, \
     j.rollback_of, j.created_by, j.created_at, j.sent_at, j.sent_count, j.finished_at, j.message, j.report \
     FROM fleet_jobs j JOIN fleet_hosts h ON h.id = j.host_id";

fn job_row(row: &sqlx::any::AnyRow) -> Result<StoredJob, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("fleet job: {e}"));
    let packages: Vec<JobPackage> = serde_json::from_str(&row.try_get::<String, _>("packages")?).map_err(corrupt)?;
    let kind: String = row.try_get("kind")?;
    let work = match kind.as_str() {
        "install" => JobWork::Install { packages },
        "rollback" => JobWork::Rollback { packages },
        "reboot" => JobWork::Reboot,
        "malware_scan" | "malware_restore" | "harden_apply" => {
            // The parameters are the work itself, tagged with its kind.
            let parameters: Option<String> = row.try_get("parameters")?;
            let work: JobWork = serde_json::from_str(parameters.as_deref().unwrap_or("null")).map_err(corrupt)?;
            if work.kind() != kind {
                return Err(StoreError::Corrupt(format!("fleet job of kind {kind:?} holds a {}", work.kind())));
            }
            work
        }
        other => return Err(StoreError::Corrupt(format!("fleet job kind {other:?}"))),
    };
    let report =
        row.try_get::<Option<String>, _>("report")?.map(|r| serde_json::from_str(&r)).transpose().map_err(corrupt)?;
    Ok(StoredJob {
        id: row.try_get("id")?,
        host_id: row.try_get("host_id")?,
        hostname: row.try_get("hostname")?,
        work,
        state: row.try_get("state")?,
        rollback_of: row.try_get("rollback_of")?,
        created_by: row.try_get("created_by")?,
        created_at: from_ms(row.try_get("created_at")?),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_ms),
        sent_count: row.try_get("sent_count")?,
        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(from_ms),
        message: row.try_get("message")?,
        report,
    })
}

async fn open_job_in(conn: &mut AnyConnection, host_id: &str) -> Result<Option<StoredJob>, StoreError> {
    let sql = format!("{JOB_SELECT} WHERE j.host_id = $1 AND j.state IN ('pending', 'sent')");
    sqlx::query::<Any>(&sql).bind(host_id).fetch_optional(&mut *conn).await?.as_ref().map(job_row).transpose()
}

impl Store {
    pub async fn job(&self, id: i64) -> Result<Option<StoredJob>, StoreError> {
        let sql = format!("{JOB_SELECT} WHERE j.id = $1");
        sqlx::query::<Any>(&sql).bind(id).fetch_optional(&self.pool).await?.as_ref().map(job_row).transpose()
    }

    /// The host's open job, if it has one.
    pub async fn open_job(&self, host_id: &str) -> Result<Option<StoredJob>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        open_job_in(&mut conn, host_id).await
    }

    /// A host's jobs, newest first.
    pub async fn host_jobs(&self, host_id: &str, limit: u32) -> Result<Vec<StoredJob>, StoreError> {
        let sql = format!("{JOB_SELECT} WHERE j.host_id = $1 ORDER BY j.id DESC LIMIT $2");
        let rows = sqlx::query::<Any>(&sql).bind(host_id).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(job_row).collect()
    }

    /// The jobs that carried an update, newest first.
    pub async fn update_jobs(&self, update_id: i64, limit: u32) -> Result<Vec<StoredJob>, StoreError> {
        let sql = format!(
            "{JOB_SELECT} WHERE j.id IN (SELECT job_id FROM fleet_job_packages WHERE update_id = $1) \
             ORDER BY j.id DESC LIMIT $2"
        );
        let rows = sqlx::query::<Any>(&sql).bind(update_id).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(job_row).collect()
    }

    /// Makes a job for the host, unless it has one open already: the open one either way, and
    /// whether it is the new one.
    pub async fn create_job(
        &self,
        host_id: &str,
        kind: &str,
        packages: &[NewJobPackage],
        created_by: &str,
        rollback_of: Option<i64>,
        at: OffsetDateTime,
    ) -> Result<(StoredJob, bool), StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(open) = open_job_in(&mut tx, host_id).await? {
            return Ok((open, false));
        }
        let list: Vec<&JobPackage> = packages.iter().map(|p| &p.package).collect();
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_jobs (host_id, kind, state, packages, rollback_of, created_by, created_at) \
             VALUES ($1, $2, 'pending', $3, $4, $5, $6) RETURNING id",
        )
        .bind(host_id)
        .bind(kind)
        .bind(serde_json::to_string(&list).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(rollback_of)
        .bind(created_by)
        .bind(to_ms(at))
        .fetch_one(&mut *tx)
        .await?;
        for package in packages {
            sqlx::query::<Any>(
                "INSERT INTO fleet_job_packages (job_id, package, arch, from_version, version, update_id, approval_id, \
                 group_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(&package.package.name)
            .bind(&package.package.arch)
            .bind(&package.from)
            .bind(&package.package.version)
            .bind(package.update_id)
            .bind(package.approval_id)
            .bind(package.group_id)
            .execute(&mut *tx)
            .await?;
        }
        if kind == "rollback" {
            append(
                &mut tx,
                Audit {
                    actor: created_by,
                    action: AuditAction::JobRollback,
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(json!({"host": host_id, "rollback_of": rollback_of, "packages": list})),
                },
            )
            .await?;
        }
        plan_host(&mut tx, host_id).await?;
        let job = open_job_in(&mut tx, host_id).await?.ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        Ok((job, true))
    }

    /// Makes a job stored as its parameters (a malware scan or restore, a policy to apply) for
    /// the host (audited), unless it has a job open: the open one either way, and whether it is
    /// the new one.
    pub async fn create_work_job(
        &self,
        host_id: &str,
        work: &JobWork,
        created_by: &str,
        at: OffsetDateTime,
    ) -> Result<(StoredJob, bool), StoreError> {
        if !work.has_parameters() {
            return Err(StoreError::Corrupt(format!("a {} job is made of its packages", work.kind())));
        }
        let mut tx = self.write_tx().await?;
        if let Some(open) = open_job_in(&mut tx, host_id).await? {
            return Ok((open, false));
        }
        let parameters = serde_json::to_string(work).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO fleet_jobs (host_id, kind, state, packages, parameters, created_by, created_at) \
             VALUES ($1, $2, 'pending', '[]', $3, $4, $5) RETURNING id",
        )
        .bind(host_id)
        .bind(work.kind())
        .bind(&parameters)
        .bind(created_by)
        .bind(to_ms(at))
        .fetch_one(&mut *tx)
        .await?;
        let audited = match work {
            // The policy is in the group's audit entry; the job names it by digest.
            JobWork::HardenApply { digest, confirm_within_s, .. } => {
                super::harden::mark_planned(&mut tx, host_id, digest, to_ms(at)).await?;
                json!({"host": host_id, "work": {"kind": work.kind(), "digest": digest, "confirm_within_s": confirm_within_s}})
            }
            _ => json!({"host": host_id, "work": work}),
        };
        append(
            &mut tx,
            Audit {
                actor: created_by,
                action: AuditAction::JobCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(audited),
            },
        )
        .await?;
        plan_host(&mut tx, host_id).await?;
        let job = open_job_in(&mut tx, host_id).await?.ok_or(StoreError::NotFound("job"))?;
        tx.commit().await?;
        Ok((job, true))
    }

    /// Notes that a check-in's answer carries the job; the host stays due for planning, so that
    /// the job is given again until its report comes.
    pub async fn job_sent(&self, job_id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE fleet_jobs SET state = 'sent', sent_at = $1, sent_count = sent_count + 1 \
             WHERE id = $2 AND state IN ('pending', 'sent')",
        )
        .bind(to_ms(at))
        .bind(job_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// When the host's work is next to be planned (`None`: nothing waits), unless someone
    /// changed it since the planning read `seen` (an approval made meanwhile wins).
    pub async fn set_plan_at(
        &self,
        host_id: &str,
        seen: Option<i64>,
        next: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>("UPDATE fleet_hosts SET plan_at = $1 WHERE id = $2 AND plan_at IS NOT DISTINCT FROM $3")
            .bind(next.map(to_ms))
            .bind(host_id)
            .bind(seen)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Records an agent's report of one of its host's jobs, with the outcome of each package
    /// (succeeded when it ended at the job's version), and plans the host again.
    pub async fn record_job_report(
        &self,
        host_id: &str,
        job_id: i64,
        report: &JobReport,
        at: OffsetDateTime,
    ) -> Result<ReportRecorded, StoreError> {
        let mut tx = self.write_tx().await?;
        let state = sqlx::query_scalar::<Any, String>(&format!(
            "SELECT state FROM fleet_jobs WHERE id = $1 AND host_id = $2{}",
            self.backend.lock_suffix()
        ))
        .bind(job_id)
        .bind(host_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("job"))?;
        if !matches!(state.as_str(), "pending" | "sent") {
            return Ok(ReportRecorded::AlreadyFinished(state));
        }
        let finished = to_ms(at);
        sqlx::query::<Any>(
            "UPDATE fleet_jobs SET state = $1, finished_at = $2, message = $3, report = $4 WHERE id = $5",
        )
        .bind(report.outcome.as_str())
        .bind(finished)
        .bind(&report.message)
        .bind(serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query::<Any>("SELECT package, arch, version FROM fleet_job_packages WHERE job_id = $1")
            .bind(job_id)
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            let (package, arch, version): (String, String, String) =
                (row.try_get("package")?, row.try_get("arch")?, row.try_get("version")?);
            let reached = report
                .changes
                .iter()
                .any(|c| c.name == package && c.arch == arch && c.after.as_deref() == Some(version.as_str()));
            let outcome = if reached { JobOutcome::Succeeded } else { JobOutcome::Failed };
            sqlx::query::<Any>(
                "UPDATE fleet_job_packages SET outcome = $1, finished_at = $2 WHERE job_id = $3 AND package = $4 \
                 AND arch = $5",
            )
            .bind(outcome.as_str())
            .bind(finished)
            .bind(job_id)
            .bind(&package)
            .bind(&arch)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(malware) = &report.malware {
            super::malware::record_scan(&mut tx, host_id, job_id, malware, finished).await?;
        }
        if report.reboot_required {
            sqlx::query::<Any>("UPDATE fleet_hosts SET reboot_required = 1 WHERE id = $1")
                .bind(host_id)
                .execute(&mut *tx)
                .await?;
        }
        plan_host(&mut tx, host_id).await?;
        tx.commit().await?;
        Ok(ReportRecorded::Recorded)
    }

    /// Cancels an open job; the host is planned again (so an install comes back unless its
    /// approval went away).
    pub async fn cancel_job(&self, actor: &str, job_id: i64, at: OffsetDateTime) -> Result<StoredJob, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>("SELECT host_id, state FROM fleet_jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        let (host_id, state): (String, String) = (row.try_get("host_id")?, row.try_get("state")?);
        if !matches!(state.as_str(), "pending" | "sent") {
            return Err(StoreError::Invalid(parapet_model::FieldError::new(
                "state",
                format!("job {job_id} is {state}: only a pending or sent job can be cancelled"),
            )));
        }
        sqlx::query::<Any>("UPDATE fleet_jobs SET state = 'cancelled', finished_at = $1, message = $2 WHERE id = $3")
            .bind(to_ms(at))
            .bind(format!("cancelled by {actor}"))
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::JobCancel,
                entity_id: Some(job_id.to_string()),
                before: Some(json!({"state": state})),
                after: Some(json!({"state": "cancelled", "host": host_id})),
            },
        )
        .await?;
        plan_host(&mut tx, &host_id).await?;
        tx.commit().await?;
        self.job(job_id).await?.ok_or(StoreError::NotFound("job"))
    }

    /// The versions rollbacks took this host away from, by package: planning does not bring
    /// them back (a newer approved version still comes).
    pub async fn rolled_back(&self, host_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT jp.package, jp.from_version FROM fleet_job_packages jp JOIN fleet_jobs j ON j.id = jp.job_id \
             WHERE j.host_id = $1 AND j.kind = 'rollback' AND j.state = 'succeeded' AND jp.from_version IS NOT NULL",
        )
        .bind(host_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("package")?, row.try_get("from_version")?))).collect()
    }

    /// When the host's last reboot job was reported done, if one was.
    pub async fn last_reboot(&self, host_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let at = sqlx::query_scalar::<Any, Option<i64>>(
            "SELECT MAX(finished_at) FROM fleet_jobs WHERE host_id = $1 AND kind = 'reboot' AND state = 'succeeded'",
        )
        .bind(host_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(at.map(from_ms))
    }
}
