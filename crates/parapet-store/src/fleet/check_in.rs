//! What an agent writes: a check-in, with the inventory when it changed.

use std::collections::HashMap;

use parapet_model::{HostFacts, InstalledPackage, Wanted};
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use super::{enroll::apply_rules, facts_digest, facts_json, tags_json};
use crate::{Store, StoreError, from_ms, now_ms, placeholders, to_ms};

/// An enrolled, unrevoked host, found by its credential.
#[derive(Debug, Clone)]
pub struct AgentHost {
    pub id: String,
    pub sequence: i64,
    pub inventory_digest: Option<String>,
    pub credential_rotated_at: OffsetDateTime,
    /// The agent proved itself with the credential from before the last rotation: it never got
    /// the new one.
    pub via_previous: bool,
}

/// One check-in to record.
#[derive(Debug, Clone)]
pub struct CheckInWrite<'a> {
    pub host_id: &'a str,
    pub sequence: i64,
    pub facts: &'a HostFacts,
    /// The distribution's ecosystem (`Debian:12`), `""` when os-release does not place it.
    pub ecosystem: &'a str,
    pub digest: &'a str,
    /// The inventory, when the agent sent it (its digest already checked).
    pub inventory: Option<&'a [InstalledPackage]>,
    /// The hash of a new credential, when the server rotates it with this answer.
    pub new_credential_hash: Option<&'a str>,
    /// The agent used the previous credential (see [`AgentHost::via_previous`]).
    pub via_previous: bool,
    /// The host's security configuration, when it changed since the last accepted check-in.
    pub harden: Option<&'a parapet_model::HardenReport>,
}

/// A check-in that, if the host's row agrees, changes nothing but the time, the sequence and the
/// uptime: the most common by far, written in one statement that proves the credential too.
#[derive(Debug, Clone)]
pub struct PlainCheckIn<'a> {
    pub credential_hash: &'a str,
    pub sequence: i64,
    pub facts: &'a HostFacts,
    pub digest: &'a str,
    /// A credential rotated at or before this is due a new one, which only the full path gives.
    pub rotated_after: OffsetDateTime,
}

/// A plain check-in taken: the host, and its counts as last computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainAccepted {
    pub host_id: String,
    pub packages: i64,
    pub security_updates: i64,
    /// When the host's work is due to be planned (Unix ms), if anything waits.
    pub plan_at: Option<i64>,
}

/// What a check-in came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInOutcome {
    Accepted {
        wanted: Wanted,
        /// The host's inventory, to compute what it needs.
        inventory_id: Option<i64>,
        /// Packages of that inventory nobody has computed yet.
        uncomputed: Vec<i64>,
        packages: i64,
        security_updates: i64,
        /// When the host's work is due to be planned (Unix ms), if anything waits.
        plan_at: Option<i64>,
    },
    /// The sequence number was not above the last accepted one: a replay, or a second machine
    /// with the same credential. The host is flagged; nothing else is written.
    Replayed { last: i64 },
    /// The host was revoked meanwhile.
    Revoked,
}

/// Rows per multi-row `INSERT`: well under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 200;

