//! An inventory's packages, as one column of its row: the package IDs, ascending,
//! comma-separated.
//!
//! A row per (inventory, package) with an index by package made every new inventory a write to
//! as many index pages as it has packages (hundreds, each a 4 KiB page in SQLite's WAL): the
//! benchmark's first check-ins wrote some 3.7 MB each and were bound by the disk. As one column
//! an inventory is one row written once. The question the index answered — which inventories
//! hold these packages — is asked when the catalog changes what a package needs or an exposure
//! is counted, and is answered by one pass over the inventories here.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::{Any, AnyConnection, Row};

use crate::{StoreError, placeholders};

/// Inventories read per query of a pass.
const PAGE: i64 = 1000;
const CHUNK: usize = 200;

/// The column's text for these IDs (sorted and without repeats).
pub(super) fn encode(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 6);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out
}

/// The IDs in a column's text, ascending.
pub(super) fn decode(text: &str) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(text.len() / 4);
    for id in each_id(text) {
        ids.push(id?);
    }
    // Written sorted; a list converted by the migration is sorted too, but cheaply made sure of.
    if !ids.is_sorted() {
        ids.sort_unstable();
    }
    Ok(ids)
}

/// The IDs of a column's text in their order. A pass over every inventory reads millions: the
/// digits are read as they come, with no string made per ID.
fn each_id(text: &str) -> impl Iterator<Item = Result<i64, StoreError>> + '_ {
    let bad = move || StoreError::Corrupt(format!("inventory package list {:?}", text.get(..40).unwrap_or(text)));
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        // Past the end, unless the text ended in a comma (an empty last ID, reported below).
        if at > bytes.len() || (at == bytes.len() && (at == 0 || bytes[at - 1] != b',')) {
            return None;
        }
        let mut id: i64 = 0;
        let mut digits = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            at += 1;
            match byte {
                b'0'..=b'9' => {
                    match id.checked_mul(10).and_then(|id| id.checked_add(i64::from(byte - b'0'))) {
                        Some(next) => id = next,
                        None => return Some(Err(bad())),
                    }
                    digits += 1;
                }
                b',' => break,
                _ => return Some(Err(bad())),
            }
        }
        if digits == 0 {
            // An empty ID: stop after reporting it.
            at = bytes.len() + 1;
            return Some(Err(bad()));
        }
        Some(Ok(id))
    })
}

/// Those of `wanted` (ascending) that a column's text holds.
pub(super) fn held(text: &str, wanted: &[i64]) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    let mut sorted = true;
    let mut last = i64::MIN;
    let mut next = 0;
    for id in each_id(text) {
        let id = id?;
        sorted &= id > last;
        last = id;
        // Both ascending: walk them together.
        while next < wanted.len() && wanted[next] < id {
            next += 1;
        }
        if next < wanted.len() && wanted[next] == id {
            out.push(id);
        }
    }
    if !sorted {
        // Not as written; read it the slow way.
        return Ok(decode(text)?.into_iter().filter(|id| wanted.binary_search(id).is_ok()).collect());
    }
    Ok(out)
}

/// The inventories holding any of `packages`, each with those of them it holds (ascending).
pub(super) async fn inventories_holding(
    conn: &mut AnyConnection,
    packages: &HashSet<i64>,
) -> Result<BTreeMap<i64, Vec<i64>>, StoreError> {
    let mut out = BTreeMap::new();
    if packages.is_empty() {
        return Ok(out);
    }
    let mut wanted: Vec<i64> = packages.iter().copied().collect();
    wanted.sort_unstable();
    let mut after = i64::MIN;
    loop {
        let rows =
            sqlx::query::<Any>("SELECT id, package_ids FROM fleet_inventories WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *conn)
                .await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let held = held(&row.try_get::<String, _>("package_ids")?, &wanted)?;
            if !held.is_empty() {
                out.insert(id, held);
            }
            after = id;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(out);
        }
    }
}

