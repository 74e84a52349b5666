//! The computed side of the fleet: what the catalog says about each distinct package, which
//! packages a catalog change touches, the lease of the server that brings them up to date, and
//! the exposure samples written as the numbers change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use parapet_catalog::Advisory;
use parapet_model::{InstalledPackage, PackageManager};
use sqlx::{Any, AnyConnection, Row};

use super::PackageFinding;
use super::package_lists::{self, Contribution};
use crate::{Store, StoreError, now_ms, placeholders};

/// A distinct package to compute, as the check-in reported it.
#[derive(Debug, Clone)]
pub struct PackageToCompute {
    pub id: i64,
    pub ecosystem: String,
    pub package: InstalledPackage,
}

/// What the catalog says about one package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComputedPackage {
    pub id: i64,
    pub update_version: Option<String>,
    /// `security`, `critical` or `bugfix`, with `update_version`.
    pub classification: Option<String>,
    pub severity_rank: i64,
    /// Vulnerabilities that no update fixes.
    pub unfixed: i64,
    pub findings: Vec<PackageFinding>,
    /// Every advisory ID and alias it is affected by, and whether its update fixes it.
    pub advisories: Vec<(String, bool)>,
    /// The version that would fix it, as an update to approve.
    pub fix: Option<ComputedFix>,
}

/// What would fix a package: its security suite's update, else the newest fix its advisories
/// name (a vendor's own bulletin, say).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComputedFix {
    pub version: String,
    /// `security`, `critical` or `bugfix`.
    pub classification: String,
    pub severity_rank: i64,
    /// The advisory IDs and aliases it fixes.
    pub advisories: Vec<String>,
    /// When the suite released it, when the catalog knows (Unix ms).
    pub released_at: Option<i64>,
    /// The catalog source of the suite that offers it.
    pub source: Option<String>,
}

/// A security-suite update as the matcher classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteUpdate {
    pub classification: String,
    pub released_at: i64,
    pub source: String,
}

/// The hold of one server on bringing the fleet's findings up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetLease {
    /// The catalog tick the findings are computed up to.
    pub computed_tick: i64,
}

const CHUNK: usize = 200;