impl Store {
    /// The host a credential belongs to, unless it is revoked.
    pub async fn agent_host(&self, credential_hash: &str) -> Result<Option<AgentHost>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT id, sequence, inventory_digest, credential_rotated_at, credential_hash FROM fleet_hosts \
             WHERE (credential_hash = $1 OR previous_credential_hash = $1) AND revoked_at IS NULL",
        )
        .bind(credential_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(AgentHost {
                id: row.try_get("id")?,
                sequence: row.try_get("sequence")?,
                inventory_digest: row.try_get("inventory_digest")?,
                credential_rotated_at: from_ms(row.try_get("credential_rotated_at")?),
                via_previous: row.try_get::<String, _>("credential_hash")? != credential_hash,
            })
        })
        .transpose()
    }

    /// Takes a plain check-in (see [`PlainCheckIn`]) in one guarded statement, unless anything
    /// would make it more: an unknown or revoked credential, the previous credential, a
    /// rotation due, a sequence not above the last, other facts or another inventory. Then
    /// nothing is written and the caller takes the full path ([`Store::agent_host`],
    /// [`Store::record_check_in`]).
    pub async fn plain_check_in(&self, check_in: &PlainCheckIn<'_>) -> Result<Option<PlainAccepted>, StoreError> {
        let row = sqlx::query::<Any>(
            "UPDATE fleet_hosts SET sequence = $1, last_seen_at = $2, facts = $3 \
             WHERE credential_hash = $4 AND sequence < $1 AND revoked_at IS NULL AND facts_digest = $5 \
             AND inventory_digest = $6 AND inventory_id IS NOT NULL AND previous_credential_hash IS NULL \
             AND credential_rotated_at > $7 \
             RETURNING id, plan_at, (SELECT i.packages FROM fleet_inventories i WHERE i.id = inventory_id) AS packages, \
             (SELECT i.security_updates FROM fleet_inventories i WHERE i.id = inventory_id) AS security_updates",
        )
        .bind(check_in.sequence)
        .bind(now_ms())
        .bind(facts_json(check_in.facts)?)
        .bind(check_in.credential_hash)
        .bind(facts_digest(check_in.facts)?)
        .bind(check_in.digest)
        .bind(to_ms(check_in.rotated_after))
        .fetch_optional(&self.writer)
        .await?;
        row.map(|row| {
            Ok(PlainAccepted {
                host_id: row.try_get("id")?,
                packages: row.try_get::<Option<i64>, _>("packages")?.unwrap_or(0),
                security_updates: row.try_get::<Option<i64>, _>("security_updates")?.unwrap_or(0),
                plan_at: row.try_get("plan_at")?,
            })
        })
        .transpose()
    }

    /// Records a check-in in one transaction: facts, sequence, the inventory when sent, the
    /// credential rotation, the history row. A refused one changes nothing but the flag.
    pub async fn record_check_in(&self, write: &CheckInWrite<'_>) -> Result<CheckInOutcome, StoreError> {
        let now = now_ms();
        let facts = facts_json(write.facts)?;
        let digest_of_facts = facts_digest(write.facts)?;
        // The package IDs of a new inventory are looked up before the write transaction, so
        // that only the rows it adds are written under the write lock. Packages are never
        // deleted, so IDs found here stay good.
        let known = match write.inventory {
            Some(packages) => self.known_package_ids(write.ecosystem, packages).await?,
            None => HashMap::new(),
        };
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT sequence, revoked_at, facts_digest, tags, inventory_id, inventory_digest, ecosystem FROM fleet_hosts \
             WHERE id = $1{}",
            self.backend.lock_suffix()
        ))
        .bind(write.host_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("host"))?;
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(CheckInOutcome::Revoked);
        }
        let last: i64 = row.try_get("sequence")?;
        if write.sequence <= last {
            sqlx::query::<Any>("UPDATE fleet_hosts SET clone_suspected_at = $1 WHERE id = $2")
                .bind(now)
                .bind(write.host_id)
                .execute(&mut *tx)
                .await?;
            history(
                &mut tx,
                write.host_id,
                now,
                write.sequence,
                "replayed",
                None,
                Some(format!("sequence {} after {last}: the credential may be in use on two machines", write.sequence)),
            )
            .await?;
            crate::audit::append(
                &mut tx,
                crate::audit::Audit {
                    actor: "agent",
                    action: parapet_model::AuditAction::HostCloneSuspected,
                    entity_id: Some(write.host_id.to_owned()),
                    before: Some(serde_json::json!({"sequence": last})),
                    after: Some(serde_json::json!({"sequence": write.sequence})),
                },
            )
            .await?;
            tx.commit().await?;
            return Ok(CheckInOutcome::Replayed { last });
        }
        let old_facts_digest: Option<String> = row.try_get("facts_digest")?;
        let old_tags: String = row.try_get("tags")?;
        let mut inventory_id: Option<i64> = row.try_get("inventory_id")?;
        let old_inventory = inventory_id;
        let stored_digest: Option<String> = row.try_get("inventory_digest")?;
        let stored_ecosystem: String = row.try_get("ecosystem")?;
        let same_inventory = stored_digest.as_deref() == Some(write.digest)
            && stored_ecosystem == write.ecosystem
            && inventory_id.is_some();
        let mut outcome =
            if old_facts_digest.as_deref() == Some(digest_of_facts.as_str()) { "unchanged" } else { "facts" };
        let mut wanted = Wanted::Nothing;
        let mut digest = stored_digest.clone();
        let mut uncomputed = Vec::new();
        let mut new_list = None;
        if let Some(packages) = write.inventory.filter(|_| !same_inventory) {
            let stored = store_inventory(&mut tx, write.ecosystem, write.digest, packages, known).await?;
            inventory_id = Some(stored.id);
            uncomputed = stored.uncomputed;
            new_list = Some(stored.package_ids);
            digest = Some(write.digest.to_owned());
            outcome = "inventory";
        } else if !same_inventory {
            wanted = Wanted::FullInventory;
        }
        let tags = tags_json(&write.facts.tags);
        sqlx::query::<Any>(
            "UPDATE fleet_hosts SET hostname = $1, os = $2, os_version = $3, arch = $4, ecosystem = $5, facts = $6, \
             tags = $7, reboot_required = $8, sequence = $9, inventory_id = $10, inventory_digest = $11, \
             last_seen_at = $12, facts_digest = $13 WHERE id = $14",
        )
        .bind(&write.facts.hostname)
        .bind(&write.facts.os)
        .bind(&write.facts.os_version)
        .bind(&write.facts.arch)
        .bind(if wanted == Wanted::FullInventory { stored_ecosystem.as_str() } else { write.ecosystem })
        .bind(&facts)
        .bind(&tags)
        .bind(i64::from(write.facts.reboot_required))
        .bind(write.sequence)
        .bind(inventory_id)
        .bind(&digest)
        .bind(now)
        .bind(&digest_of_facts)
        .bind(write.host_id)
        .execute(&mut *tx)
        .await?;
        if let Some(hash) = write.new_credential_hash {
            // From the current credential, the old one stays valid until the agent shows it has
            // the new one; from the previous one, the agent never saw the current one.
            let sql = if write.via_previous {
                "UPDATE fleet_hosts SET credential_hash = $1, credential_rotated_at = $2 WHERE id = $3"
            } else {
                "UPDATE fleet_hosts SET previous_credential_hash = credential_hash, credential_hash = $1, \
                 credential_rotated_at = $2 WHERE id = $3"
            };
            sqlx::query::<Any>(sql).bind(hash).bind(now).bind(write.host_id).execute(&mut *tx).await?;
        } else if !write.via_previous {
            sqlx::query::<Any>(
                "UPDATE fleet_hosts SET previous_credential_hash = NULL WHERE id = $1 AND previous_credential_hash IS NOT NULL",
            )
            .bind(write.host_id)
            .execute(&mut *tx)
            .await?;
        }
        if tags != old_tags {
            apply_rules(&mut tx, write.host_id, &write.facts.tags).await?;
        }
        if let Some(harden) = write.harden {
            super::harden::save_report(&mut tx, write.host_id, harden, now).await?;
        }
        // Exposure is counted as of now, when a host's packages changed (see fleet/remediation):
        // what a patch takes away is timed to the check-in. A first inventory only adds, and
        // the exposure sampled after computing and once a minute takes it in, so enrollment
        // does not pay for marking every advisory of every new host.
        if let (Some(list), Some(_)) = (new_list.as_deref().filter(|_| old_inventory != inventory_id), old_inventory) {
            super::remediation::mark_changed(&mut tx, old_inventory, list, now).await?;
        }
        if old_inventory.is_some() && old_inventory != inventory_id {
            drop_if_unused(&mut tx, old_inventory).await?;
        }
        if old_inventory != inventory_id {
            // Other packages, other versions: what the host should install may have changed.
            super::updates::plan_host(&mut tx, write.host_id).await?;
        }
        let plan_at = sqlx::query_scalar::<Any, Option<i64>>("SELECT plan_at FROM fleet_hosts WHERE id = $1")
            .bind(write.host_id)
            .fetch_one(&mut *tx)
            .await?;
        let (packages, security_updates) = match inventory_id {
            Some(id) => {
                let row = sqlx::query::<Any>("SELECT packages, security_updates FROM fleet_inventories WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                (row.try_get("packages")?, row.try_get("security_updates")?)
            }
            None => (0, 0),
        };
        let detail = (wanted == Wanted::FullInventory).then(|| "asked for the full inventory".to_owned());
        history(&mut tx, write.host_id, now, write.sequence, outcome, Some(packages), detail).await?;
        tx.commit().await?;
        Ok(CheckInOutcome::Accepted { wanted, inventory_id, uncomputed, packages, security_updates, plan_at })
    }
}

