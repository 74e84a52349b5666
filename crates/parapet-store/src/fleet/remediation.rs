//! Time to remediation: when an advisory was published, when each group approved its updates,
//! when installs began and ended, and when its exposure reached zero; and the fleet's figures
//! over a period (median and 90th percentile, per group and per severity).
//!
//! Exposure is counted at the moment a host's packages change: a check-in that replaces a
//! host's inventory marks the advisories of the packages that came or went
//! (`fleet_exposure_dirty`, with the time), and the fleet worker counts them and writes each
//! sample at that time, so that "the last host patched" is when it was, not when the worker came
//! by. A host's first inventory is left to the samples taken after computing and every minute.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use parapet_model::Severity;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::package_lists;
use crate::{Store, StoreError, from_ms, placeholders};

/// One group's part in remediating an update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRemediation {
    pub group: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_install_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_install_at: Option<OffsetDateTime>,
    pub installs: i64,
    pub failures: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateRemediation {
    pub update_id: i64,
    pub package: String,
    pub version: String,
    pub groups: Vec<GroupRemediation>,
}

/// Where an advisory's remediation stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    pub advisory: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    /// When a host was first seen affected.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_exposed_at: Option<OffsetDateTime>,
    pub hosts_now: i64,
    /// When the last affected host was patched (the exposure reached zero and stayed there).
    #[serde(with = "time::serde::rfc3339::option")]
    pub remediated_at: Option<OffsetDateTime>,
    /// From publication (or, unknown that, first exposure) to the last host patched.
    pub time_to_remediation_seconds: Option<i64>,
    pub updates: Vec<UpdateRemediation>,
}

