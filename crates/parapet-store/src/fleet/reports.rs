//! What the console and the API read about the fleet: hosts, their needs and history, status
//! reports per advisory and per update, and exposure.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use parapet_model::{HostFacts, Severity, Tag};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::{PackageFinding, package_lists, tags_of};
use crate::{Arg, Binds, Page, Store, StoreError, from_ms, like_pattern, now_ms, placeholders};

/// Which hosts to list.
#[derive(Debug, Clone, Default)]
pub struct HostQuery {
    /// Part of the hostname or the host ID.
    pub search: Option<String>,
    /// A group's name, or `unassigned` for hosts in none.
    pub group: Option<String>,
    /// os-release `ID`.
    pub os: Option<String>,
    pub needs_security_updates: Option<bool>,
    pub reboot_required: Option<bool>,
    /// Only stale hosts (`true`) or only fresh ones (`false`).
    pub stale: Option<bool>,
    pub include_revoked: bool,
    /// A host that has not checked in for this long is stale.
    pub stale_after_ms: i64,
    pub page: u32,
    pub per_page: u32,
}

/// A host as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub id: String,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub groups: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub enrolled_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    pub stale: bool,
    pub reboot_required: bool,
    pub packages: i64,
    pub security_updates: i64,
    pub other_updates: i64,
    pub vulnerabilities: i64,
    /// The worst severity among its updates and vulnerabilities.
    pub severity: Option<Severity>,
    pub revoked: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub clone_suspected_at: Option<OffsetDateTime>,
}

/// One host whole.
#[derive(Debug, Clone, Serialize)]
pub struct HostDetail {
    #[serde(flatten)]
    pub summary: HostSummary,
    pub facts: Option<HostFacts>,
    pub tags: Vec<Tag>,
    pub enrollment_secret: Option<String>,
    pub sequence: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub credential_rotated_at: OffsetDateTime,
}

/// An installed package of a host, with what it needs.
#[derive(Debug, Clone, Serialize)]
pub struct HostPackage {
    pub manager: String,
    pub name: String,
    pub version: String,
    pub arch: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The version to update to, when a security suite has a newer one.
    pub update_version: Option<String>,
    pub classification: Option<String>,
    pub severity: Option<Severity>,
    pub findings: Vec<PackageFinding>,
    /// Whether the catalog has been matched against it yet.
    pub computed: bool,
}

/// One row of a host's check-in history.
#[derive(Debug, Clone, Serialize)]
pub struct CheckInRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub sequence: i64,
    /// `enrolled`, `inventory`, `facts`, `unchanged` or `replayed`.
    pub outcome: String,
    pub packages: Option<i64>,
    pub detail: Option<String>,
}

/// WSUS's status report for one group: of its hosts, how many need it, have it, or do not
/// have the package at all.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupStatus {
    /// A group's name, `All hosts` or `Unassigned`.
    pub group: String,
    pub hosts: i64,
    pub needed: i64,
    pub installed: i64,
    pub not_applicable: i64,
}

/// The status report of an advisory or an update across the groups.
#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryStatus {
    pub groups: Vec<GroupStatus>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ExposureSample {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub hosts: i64,
}

/// Which hosts an advisory affects now, since when, and how that went.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub advisory: String,
    pub hosts_now: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen_at: Option<OffsetDateTime>,
    pub samples: Vec<ExposureSample>,
    pub hosts: Vec<ExposedHost>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExposedHost {
    pub id: String,
    pub hostname: String,
    pub package: String,
    pub installed: String,
    /// The update that fixes it, when there is one.
    pub update_version: Option<String>,
}

const SUMMARY_COLUMNS: &str = "h.id, h.hostname, h.os, h.os_version, h.arch, h.enrolled_at, h.last_seen_at, \
     h.reboot_required, h.revoked_at, h.clone_suspected_at, COALESCE(i.packages, 0) AS packages, \
     COALESCE(i.security_updates, 0) AS security_updates, COALESCE(i.other_updates, 0) AS other_updates, \
     COALESCE(i.vulnerabilities, 0) AS vulnerabilities, COALESCE(i.severity_rank, 0) AS severity_rank";