/// A package's identity: its columns in `fleet_packages` but the ecosystem.
type PackageKey = (String, String, String, String, String, String);

/// Fleet package IDs by ecosystem and identity. Packages are never deleted nor changed in
/// identity, so an ID read from a committed row stays good for the life of the process and on
/// every server sharing the database; IDs seen inside a write transaction are never put here (it
/// may roll back, and the ID be given to another package). Most inventories are made of packages
/// other hosts already reported: their IDs come from here instead of a query returning a row per
/// package.
#[derive(Default)]
pub(crate) struct PackageIds(std::sync::Mutex<HashMap<String, HashMap<PackageKey, i64>>>);

/// Entries kept before the map starts over: a bound on memory (some 300 bytes each) that a fleet
/// of hosts built from a few images never reaches.
const PACKAGE_IDS_KEPT: usize = 250_000;

impl Store {
    /// The IDs of the stored packages among these, by identity: from the map, then from the
    /// database for the names the map does not know.
    async fn known_package_ids(
        &self,
        ecosystem: &str,
        packages: &[InstalledPackage],
    ) -> Result<HashMap<PackageKey, i64>, StoreError> {
        let poisoned = || StoreError::Corrupt("package IDs poisoned".into());
        let mut known = HashMap::with_capacity(packages.len());
        let mut unknown = Vec::new();
        {
            let ids = self.package_ids.0.lock().map_err(|_| poisoned())?;
            let of_ecosystem = ids.get(ecosystem);
            for package in packages {
                let key = package_key(package);
                match of_ecosystem.and_then(|ids| ids.get(&key)) {
                    Some(id) => {
                        known.insert(key, *id);
                    }
                    None => unknown.push(package.name.as_str()),
                }
            }
        }
        if unknown.is_empty() {
            return Ok(known);
        }
        let mut conn = self.pool.acquire().await?;
        let found = known_packages(&mut conn, ecosystem, unknown.into_iter()).await?;
        let mut ids = self.package_ids.0.lock().map_err(|_| poisoned())?;
        if ids.values().map(HashMap::len).sum::<usize>() + found.len() > PACKAGE_IDS_KEPT {
            ids.clear();
        }
        let of_ecosystem = ids.entry(ecosystem.to_owned()).or_default();
        for (key, id) in found {
            of_ecosystem.insert(key.clone(), id);
            known.insert(key, id);
        }
        Ok(known)
    }
}