impl Store {
    /// The packages with these IDs, as the check-ins reported them.
    pub async fn packages_to_compute(&self, ids: &[i64]) -> Result<Vec<PackageToCompute>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, ecosystem, manager, name, version, arch, source, source_version FROM fleet_packages \
                 WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                let manager: String = row.try_get("manager")?;
                let source: String = row.try_get("source")?;
                let source_version: String = row.try_get("source_version")?;
                out.push(PackageToCompute {
                    id: row.try_get("id")?,
                    ecosystem: row.try_get("ecosystem")?,
                    package: InstalledPackage {
                        manager: manager
                            .parse::<PackageManager>()
                            .map_err(|e| StoreError::Corrupt(format!("fleet package: {e}")))?,
                        name: row.try_get("name")?,
                        version: row.try_get("version")?,
                        arch: row.try_get("arch")?,
                        source: Some(source).filter(|s| !s.is_empty()),
                        source_version: Some(source_version).filter(|s| !s.is_empty()),
                    },
                });
            }
        }
        Ok(out)
    }

    /// Packages no computation has reached yet (a server stopped between storing an inventory
    /// and computing it), at most `limit`.
    pub async fn uncomputed_packages(&self, limit: u32) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT id FROM fleet_packages WHERE computed_tick IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every live security-suite update, by (ecosystem, package, version).
    pub async fn suite_updates(&self) -> Result<BTreeMap<(String, String, String), SuiteUpdate>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT u.ecosystem, u.package, u.version, u.classification, u.released_at, s.name FROM catalog_updates u \
             JOIN catalog_sources s ON s.id = u.source_id WHERE u.superseded_by IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            out.insert(
                (row.try_get("ecosystem")?, row.try_get("package")?, row.try_get("version")?),
                SuiteUpdate {
                    classification: row.try_get("classification")?,
                    released_at: row.try_get("released_at")?,
                    source: row.try_get("name")?,
                },
            );
        }
        Ok(out)
    }

    /// Writes what was computed at catalog tick `tick`, in one transaction with the summaries of
    /// every inventory holding the packages and the exposure of every advisory they touched.
    pub async fn save_computed(&self, tick: i64, computed: &[ComputedPackage]) -> Result<(), StoreError> {
        if computed.is_empty() {
            return Ok(());
        }
        // Check-ins that bring in the same new packages save them at once: in ID order (as the
        // inventories and advisories after them), their row locks cannot deadlock on PostgreSQL.
        let mut computed: Vec<&ComputedPackage> = computed.iter().collect();
        computed.sort_unstable_by_key(|package| package.id);
        let mut tx = self.write_tx().await?;
        let all: Vec<i64> = computed.iter().map(|package| package.id).collect();
        let before = package_lists::contributions(&mut tx, &all).await?;
        let mut touched: BTreeSet<String> = BTreeSet::new();
        // Packages whose counts changed: only the inventories holding them need a recount.
        let mut recount: HashSet<i64> = HashSet::new();
        for package in computed {
            let findings = serde_json::to_string(&package.findings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // A computation at an older tick than the stored one lost a race: keep the newer.
            let updated = sqlx::query::<Any>(
                "UPDATE fleet_packages SET computed_tick = $1, update_version = $2, classification = $3, \
                 severity_rank = $4, unfixed = $5, findings = $6, fix_version = $7 WHERE id = $8 \
                 AND (computed_tick IS NULL OR computed_tick <= $1)",
            )
            .bind(tick)
            .bind(&package.update_version)
            .bind(&package.classification)
            .bind(package.severity_rank)
            .bind(package.unfixed)
            .bind(findings)
            .bind(package.fix.as_ref().map(|f| f.version.as_str()))
            .bind(package.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                continue;
            }
            if let Some(fix) = &package.fix {
                super::updates::note_fix(&mut tx, package.id, fix).await?;
            }
            let after = Contribution::of(
                package.update_version.as_deref(),
                package.classification.as_deref(),
                package.unfixed,
                package.severity_rank,
            );
            if before.get(&package.id).cloned().unwrap_or_default() != after {
                recount.insert(package.id);
            }
            touched.extend(
                sqlx::query_scalar::<Any, String>(
                    "SELECT advisory FROM fleet_package_advisories WHERE package_id = $1",
                )
                .bind(package.id)
                .fetch_all(&mut *tx)
                .await?,
            );
            sqlx::query::<Any>("DELETE FROM fleet_package_advisories WHERE package_id = $1")
                .bind(package.id)
                .execute(&mut *tx)
                .await?;
            let mut seen = BTreeSet::new();
            let rows: Vec<&(String, bool)> =
                package.advisories.iter().filter(|(id, _)| seen.insert(id.as_str())).collect();
            for chunk in rows.chunks(CHUNK) {
                let mut sql = String::from(
                    "INSERT INTO fleet_package_advisories (package_id, advisory, fixed_by_update) VALUES ",
                );
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("($1, ${}, ${})", i * 2 + 2, i * 2 + 3));
                }
                let mut query = sqlx::query::<Any>(&sql).bind(package.id);
                for (advisory, fixed) in chunk {
                    query = query.bind(advisory.as_str()).bind(i64::from(*fixed));
                }
                query.execute(&mut *tx).await?;
            }
            touched.extend(package.advisories.iter().map(|(id, _)| id.clone()));
        }
        let inventories: Vec<i64> = package_lists::inventories_holding(&mut tx, &recount).await?.into_keys().collect();
        refresh_inventories(&mut tx, &inventories).await?;
        let touched: Vec<String> = touched.into_iter().collect();
        sample_exposure(&mut tx, &touched).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes (or renews) the lease on bringing the fleet's findings up to date, unless another
    /// server holds it.
    pub async fn lease_fleet(&self, owner: &str, lease_ms: i64) -> Result<Option<FleetLease>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT computed_tick, lease_owner, lease_until FROM fleet_clock WHERE id = 1{}",
            self.backend.lock_suffix()
        ))
        .fetch_one(&mut *tx)
        .await?;
        let holder: Option<String> = row.try_get("lease_owner")?;
        let until: Option<i64> = row.try_get("lease_until")?;
        if holder.as_deref().is_some_and(|h| h != owner) && until.is_some_and(|u| u > now) {
            return Ok(None);
        }
        sqlx::query::<Any>("UPDATE fleet_clock SET lease_owner = $1, lease_until = $2 WHERE id = 1")
            .bind(owner)
            .bind(now + lease_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(FleetLease { computed_tick: row.try_get("computed_tick")? }))
    }

    /// Records that the findings are computed up to `tick`, if `owner` still holds the lease.
    pub async fn finish_fleet_pass(&self, owner: &str, tick: i64) -> Result<bool, StoreError> {
        let done = sqlx::query::<Any>(
            "UPDATE fleet_clock SET computed_tick = $1 WHERE id = 1 AND lease_owner = $2 AND computed_tick <= $1",
        )
        .bind(tick)
        .bind(owner)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(done > 0)
    }

    /// The distinct packages a catalog change after `since` may concern: those named by a
    /// changed record or update, and those affected by a record that changed or went away.
    pub async fn packages_changed_since(&self, since: i64) -> Result<Vec<i64>, StoreError> {
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut advisories: BTreeSet<String> = BTreeSet::new();
        let rows = sqlx::query::<Any>("SELECT record_id, body FROM catalog_records WHERE seq > $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            advisories.insert(row.try_get("record_id")?);
            if let Some(body) = row.try_get::<Option<String>, _>("body")? {
                let advisory: Advisory =
                    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?;
                names.extend(advisory.affected.iter().map(|a| a.package.clone()));
                advisories.extend(advisory.aliases.iter().cloned());
            }
        }
        let updates = sqlx::query_scalar::<Any, String>("SELECT DISTINCT package FROM catalog_updates WHERE seq > $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        names.extend(updates);
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        let names: Vec<String> = names.into_iter().collect();
        for chunk in names.chunks(CHUNK) {
            let list = placeholders(1, chunk.len());
            let sql = format!("SELECT id FROM fleet_packages WHERE name IN ({list}) OR source IN ({list})");
            let mut query = sqlx::query_scalar::<Any, i64>(&sql);
            for name in chunk {
                query = query.bind(name.as_str());
            }
            ids.extend(query.fetch_all(&self.pool).await?);
        }
        let advisories: Vec<String> = advisories.into_iter().collect();
        for chunk in advisories.chunks(CHUNK) {
            let sql = format!(
                "SELECT DISTINCT package_id FROM fleet_package_advisories WHERE advisory IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<Any, i64>(&sql);
            for advisory in chunk {
                query = query.bind(advisory.as_str());
            }
            ids.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(ids.into_iter().collect())
    }

    /// Samples the exposure of every advisory that affects a host now or did at the last
    /// sample: what check-ins and revocations changed since.
    pub async fn sample_all_exposure(&self) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut advisories: BTreeSet<String> =
            sqlx::query_scalar::<Any, String>("SELECT DISTINCT advisory FROM fleet_package_advisories")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        advisories.extend(
            sqlx::query_scalar::<Any, String>("SELECT advisory FROM fleet_exposure_first WHERE hosts > 0")
                .fetch_all(&mut *tx)
                .await?,
        );
        let advisories: Vec<String> = advisories.into_iter().collect();
        sample_exposure(&mut tx, &advisories).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Recounts what each inventory needs from its packages' computed findings.
pub(super) async fn refresh_inventories(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), StoreError> {
    let mut known = Known::new();
    for chunk in ids.chunks(CHUNK) {
        let lists = package_lists::lists_of(conn, chunk).await?;
        recount(conn, &lists, &mut known).await?;
    }
    Ok(())
}

/// The contributions of the packages read so far in one recount (nothing, for those that add
/// nothing).
pub(super) type Known = HashMap<i64, Contribution>;

/// Writes the counts of these inventories (ID and package list) where they changed.
pub(super) async fn recount(
    conn: &mut AnyConnection,
    lists: &[(i64, Vec<i64>)],
    known: &mut Known,
) -> Result<(), StoreError> {
    let mut unread: Vec<i64> =
        lists.iter().flat_map(|(_, list)| list.iter().copied()).filter(|id| !known.contains_key(id)).collect();
    unread.sort_unstable();
    unread.dedup();
    let mut read = package_lists::contributions(conn, &unread).await?;
    known.extend(unread.into_iter().map(|id| (id, read.remove(&id).unwrap_or_default())));
    for (inventory, list) in lists {
        let mut sum = Contribution::default();
        for package in list.iter().filter_map(|id| known.get(id)) {
            sum.security_updates += package.security_updates;
            sum.other_updates += package.other_updates;
            sum.vulnerabilities += package.vulnerabilities;
            sum.severity_rank = sum.severity_rank.max(package.severity_rank);
        }
        sqlx::query::<Any>(
            "UPDATE fleet_inventories SET security_updates = $1, other_updates = $2, vulnerabilities = $3, \
             severity_rank = $4 WHERE id = $5 AND (security_updates <> $1 OR other_updates <> $2 \
             OR vulnerabilities <> $3 OR severity_rank <> $4)",
        )
        .bind(sum.security_updates)
        .bind(sum.other_updates)
        .bind(sum.vulnerabilities)
        .bind(sum.severity_rank)
        .bind(*inventory)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How many active hosts each of these advisories affects now; those affecting none are left out.
async fn exposure_counts(conn: &mut AnyConnection, advisories: &[String]) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut packages_of: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for chunk in advisories.chunks(CHUNK) {
        let sql = format!(
            "SELECT advisory, package_id FROM fleet_package_advisories WHERE advisory IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query::<Any>(&sql);
        for advisory in chunk {
            query = query.bind(advisory.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            packages_of.entry(row.try_get("advisory")?).or_default().push(row.try_get("package_id")?);
        }
    }
    let packages: HashSet<i64> = packages_of.values().flatten().copied().collect();
    let holding = package_lists::inventories_holding(conn, &packages).await?;
    let mut inventories_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (inventory, held) in &holding {
        for package in held {
            inventories_of.entry(*package).or_default().push(*inventory);
        }
    }
    let mut hosts: HashMap<i64, i64> = HashMap::new();
    for (_, _, inventory) in package_lists::hosts_of(conn, holding.keys().copied()).await? {
        *hosts.entry(inventory).or_default() += 1;
    }
    let mut counts = BTreeMap::new();
    for (advisory, packages) in packages_of {
        // A host has one inventory: the hosts an advisory affects are those of the distinct
        // inventories holding one of its packages.
        let inventories: HashSet<i64> =
            packages.iter().filter_map(|p| inventories_of.get(p)).flatten().copied().collect();
        let count: i64 = inventories.iter().filter_map(|i| hosts.get(i)).sum();
        if count > 0 {
            counts.insert(advisory, count);
        }
    }
    Ok(counts)
}

/// Counts the hosts each advisory affects now and writes a sample where the count changed.
async fn sample_exposure(conn: &mut AnyConnection, advisories: &[String]) -> Result<(), StoreError> {
    sample_exposure_at(conn, advisories, |_| None).await
}

/// [`sample_exposure`], each sample at the time `at_of` gives (now when it gives none), never
/// before an advisory's last sample.
pub(super) async fn sample_exposure_at(
    conn: &mut AnyConnection,
    advisories: &[String],
    at_of: impl Fn(&str) -> Option<i64>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let counts = exposure_counts(conn, advisories).await?;
    for chunk in advisories.chunks(CHUNK) {
        let list = placeholders(1, chunk.len());
        let sql = format!("SELECT advisory, hosts FROM fleet_exposure_first WHERE advisory IN ({list})");
        let mut query = sqlx::query::<Any>(&sql);
        for advisory in chunk {
            query = query.bind(advisory.as_str());
        }
        let mut last: BTreeMap<String, i64> = BTreeMap::new();
        for row in query.fetch_all(&mut *conn).await? {
            last.insert(row.try_get("advisory")?, row.try_get("hosts")?);
        }
        let sql =
            format!("SELECT advisory, MAX(at) AS at FROM fleet_exposure WHERE advisory IN ({list}) GROUP BY advisory");
        let mut query = sqlx::query::<Any>(&sql);
        for advisory in chunk {
            query = query.bind(advisory.as_str());
        }
        let mut latest: BTreeMap<String, i64> = BTreeMap::new();
        for row in query.fetch_all(&mut *conn).await? {
            latest.insert(row.try_get("advisory")?, row.try_get("at")?);
        }
        for advisory in chunk {
            let hosts = counts.get(advisory).copied().unwrap_or(0);
            let previous = last.get(advisory).copied();
            if previous == Some(hosts) || (previous.is_none() && hosts == 0) {
                continue;
            }
            let now = at_of(advisory).unwrap_or(now).max(latest.get(advisory).copied().unwrap_or(i64::MIN));
            sqlx::query::<Any>(
                "INSERT INTO fleet_exposure (advisory, at, hosts) VALUES ($1, $2, $3) \
                 ON CONFLICT (advisory, at) DO UPDATE SET hosts = excluded.hosts",
            )
            .bind(advisory.as_str())
            .bind(now)
            .bind(hosts)
            .execute(&mut *conn)
            .await?;
            if previous.is_some() {
                sqlx::query::<Any>("UPDATE fleet_exposure_first SET hosts = $1 WHERE advisory = $2")
                    .bind(hosts)
                    .bind(advisory.as_str())
                    .execute(&mut *conn)
                    .await?;
            } else {
                sqlx::query::<Any>(
                    "INSERT INTO fleet_exposure_first (advisory, first_seen_at, hosts) VALUES ($1, $2, $3)",
                )
                .bind(advisory.as_str())
                .bind(now)
                .bind(hosts)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}