/// Median and 90th percentile of times to remediation, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemediationFigure {
    pub name: String,
    pub count: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemediationStats {
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Every update installed in the period: publication to its last install anywhere.
    pub overall: RemediationFigure,
    /// Per group: publication to the group's last install of each update.
    pub groups: Vec<RemediationFigure>,
    /// Per the update's severity.
    pub severities: Vec<RemediationFigure>,
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn figure(name: String, mut values: Vec<i64>) -> RemediationFigure {
    values.sort_unstable();
    RemediationFigure {
        name,
        count: values.len(),
        median_seconds: percentile(&values, 50),
        p90_seconds: percentile(&values, 90),
    }
}

/// When the first of these IDs (advisory IDs and aliases) was published: this server's own
/// documents by ID or CVE, else the first sync of a record naming one.
pub(super) async fn published_at(conn: &mut AnyConnection, ids: &[String]) -> Result<Option<i64>, StoreError> {
    let mut earliest: Option<i64> = None;
    for chunk in ids.chunks(200) {
        let list = placeholders(1, chunk.len());
        for sql in [
            format!("SELECT MIN(initial_release) FROM publications WHERE document_id IN ({list})"),
            format!(
                "SELECT MIN(p.initial_release) FROM publications p JOIN document_terms t ON t.document_id = p.document_id \
                 WHERE t.term_kind = 'cve' AND t.term IN ({list})"
            ),
            format!(
                "SELECT MIN(r.first_seen_at) FROM catalog_ids ci JOIN catalog_records r ON r.id = ci.record \
                 WHERE ci.alias IN ({list})"
            ),
        ] {
            let mut query = sqlx::query_scalar::<Any, Option<i64>>(&sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            if let Some(at) = query.fetch_one(&mut *conn).await? {
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
    }
    Ok(earliest)
}

/// Marks the advisories of the packages that came or went between an inventory's old package
/// list (read here) and its new one, at `at`.
pub(super) async fn mark_changed(
    conn: &mut AnyConnection,
    old: Option<i64>,
    new: &[i64],
    at: i64,
) -> Result<(), StoreError> {
    let before: HashSet<i64> = match old {
        Some(id) => package_lists::lists_of(conn, &[id]).await?.into_iter().flat_map(|(_, list)| list).collect(),
        None => HashSet::new(),
    };
    let after: HashSet<i64> = new.iter().copied().collect();
    let changed: Vec<i64> = before.symmetric_difference(&after).copied().collect();
    let mut advisories = BTreeSet::new();
    for chunk in changed.chunks(200) {
        let sql = format!(
            "SELECT DISTINCT advisory FROM fleet_package_advisories WHERE package_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<Any, String>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        advisories.extend(query.fetch_all(&mut *conn).await?);
    }
    for advisory in advisories {
        sqlx::query::<Any>(
            "INSERT INTO fleet_exposure_dirty (advisory, at) VALUES ($1, $2) \
             ON CONFLICT (advisory) DO UPDATE SET at = CASE WHEN excluded.at > fleet_exposure_dirty.at \
             THEN excluded.at ELSE fleet_exposure_dirty.at END",
        )
        .bind(&advisory)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Counts the exposure of the advisories check-ins marked, each sampled at the time of the
    /// last change; the number counted.
    pub async fn sample_marked_exposure(&self) -> Result<usize, StoreError> {
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query::<Any>("SELECT advisory, at FROM fleet_exposure_dirty ORDER BY advisory")
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let marked: Vec<(String, i64)> =
            rows.iter().map(|r| Ok((r.try_get("advisory")?, r.try_get("at")?))).collect::<Result<_, StoreError>>()?;
        let advisories: Vec<String> = marked.iter().map(|(a, _)| a.clone()).collect();
        let at: BTreeMap<&str, i64> = marked.iter().map(|(a, t)| (a.as_str(), *t)).collect();
        super::findings::sample_exposure_at(&mut tx, &advisories, |advisory| at.get(advisory).copied()).await?;
        for (advisory, at) in &marked {
            sqlx::query::<Any>("DELETE FROM fleet_exposure_dirty WHERE advisory = $1 AND at = $2")
                .bind(advisory)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(marked.len())
    }

    /// Where an advisory's remediation stands (by ID or alias).
    pub async fn remediation(&self, advisory: &str) -> Result<Remediation, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let samples = sqlx::query::<Any>("SELECT at, hosts FROM fleet_exposure WHERE advisory = $1 ORDER BY at")
            .bind(advisory)
            .fetch_all(&mut *conn)
            .await?;
        let samples: Vec<(i64, i64)> =
            samples.iter().map(|r| Ok((r.try_get("at")?, r.try_get("hosts")?))).collect::<Result<_, StoreError>>()?;
        let hosts_now = samples.last().map_or(0, |(_, h)| *h);
        let first_exposed = samples.iter().find(|(_, h)| *h > 0).map(|(at, _)| *at);
        // The zero that followed the last positive count, if the count is zero now.
        let remediated = if hosts_now == 0 && first_exposed.is_some() {
            let last_positive = samples.iter().rposition(|(_, h)| *h > 0).unwrap_or(0);
            samples.get(last_positive + 1).map(|(at, _)| *at)
        } else {
            None
        };
        let updates = self.updates_fixing(advisory).await?;
        let mut ids: Vec<String> = vec![advisory.to_owned()];
        for update in &updates {
            ids.extend(update.advisories.iter().cloned());
        }
        ids.sort();
        ids.dedup();
        let published = published_at(&mut conn, &ids).await?;
        let mut out_updates = Vec::new();
        for update in &updates {
            let rows = sqlx::query::<Any>(
                "SELECT g.name, a.approved_at, \
                 MIN(CASE WHEN jp.outcome = 'succeeded' THEN jp.finished_at END) AS first_install, \
                 MAX(CASE WHEN jp.outcome = 'succeeded' THEN jp.finished_at END) AS last_install, \
                 SUM(CASE WHEN jp.outcome = 'succeeded' THEN 1 ELSE 0 END) AS installs, \
                 SUM(CASE WHEN jp.outcome = 'failed' THEN 1 ELSE 0 END) AS failures \
                 FROM fleet_approvals a JOIN fleet_groups g ON g.id = a.group_id \
                 LEFT JOIN fleet_job_packages jp ON jp.update_id = a.update_id AND jp.group_id = a.group_id \
                 WHERE a.update_id = $1 AND a.action = 'install' GROUP BY g.name, a.approved_at \
                 ORDER BY a.approved_at, g.name",
            )
            .bind(update.id)
            .fetch_all(&mut *conn)
            .await?;
            let groups = rows
                .iter()
                .map(|r| {
                    Ok(GroupRemediation {
                        group: r.try_get("name")?,
                        approved_at: r.try_get::<Option<i64>, _>("approved_at")?.map(from_ms),
                        first_install_at: r.try_get::<Option<i64>, _>("first_install")?.map(from_ms),
                        last_install_at: r.try_get::<Option<i64>, _>("last_install")?.map(from_ms),
                        installs: r.try_get("installs")?,
                        failures: r.try_get("failures")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out_updates.push(UpdateRemediation {
                update_id: update.id,
                package: update.package.clone(),
                version: update.version.clone(),
                groups,
            });
        }
        let start = published.or(first_exposed);
        Ok(Remediation {
            advisory: advisory.to_owned(),
            published_at: published.map(from_ms),
            first_exposed_at: first_exposed.map(from_ms),
            hosts_now,
            remediated_at: remediated.map(from_ms),
            time_to_remediation_seconds: remediated.zip(start).map(|(end, start)| (end - start).max(0) / 1000),
            updates: out_updates,
        })
    }

    /// The fleet's times to remediation for the updates installed since `since`: publication
    /// (else the update's release) to the last successful install, per group, per severity,
    /// and over all.
    pub async fn remediation_stats(&self, since: OffsetDateTime) -> Result<RemediationStats, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT jp.update_id, g.name, u.severity_rank, COALESCE(u.published_at, u.released_at) AS published, \
             MAX(jp.finished_at) AS last_install FROM fleet_job_packages jp \
             JOIN fleet_updates u ON u.id = jp.update_id JOIN fleet_groups g ON g.id = jp.group_id \
             WHERE jp.outcome = 'succeeded' AND jp.finished_at >= $1 \
             GROUP BY jp.update_id, g.name, u.severity_rank, COALESCE(u.published_at, u.released_at)",
        )
        .bind(crate::to_ms(since))
        .fetch_all(&self.pool)
        .await?;
        let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        // Per update: its severity and its last install anywhere, from publication.
        let mut updates: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for row in &rows {
            let (update, group): (i64, String) = (row.try_get("update_id")?, row.try_get("name")?);
            let rank: i64 = row.try_get("severity_rank")?;
            let published: i64 = row.try_get("published")?;
            let last: i64 = row.try_get("last_install")?;
            let seconds = (last - published).max(0) / 1000;
            groups.entry(group).or_default().push(seconds);
            let entry = updates.entry(update).or_insert((rank, seconds));
            entry.1 = entry.1.max(seconds);
        }
        let mut severities: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (rank, seconds) in updates.values() {
            severities.entry(*rank).or_default().push(*seconds);
        }
        Ok(RemediationStats {
            since,
            overall: figure("all".into(), updates.values().map(|(_, s)| *s).collect()),
            groups: groups.into_iter().map(|(name, values)| figure(name, values)).collect(),
            severities: severities
                .into_iter()
                .rev()
                .map(|(rank, values)| {
                    figure(Severity::from_rank(rank).map_or("none", Severity::as_str).to_owned(), values)
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!((percentile(&values, 50), percentile(&values, 90)), (Some(5), Some(9)));
        assert_eq!((percentile(&[7], 50), percentile(&[7], 90)), (Some(7), Some(7)));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!((percentile(&[1, 2, 3], 50), percentile(&[1, 2, 3], 90)), (Some(2), Some(3)));
    }
}