fn package_key(p: &InstalledPackage) -> PackageKey {
    (
        p.manager.as_str().to_owned(),
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
        p.source.clone().unwrap_or_default(),
        p.source_version.clone().unwrap_or_default(),
    )
}

/// The IDs of the stored packages with these names, by their identity.
async fn known_packages(
    conn: &mut AnyConnection,
    ecosystem: &str,
    names: impl Iterator<Item = &str>,
) -> Result<HashMap<PackageKey, i64>, StoreError> {
    let mut ids = HashMap::new();
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    for chunk in names.chunks(CHUNK * 2) {
        let sql = format!(
            "SELECT id, manager, name, version, arch, source, source_version FROM fleet_packages \
             WHERE ecosystem = $1 AND name IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query::<Any>(&sql).bind(ecosystem);
        for name in chunk {
            query = query.bind(*name);
        }
        for row in query.fetch_all(&mut *conn).await? {
            ids.insert(
                (
                    row.try_get("manager")?,
                    row.try_get("name")?,
                    row.try_get("version")?,
                    row.try_get("arch")?,
                    row.try_get("source")?,
                    row.try_get("source_version")?,
                ),
                row.try_get("id")?,
            );
        }
    }
    Ok(ids)
}

/// An inventory a check-in stored or found stored.
struct StoredInventory {
    id: i64,
    /// Its package IDs, ascending.
    package_ids: Vec<i64>,
    /// Its packages nobody has computed yet.
    uncomputed: Vec<i64>,
}

/// The inventory with this package list, made when no host has it yet. `known` holds the IDs
/// of the packages found stored before the transaction; the others are added here.
async fn store_inventory(
    conn: &mut AnyConnection,
    ecosystem: &str,
    digest: &str,
    packages: &[InstalledPackage],
    mut known: HashMap<PackageKey, i64>,
) -> Result<StoredInventory, StoreError> {
    if let Some(id) =
        sqlx::query_scalar::<Any, i64>("SELECT id FROM fleet_inventories WHERE ecosystem = $1 AND digest = $2")
            .bind(ecosystem)
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?
    {
        let list: Vec<i64> =
            super::package_lists::lists_of(conn, &[id]).await?.into_iter().flat_map(|(_, list)| list).collect();
        return Ok(StoredInventory { id, uncomputed: uncomputed(conn, &list).await?, package_ids: list });
    }
    let missing: Vec<&InstalledPackage> = packages.iter().filter(|p| !known.contains_key(&package_key(p))).collect();
    for chunk in missing.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO fleet_packages (ecosystem, manager, name, version, arch, source, source_version) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 6 + 2;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${b}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
        }
        // Another check-in may have added some meanwhile.
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut query = sqlx::query::<Any>(&sql).bind(ecosystem);
        for package in chunk {
            let (manager, name, version, arch, source, source_version) = package_key(package);
            query = query.bind(manager).bind(name).bind(version).bind(arch).bind(source).bind(source_version);
        }
        query.execute(&mut *conn).await?;
    }
    if !missing.is_empty() {
        known.extend(known_packages(conn, ecosystem, missing.iter().map(|p| p.name.as_str())).await?);
    }
    let mut package_ids = Vec::with_capacity(packages.len());
    for package in packages {
        let id = known
            .get(&package_key(package))
            .ok_or_else(|| StoreError::Corrupt(format!("package {} was not stored", package.name)))?;
        package_ids.push(*id);
    }
    package_ids.sort_unstable();
    package_ids.dedup();
    let inventory = sqlx::query_scalar::<Any, i64>(
        "INSERT INTO fleet_inventories (ecosystem, digest, packages, package_ids) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(ecosystem)
    .bind(digest)
    .bind(packages.len() as i64)
    .bind(super::package_lists::encode(&package_ids))
    .fetch_one(&mut *conn)
    .await?;
    let lists = [(inventory, package_ids)];
    super::findings::recount(conn, &lists, &mut Default::default()).await?;
    let uncomputed = uncomputed(conn, &lists[0].1).await?;
    let [(_, package_ids)] = lists;
    Ok(StoredInventory { id: inventory, package_ids, uncomputed })
}