/// The package lists of these inventories.
pub(super) async fn lists_of(
    conn: &mut AnyConnection,
    inventories: &[i64],
) -> Result<Vec<(i64, Vec<i64>)>, StoreError> {
    let mut out = Vec::with_capacity(inventories.len());
    for chunk in inventories.chunks(CHUNK) {
        let sql =
            format!("SELECT id, package_ids FROM fleet_inventories WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut query = sqlx::query::<Any>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            out.push((row.try_get("id")?, decode(&row.try_get::<String, _>("package_ids")?)?));
        }
    }
    Ok(out)
}

/// The active hosts with these inventories: ID, hostname and inventory.
pub(super) async fn hosts_of(
    conn: &mut AnyConnection,
    inventories: impl IntoIterator<Item = i64>,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let inventories: Vec<i64> = inventories.into_iter().collect();
    let mut out = Vec::new();
    for chunk in inventories.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, hostname, inventory_id FROM fleet_hosts WHERE revoked_at IS NULL AND inventory_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query::<Any>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            out.push((row.try_get("id")?, row.try_get("hostname")?, row.try_get("inventory_id")?));
        }
    }
    Ok(out)
}

/// What a package adds to the counts of every inventory holding it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Contribution {
    pub security_updates: i64,
    pub other_updates: i64,
    pub vulnerabilities: i64,
    pub severity_rank: i64,
}

impl Contribution {
    pub(super) fn of(
        update_version: Option<&str>,
        classification: Option<&str>,
        unfixed: i64,
        severity_rank: i64,
    ) -> Self {
        let update = update_version.is_some();
        let bugfix = classification == Some("bugfix");
        Contribution {
            security_updates: i64::from(update && !bugfix),
            other_updates: i64::from(update && bugfix),
            vulnerabilities: unfixed,
            severity_rank,
        }
    }
}

/// The packages among `ids` that add anything to an inventory's counts; the others add nothing.
pub(super) async fn contributions(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Contribution>, StoreError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, update_version, classification, unfixed, severity_rank FROM fleet_packages \
             WHERE id IN ({}) AND (update_version IS NOT NULL OR unfixed > 0 OR severity_rank > 0)",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query::<Any>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let update_version: Option<String> = row.try_get("update_version")?;
            let classification: Option<String> = row.try_get("classification")?;
            out.insert(
                row.try_get("id")?,
                Contribution::of(
                    update_version.as_deref(),
                    classification.as_deref(),
                    row.try_get("unfixed")?,
                    row.try_get("severity_rank")?,
                ),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_and_bad_text_is_named() {
        for ids in [vec![], vec![7], vec![1, 2, 30, 400_000_000_000]] {
            assert_eq!(decode(&encode(&ids)).unwrap(), ids);
        }
        assert_eq!(decode("5,3,9").unwrap(), [3, 5, 9]);
        let error = decode("1,x2").unwrap_err().to_string();
        assert!(error.contains("\"1,x2\""), "{error}");
        for bad in ["1,,2", ",1", "1,", "1;2", "-1", "99999999999999999999"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        // Polled past its error, the reader ends instead of reading past the text.
        let mut ids = each_id("1,");
        assert!(matches!(ids.next(), Some(Ok(1))));
        assert!(matches!(ids.next(), Some(Err(_))));
        assert!(ids.next().is_none());
    }

    #[test]
    fn held_walks_both_lists() {
        let cases: [(&str, &[i64], &[i64]); 5] = [
            ("1,4,9,16", &[4, 16], &[4, 16]),
            ("1,4,9,16", &[2, 3, 17], &[]),
            ("1,4,9,16", &[1, 2, 9, 100], &[1, 9]),
            ("", &[1], &[]),
            ("16,1,9", &[1, 16], &[1, 16]),
        ];
        for (text, wanted, expected) in cases {
            assert_eq!(held(text, wanted).unwrap(), expected, "{text} ∩ {wanted:?}");
        }
        assert!(held("1,x", &[1]).is_err());
    }
}