fn summary_row(row: &sqlx::any::AnyRow, stale_before: i64) -> Result<HostSummary, StoreError> {
    let enrolled_at: i64 = row.try_get("enrolled_at")?;
    let last_seen_at: Option<i64> = row.try_get("last_seen_at")?;
    Ok(HostSummary {
        id: row.try_get("id")?,
        hostname: row.try_get("hostname")?,
        os: row.try_get("os")?,
        os_version: row.try_get("os_version")?,
        arch: row.try_get("arch")?,
        groups: Vec::new(),
        enrolled_at: from_ms(enrolled_at),
        last_seen_at: last_seen_at.map(from_ms),
        stale: last_seen_at.unwrap_or(enrolled_at) < stale_before,
        reboot_required: row.try_get::<i64, _>("reboot_required")? != 0,
        packages: row.try_get("packages")?,
        security_updates: row.try_get("security_updates")?,
        other_updates: row.try_get("other_updates")?,
        vulnerabilities: row.try_get("vulnerabilities")?,
        severity: Severity::from_rank(row.try_get("severity_rank")?),
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        clone_suspected_at: row.try_get::<Option<i64>, _>("clone_suspected_at")?.map(from_ms),
    })
}

impl Store {
    pub async fn hosts(&self, query: &HostQuery) -> Result<Page<HostSummary>, StoreError> {
        let stale_before = now_ms() - query.stale_after_ms;
        let mut binds = Binds::default();
        let mut conditions: Vec<String> = Vec::new();
        if !query.include_revoked {
            conditions.push("h.revoked_at IS NULL".into());
        }
        if let Some(search) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = binds.add(Arg::Text(like_pattern(&search.to_lowercase())));
            conditions
                .push(format!("(LOWER(h.hostname) LIKE {pattern} ESCAPE '\\' OR h.id LIKE {pattern} ESCAPE '\\')"));
        }
        match query.group.as_deref() {
            Some("unassigned") => {
                conditions.push("NOT EXISTS (SELECT 1 FROM fleet_group_members m WHERE m.host_id = h.id)".into())
            }
            Some(group) => {
                let name = binds.add(Arg::Text(group.to_owned()));
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM fleet_group_members m JOIN fleet_groups g ON g.id = m.group_id \
                     WHERE m.host_id = h.id AND g.name = {name})"
                ));
            }
            None => {}
        }
        if let Some(os) = &query.os {
            conditions.push(format!("h.os = {}", binds.add(Arg::Text(os.clone()))));
        }
        match query.needs_security_updates {
            Some(true) => conditions.push("COALESCE(i.security_updates, 0) > 0".into()),
            Some(false) => conditions.push("COALESCE(i.security_updates, 0) = 0".into()),
            None => {}
        }
        if let Some(reboot) = query.reboot_required {
            conditions.push(format!("h.reboot_required = {}", binds.add(Arg::Int(i64::from(reboot)))));
        }
        if let Some(stale) = query.stale {
            let before = binds.add(Arg::Int(stale_before));
            conditions.push(if stale {
                format!("COALESCE(h.last_seen_at, h.enrolled_at) < {before}")
            } else {
                format!("COALESCE(h.last_seen_at, h.enrolled_at) >= {before}")
            });
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let from = "FROM fleet_hosts h LEFT JOIN fleet_inventories i ON i.id = h.inventory_id";
        let total = binds
            .to(sqlx::query(&format!("SELECT COUNT(*) AS n {from} {filter}")))
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?;
        let per_page = query.per_page.clamp(1, 1000);
        let page = query.page.max(1);
        let limit = binds.add(Arg::Int(i64::from(per_page)));
        let offset = binds.add(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let rows = binds
            .to(sqlx::query(&format!(
                "SELECT {SUMMARY_COLUMNS} {from} {filter} ORDER BY h.hostname, h.id LIMIT {limit} OFFSET {offset}"
            )))
            .fetch_all(&self.pool)
            .await?;
        let mut items = rows.iter().map(|row| summary_row(row, stale_before)).collect::<Result<Vec<_>, _>>()?;
        self.fill_groups(&mut items).await?;
        Ok(Page { items, total, page, per_page })
    }

    async fn fill_groups(&self, hosts: &mut [HostSummary]) -> Result<(), StoreError> {
        if hosts.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT DISTINCT m.host_id, g.name FROM fleet_group_members m JOIN fleet_groups g ON g.id = m.group_id \
             WHERE m.host_id IN ({}) ORDER BY g.name",
            placeholders(1, hosts.len())
        );
        let mut query = sqlx::query::<Any>(&sql);
        for host in hosts.iter() {
            query = query.bind(host.id.clone());
        }
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in query.fetch_all(&self.pool).await? {
            groups.entry(row.try_get("host_id")?).or_default().push(row.try_get("name")?);
        }
        for host in hosts {
            host.groups = groups.remove(&host.id).unwrap_or_default();
        }
        Ok(())
    }

    pub async fn host(&self, id: &str, stale_after_ms: i64) -> Result<Option<HostDetail>, StoreError> {
        let stale_before = now_ms() - stale_after_ms;
        let row = sqlx::query::<Any>(&format!(
            "SELECT {SUMMARY_COLUMNS}, h.facts, h.tags, h.sequence, h.credential_rotated_at, s.name AS secret_name \
             FROM fleet_hosts h LEFT JOIN fleet_inventories i ON i.id = h.inventory_id \
             LEFT JOIN fleet_enrollment_secrets s ON s.id = h.secret_id WHERE h.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut summary = [summary_row(&row, stale_before)?];
        self.fill_groups(&mut summary).await?;
        let [summary] = summary;
        let facts: Option<String> = row.try_get("facts")?;
        Ok(Some(HostDetail {
            summary,
            facts: facts
                .map(|f| serde_json::from_str(&f))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("host facts: {e}")))?,
            tags: tags_of(&row.try_get::<String, _>("tags")?),
            enrollment_secret: row.try_get("secret_name")?,
            sequence: row.try_get("sequence")?,
            credential_rotated_at: from_ms(row.try_get("credential_rotated_at")?),
        }))
    }

    /// How many security updates the hosts with this inventory need.
    pub async fn inventory_security_updates(&self, inventory: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>("SELECT security_updates FROM fleet_inventories WHERE id = $1")
            .bind(inventory)
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or(0))
    }

    /// A host's installed packages, by name, with what each needs.
    pub async fn host_packages(&self, id: &str) -> Result<Vec<HostPackage>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let inventory = sqlx::query_scalar::<Any, Option<i64>>("SELECT inventory_id FROM fleet_hosts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
        let ids: Vec<i64> = match inventory {
            Some(inventory) => {
                package_lists::lists_of(&mut conn, &[inventory]).await?.into_iter().flat_map(|(_, l)| l).collect()
            }
            None => Vec::new(),
        };
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(200) {
            let sql = format!(
                "SELECT manager, name, version, arch, source, update_version, classification, severity_rank, findings, \
                 computed_tick FROM fleet_packages WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            rows.extend(query.fetch_all(&mut *conn).await?);
        }
        let mut packages = rows
            .iter()
            .map(|row| {
                let source: String = row.try_get("source")?;
                let findings: String = row.try_get("findings")?;
                Ok(HostPackage {
                    manager: row.try_get("manager")?,
                    name: row.try_get("name")?,
                    version: row.try_get("version")?,
                    arch: row.try_get("arch")?,
                    source: Some(source).filter(|s| !s.is_empty()),
                    update_version: row.try_get("update_version")?,
                    classification: row.try_get("classification")?,
                    severity: Severity::from_rank(row.try_get("severity_rank")?),
                    findings: serde_json::from_str(&findings)
                        .map_err(|e| StoreError::Corrupt(format!("package findings: {e}")))?,
                    computed: row.try_get::<Option<i64>, _>("computed_tick")?.is_some(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        packages.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
        Ok(packages)
    }

    /// A host's check-in history, newest first.
    pub async fn host_check_ins(&self, id: &str, limit: u32) -> Result<Vec<CheckInRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT at, sequence, outcome, packages, detail FROM fleet_check_ins WHERE host_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut records = rows
            .iter()
            .map(|row| {
                Ok(CheckInRecord {
                    at: from_ms(row.try_get("at")?),
                    sequence: row.try_get("sequence")?,
                    outcome: row.try_get("outcome")?,
                    packages: row.try_get("packages")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // A check-in that changed nothing leaves no row (it is one UPDATE of the host); the
        // host's own row tells the latest one.
        let latest = sqlx::query::<Any>(
            "SELECT h.last_seen_at, h.sequence, i.packages FROM fleet_hosts h \
             LEFT JOIN fleet_inventories i ON i.id = h.inventory_id WHERE h.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = latest
            && let Some(at) = row.try_get::<Option<i64>, _>("last_seen_at")?
        {
            let sequence: i64 = row.try_get("sequence")?;
            if !records.iter().any(|r| r.sequence == sequence && r.outcome != "replayed") {
                let record = CheckInRecord {
                    at: from_ms(at),
                    sequence,
                    outcome: "unchanged".to_owned(),
                    packages: row.try_get("packages")?,
                    detail: None,
                };
                let position = records.iter().position(|r| r.at <= record.at).unwrap_or(records.len());
                records.insert(position, record);
                records.truncate(limit as usize);
            }
        }
        Ok(records)
    }

    /// Which hosts `advisory` (an ID or an alias) affects now, and its exposure over time.
    pub async fn exposure(&self, advisory: &str, host_limit: u32) -> Result<Exposure, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query::<Any>(
            "SELECT p.id, p.name, p.version, p.update_version, pa.fixed_by_update \
             FROM fleet_package_advisories pa JOIN fleet_packages p ON p.id = pa.package_id WHERE pa.advisory = $1",
        )
        .bind(advisory)
        .fetch_all(&mut *conn)
        .await?;
        // The affected packages, as a row of the report without its host.
        let mut affected: HashMap<i64, ExposedHost> = HashMap::new();
        for row in &rows {
            let fixed = row.try_get::<i64, _>("fixed_by_update")? != 0;
            affected.insert(
                row.try_get("id")?,
                ExposedHost {
                    id: String::new(),
                    hostname: String::new(),
                    package: row.try_get("name")?,
                    installed: row.try_get("version")?,
                    update_version: if fixed { row.try_get("update_version")? } else { None },
                },
            );
        }
        let holding =
            package_lists::inventories_holding(&mut conn, &affected.keys().copied().collect::<HashSet<_>>()).await?;
        let mut hosts: Vec<ExposedHost> = Vec::new();
        for (host, hostname, inventory) in package_lists::hosts_of(&mut conn, holding.keys().copied()).await? {
            for package in holding.get(&inventory).into_iter().flatten().filter_map(|id| affected.get(id)) {
                hosts.push(ExposedHost { id: host.clone(), hostname: hostname.clone(), ..package.clone() });
            }
        }
        hosts.sort_by(|a, b| (&a.hostname, &a.id, &a.package).cmp(&(&b.hostname, &b.id, &b.package)));
        let hosts_now = hosts.iter().map(|h| &h.id).collect::<BTreeSet<_>>().len() as i64;
        hosts.truncate(host_limit as usize);
        let first =
            sqlx::query_scalar::<Any, i64>("SELECT first_seen_at FROM fleet_exposure_first WHERE advisory = $1")
                .bind(advisory)
                .fetch_optional(&mut *conn)
                .await?;
        let samples = sqlx::query::<Any>("SELECT at, hosts FROM fleet_exposure WHERE advisory = $1 ORDER BY at")
            .bind(advisory)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok(ExposureSample { at: from_ms(row.try_get("at")?), hosts: row.try_get("hosts")? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Exposure { advisory: advisory.to_owned(), hosts_now, first_seen_at: first.map(from_ms), samples, hosts })
    }

    /// The status report of an advisory: per group, hosts it affects, hosts that have one of
    /// `packages` (binary or source names) without being affected, and the rest.
    pub async fn advisory_status(&self, advisory: &str, packages: &[String]) -> Result<AdvisoryStatus, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let affected: HashSet<i64> =
            sqlx::query_scalar::<Any, i64>("SELECT package_id FROM fleet_package_advisories WHERE advisory = $1")
                .bind(advisory)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        let needed = hosts_holding(&mut conn, &affected).await?;
        drop(conn);
        let having = self.hosts_with_packages(packages, false).await?;
        self.status_by_group(&needed, &having).await
    }

    /// The status report of the updates of package `package`: hosts that need an update of it,
    /// hosts that have it up to date, and the rest.
    pub async fn update_status(&self, package: &str) -> Result<AdvisoryStatus, StoreError> {
        let names = [package.to_owned()];
        let needed = self.hosts_with_packages(&names, true).await?;
        let having = self.hosts_with_packages(&names, false).await?;
        self.status_by_group(&needed, &having).await
    }

    async fn hosts_with_packages(
        &self,
        names: &[String],
        needing_update: bool,
    ) -> Result<BTreeSet<String>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut packages = HashSet::new();
        for chunk in names.chunks(200) {
            let list = placeholders(1, chunk.len());
            let need = if needing_update { " AND update_version IS NOT NULL" } else { "" };
            let sql = format!("SELECT id FROM fleet_packages WHERE (name IN ({list}) OR source IN ({list})){need}");
            let mut query = sqlx::query_scalar::<Any, i64>(&sql);
            for name in chunk {
                query = query.bind(name.as_str());
            }
            packages.extend(query.fetch_all(&mut *conn).await?);
        }
        hosts_holding(&mut conn, &packages).await
    }

    async fn status_by_group(
        &self,
        needed: &BTreeSet<String>,
        having: &BTreeSet<String>,
    ) -> Result<AdvisoryStatus, StoreError> {
        let hosts: Vec<String> =
            sqlx::query_scalar::<Any, String>("SELECT id FROM fleet_hosts WHERE revoked_at IS NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let groups: Vec<String> = sqlx::query_scalar::<Any, String>("SELECT name FROM fleet_groups ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        for row in sqlx::query::<Any>(
            "SELECT DISTINCT g.name, m.host_id FROM fleet_group_members m JOIN fleet_groups g ON g.id = m.group_id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            members.entry(row.try_get("name")?).or_default().insert(row.try_get("host_id")?);
        }
        let assigned: BTreeSet<&String> = members.values().flatten().collect();
        let count = |label: &str, ids: &mut dyn Iterator<Item = &String>| {
            let mut status =
                GroupStatus { group: label.to_owned(), hosts: 0, needed: 0, installed: 0, not_applicable: 0 };
            for id in ids {
                status.hosts += 1;
                if needed.contains(id) {
                    status.needed += 1;
                } else if having.contains(id) {
                    status.installed += 1;
                } else {
                    status.not_applicable += 1;
                }
            }
            status
        };
        let active: BTreeSet<&String> = hosts.iter().collect();
        let mut out = vec![count("All hosts", &mut hosts.iter())];
        for group in &groups {
            let ids = members.get(group).cloned().unwrap_or_default();
            out.push(count(group, &mut ids.iter().filter(|id| active.contains(id))));
        }
        out.push(count("Unassigned", &mut hosts.iter().filter(|id| !assigned.contains(id))));
        Ok(AdvisoryStatus { groups: out })
    }
}

/// The active hosts whose inventory holds one of these packages.
async fn hosts_holding(conn: &mut AnyConnection, packages: &HashSet<i64>) -> Result<BTreeSet<String>, StoreError> {
    let holding = package_lists::inventories_holding(conn, packages).await?;
    Ok(package_lists::hosts_of(conn, holding.into_keys()).await?.into_iter().map(|(id, _, _)| id).collect())
}