/// The packages of this list nobody has computed yet.
async fn uncomputed(conn: &mut AnyConnection, list: &[i64]) -> Result<Vec<i64>, StoreError> {
    // Few packages are ever uncomputed, and an index has them.
    let pending = sqlx::query_scalar::<Any, i64>("SELECT id FROM fleet_packages WHERE computed_tick IS NULL")
        .fetch_all(conn)
        .await?;
    Ok(pending.into_iter().filter(|id| list.binary_search(id).is_ok()).collect())
}

/// Removes an inventory no host has any more.
async fn drop_if_unused(conn: &mut AnyConnection, inventory: Option<i64>) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "DELETE FROM fleet_inventories WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM fleet_hosts WHERE inventory_id = $1)",
    )
    .bind(inventory)
    .execute(conn)
    .await?;
    Ok(())
}

/// A row of a host's check-in history. Plain check-ins replace the host's previous plain one,
/// so the history keeps every change and only the latest of the check-ins that changed
/// nothing.
async fn history(
    conn: &mut AnyConnection,
    host_id: &str,
    at: i64,
    sequence: i64,
    outcome: &str,
    packages: Option<i64>,
    detail: Option<String>,
) -> Result<(), StoreError> {
    if outcome == "unchanged" {
        let updated = sqlx::query::<Any>(
            "UPDATE fleet_check_ins SET at = $1, sequence = $2, packages = $3 WHERE id = \
             (SELECT MAX(id) FROM fleet_check_ins WHERE host_id = $4) AND outcome = 'unchanged'",
        )
        .bind(at)
        .bind(sequence)
        .bind(packages)
        .bind(host_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if updated > 0 {
            return Ok(());
        }
    }
    sqlx::query::<Any>(
        "INSERT INTO fleet_check_ins (host_id, at, sequence, outcome, packages, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(host_id)
    .bind(at)
    .bind(sequence)
    .bind(outcome)
    .bind(packages)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}
