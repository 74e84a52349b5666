//! parapet-versions' one integration-test binary: the upstream test vectors in
//! `../shared/data/versions/` (every file, see `data::every_file_is_tested`), the reference
//! implementations on the machine (`dpkg`, `rpm`), hand-written tables per scheme, and ranges
//! (OSV, vers, CSAF) on real advisories.

mod data;
mod ranges;
mod reference;
mod schemes;

use parapet_versions::Scheme;
use std::cmp::Ordering;
use std::path::PathBuf;

/// A path under the shared data folder that sits beside the repository.
fn shared(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/")).join(path)
}

fn read_shared(path: &str) -> String {
    let file = shared(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
}

fn ordering(word: &str) -> Ordering {
    match word {
        "<" | "-1" => Ordering::Less,
        "=" | "0" => Ordering::Equal,
        ">" | "1" => Ordering::Greater,
        other => panic!("not a comparison: {other:?}"),
    }
}

/// Compares both ways; returns a description of what went wrong.
fn check(scheme: Scheme, a: &str, b: &str, expected: Ordering) -> Result<(), String> {
    let forward = scheme.compare(a, b).map_err(|e| format!("{a} vs {b}: {e}"))?;
    let backward = scheme.compare(b, a).map_err(|e| format!("{b} vs {a}: {e}"))?;
    if forward != expected || backward != expected.reverse() {
        return Err(format!(
            "{scheme}: {a} vs {b}: expected {expected:?}, got {forward:?} (and {backward:?} reversed)"
        ));
    }
    Ok(())
}

/// Fails with the first few problems and how many there were.
#[track_caller]
fn assert_no_failures(what: &str, checked: usize, failures: &[String]) {
    assert!(checked > 0, "{what}: nothing was checked");
    assert!(
        failures.is_empty(),
        "{what}: {} of {checked} failed, e.g.:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
