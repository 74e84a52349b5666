//! Ranges: OSV events (the schema's examples, then every range of the Go, RustSec and PyPA
//! databases), `vers` specifiers, and CSAF product version ranges from real advisories.

use crate::{assert_no_failures, shared};
use parapet_versions::csaf::{ProductVersionRange, product_version_matches};
use parapet_versions::osv::{Event, Range, RangeType};
use parapet_versions::vers::Vers;
use parapet_versions::{Scheme, VersionError};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn events(list: &[(&str, &str)]) -> Vec<Event> {
    list.iter()
        .map(|(kind, v)| {
            let v = (*v).to_owned();
            match *kind {
                "introduced" => Event::Introduced(v),
                "fixed" => Event::Fixed(v),
                "last_affected" => Event::LastAffected(v),
                "limit" => Event::Limit(v),
                other => panic!("no event {other}"),
            }
        })
        .collect()
}

#[track_caller]
fn check_range(scheme: Scheme, list: &[(&str, &str)], affected: &[&str], unaffected: &[&str]) {
    let range = Range::new(scheme, events(list)).unwrap();
    for v in affected {
        assert!(range.affects(v).unwrap(), "{v} should be affected by {list:?}");
    }
    for v in unaffected {
        assert!(!range.affects(v).unwrap(), "{v} should not be affected by {list:?}");
    }
}

#[test]
fn osv_events() {
    // The schema's examples.
    check_range(Scheme::Semver, &[("introduced", "0")], &["0.0.0", "99.0.0"], &[]);
    check_range(Scheme::Semver, &[("introduced", "0"), ("fixed", "1.0.2")], &["0.1.0", "1.0.1"], &["1.0.2", "2.0.0"]);
    let two_branches = [("introduced", "1.0.0"), ("fixed", "1.0.2"), ("introduced", "3.0.0"), ("fixed", "3.2.5")];
    check_range(
        Scheme::Semver,
        &two_branches,
        &["1.0.0", "1.0.1", "3.0.0", "3.2.4"],
        &["0.9.0", "1.0.2", "2.0.0", "3.2.5"],
    );
    // Events in any order mean the same.
    let shuffled = [("fixed", "3.2.5"), ("introduced", "3.0.0"), ("fixed", "1.0.2"), ("introduced", "1.0.0")];
    check_range(Scheme::Semver, &shuffled, &["1.0.1", "3.1.0"], &["2.0.0", "3.2.5"]);
    // last_affected is inclusive.
    check_range(
        Scheme::Deb,
        &[("introduced", "1.0-1"), ("last_affected", "1.2-3")],
        &["1.0-1", "1.2-3"],
        &["1.2-3+deb12u1", "0.9-1"],
    );
    // limit: nothing at or above it, "*" for no limit.
    check_range(Scheme::Pep440, &[("introduced", "0"), ("limit", "2.0")], &["1.9", "2.0rc1"], &["2.0", "3.0"]);
    check_range(Scheme::Pep440, &[("introduced", "1.0"), ("limit", "*")], &["1.0", "9.0"], &["0.9"]);
    // introduced and fixed at the same version cancel out: adjacent branches (PyPA) stay
    // joined, an empty branch (RustSec) stays empty.
    let adjacent = [("introduced", "0"), ("fixed", "3.1.1"), ("introduced", "3.1.1"), ("fixed", "3.1.3")];
    check_range(Scheme::Pypi, &adjacent, &["3.0", "3.1.1", "3.1.2"], &["3.1.3"]);
    let empty = [("introduced", "0.0.0-0"), ("fixed", "0.9.2"), ("introduced", "0.10.0"), ("fixed", "0.10.0")];
    check_range(Scheme::Semver, &empty, &["0.9.1"], &["0.9.2", "0.10.0", "0.10.1"]);
    // introduced and last_affected at the same version mean exactly it.
    check_range(Scheme::Rpm, &[("introduced", "1.0-1"), ("last_affected", "1.0-1")], &["1.0-1"], &["1.0-2", "0.9-1"]);
    // Ecosystem orderings: dpkg's tilde, Alpine's pre-release suffixes, Maven qualifiers.
    check_range(Scheme::Deb, &[("introduced", "0"), ("fixed", "2.0")], &["2.0~rc1", "1.9+dfsg-1"], &["2.0", "1:0.5"]);
    check_range(
        Scheme::Apk,
        &[("introduced", "0"), ("fixed", "1.2.3-r1")],
        &["1.2.3_rc1-r0", "1.2.3-r0"],
        &["1.2.3-r1", "1.2.3_p1-r0"],
    );
    check_range(
        Scheme::Maven,
        &[("introduced", "2.0-beta9"), ("fixed", "2.15.0")],
        &["2.0", "2.14.1", "2.15.0-rc1"],
        &["2.15.0", "1.2.17"],
    );
}

#[test]
fn osv_ranges_refuse_what_they_cannot_evaluate() {
    let err = Range::new(Scheme::Semver, events(&[("introduced", "0"), ("fixed", "1.2")])).unwrap_err();
    assert_eq!(err.to_string(), r#"invalid SemVer version "1.2": expected MAJOR.MINOR.PATCH"#);
    let range = Range::new(Scheme::Semver, events(&[("introduced", "0")])).unwrap();
    assert!(range.affects("banana").is_err());
    assert!(Range::from_osv(RangeType::Git, "", events(&[("introduced", "0")])).is_err());
    assert_eq!(
        Range::from_osv(RangeType::Ecosystem, "NuGet", vec![]).unwrap_err(),
        VersionError::UnknownScheme("NuGet".to_owned())
    );
    // SEMVER ranges are SemVer whatever the ecosystem.
    assert_eq!(Range::from_osv(RangeType::Semver, "Go", vec![]).unwrap().scheme(), Scheme::Semver);
    assert_eq!(Range::from_osv(RangeType::Ecosystem, "Debian:12", vec![]).unwrap().scheme(), Scheme::Deb);
}

/// Every range of `affected` in one OSV document; ranges and listed versions must agree.
fn check_osv_document(doc: &Value, origin: &str, checked: &mut usize, failures: &mut Vec<String>) {
    for affected in doc["affected"].as_array().into_iter().flatten() {
        let ecosystem = affected["package"]["ecosystem"].as_str().unwrap_or_default();
        let mut ranges = Vec::new();
        for range in affected["ranges"].as_array().into_iter().flatten() {
            let range_type: RangeType = serde_json::from_value(range["type"].clone()).unwrap();
            if range_type == RangeType::Git {
                continue;
            }
            let events: Vec<Event> = serde_json::from_value(range["events"].clone()).unwrap();
            *checked += 1;
            match Range::from_osv(range_type, ecosystem, events.clone()) {
                Err(e) => failures.push(format!("{origin}: {e}")),
                Ok(range) => {
                    // Every event version is readable, and each range starts affected at its
                    // first introduced version and ends unaffected at its last fixed one.
                    for event in &events {
                        if let Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) = event
                            && v != "0"
                            && let Err(e) = range.affects(v)
                        {
                            failures.push(format!("{origin}: {e}"));
                        }
                    }
                    let sorted = range.events();
                    if let Some(Event::Introduced(v)) = sorted.first()
                        && v != "0"
                        && !matches!(sorted.get(1), Some(Event::Fixed(f)) if f == v)
                        && range.affects(v) != Ok(true)
                    {
                        failures.push(format!("{origin}: first introduced {v} should be affected in {sorted:?}"));
                    }
                    if let Some(Event::Fixed(v)) = sorted.last()
                        && range.affects(v) != Ok(false)
                    {
                        failures.push(format!("{origin}: last fixed {v} should not be affected in {sorted:?}"));
                    }
                    ranges.push(range);
                }
            }
        }
        if ranges.is_empty() {
            continue;
        }
        // Listed versions were enumerated from the ranges: each lies in one of them.
        for version in affected["versions"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            *checked += 1;
            if !ranges.iter().any(|r| r.affects(version) == Ok(true)) {
                failures.push(format!("{origin}: listed version {version} is in none of the ranges"));
            }
        }
    }
}

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn osv_go_and_rustsec_databases() {
    for db in ["osv/go", "osv/rustsec"] {
        let (mut checked, mut failures) = (0, Vec::new());
        for file in json_files(&shared(db)) {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            check_osv_document(&doc, &file.display().to_string(), &mut checked, &mut failures);
        }
        assert_no_failures(db, checked, &failures);
    }
}

/// PyPA's advisories are YAML; Python's yaml module (python3-yaml) turns them into JSON.
#[test]
fn osv_pypa_database() {
    let script = "import json, sys, yaml, pathlib\n\
                  docs = [yaml.safe_load(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml'))]\n\
                  json.dump(docs, sys.stdout, default=str)";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(shared("osv/pypa"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): apt-get install -y python3 python3-yaml"));
    assert!(
        output.status.success(),
        "reading the PyPA YAML failed (apt-get install -y python3-yaml): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let docs: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    // Advisories whose listed versions disagree with their own ranges as the schema reads them.
    let inconsistent = [
        // Django's 3.2a1…4.2rc1 listed, though they sort before the introduced 3.2, 4.2.
        "PYSEC-2023-61",
        // gevent's versions come from a GIT range that ends later than the ECOSYSTEM one.
        "PYSEC-2023-177",
        // Two overlapping branches in one events list: 0–2.11.6 and 2.11–2.11.7.
        "PYSEC-2021-114",
    ];
    let (mut checked, mut failures) = (0, Vec::new());
    for doc in &docs {
        let id = doc["id"].as_str().unwrap_or("?");
        let mut doc_failures = Vec::new();
        check_osv_document(doc, id, &mut checked, &mut doc_failures);
        assert_eq!(inconsistent.contains(&id), !doc_failures.is_empty(), "{id}: {doc_failures:?}");
        if !inconsistent.contains(&id) {
            failures.extend(doc_failures);
        }
    }
    assert!(docs.len() > 2000, "only {} PyPA advisories", docs.len());
    assert_no_failures("osv/pypa", checked, &failures);
}

#[test]
fn vers_contains() {
    for (specifier, inside, outside) in [
        ("vers:npm/1.2.3|>=2.0.0|<5.0.0", &["1.2.3", "2.0.0", "4.9.9"][..], &["1.2.4", "5.0.0", "1.0.0"][..]),
        ("vers:npm/*", &["0.0.1", "9.9.9"], &[]),
        (
            "vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1",
            &["1.0.0", "1.7.5", "7.0.0", "7.1.1", "8.0.1"],
            &["0.9", "1.8", "7.0.8", "7.1.3", "8.0.2"],
        ),
        ("vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", &["2.2.0", "2.2.2"], &["2.2.1", "2.3.0", "2.1.9"]),
        ("vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1", &["1.0.0", "2.0rc1", "0.0.2"], &["1.1", "2.0"]),
        ("vers:deb/>=1.0-1|<1.2-3~deb12u1", &["1.0-1", "1.2-2"], &["1.2-3~deb12u1", "1.2-3"]),
        ("vers:rpm/<2:1.0-1", &["1:9.9-9"], &["2:1.0-1", "2:1.0-2"]),
        ("vers:alpine/>1.2.3-r0", &["1.2.3-r1", "1.2.4_rc1-r0"], &["1.2.3-r0", "1.2.3_rc1-r5"]),
        ("vers:golang/<1.2.4", &["v1.2.4-0.20191109021931-daa7c04131f5"], &["v1.2.4"]),
        ("vers:composer/>=1.0|<1.1", &["v1.0.5"], &["1.1"]),
        ("vers:generic/!=1.0", &["1.1", "0.9"], &["1.0"]),
        ("vers:all/*", &["anything"], &[]),
        ("vers:none/*", &[], &["anything"]),
        ("vers:all/<V4.3.8", &["V4.3.7", "4.2"], &["V4.3.8", "V4.4"]),
        ("vers:generic/1%7C2", &["1|2"], &["1", "2"]),
    ] {
        let vers = Vers::parse(specifier).unwrap_or_else(|e| panic!("{specifier}: {e}"));
        for v in inside {
            assert!(vers.contains(v).unwrap(), "{v} should be in {specifier}");
        }
        for v in outside {
            assert!(!vers.contains(v).unwrap_or(false), "{v} should not be in {specifier}");
        }
    }
}

#[test]
fn vers_invalid_specifiers_say_why() {
    for (specifier, reason) in [
        ("npm/1.0.0", "a vers specifier starts with \"vers:\""),
        ("vers:npm", "expected vers:<scheme>/<constraints>"),
        ("vers:NPM/1.0.0", "the versioning scheme must be a lowercase name"),
        ("vers:npm/", "no constraints"),
        ("vers:npm/*|1.0.0", "\"*\" must stand alone"),
        ("vers:npm/>=", "constraint \">=\" has no version"),
        ("vers:npm/1.0.0|>=1.0.0", "version \"1.0.0\" appears more than once"),
        ("vers:pypi/1.0|>=1.0.0", "version \"1.0.0\" appears more than once"),
        ("vers:npm/<1.0.0|<2.0.0", "<1.0.0 and <2.0.0 do not alternate between lower and upper bounds"),
        ("vers:npm/>1.0.0|>=2.0.0", ">1.0.0 and >=2.0.0 do not alternate between lower and upper bounds"),
        ("vers:npm/1.0.0|<2.0.0", "\"<\" is redundant after \"=1.0.0\""),
    ] {
        assert_eq!(
            Vers::parse(specifier).unwrap_err(),
            VersionError::Range { range: specifier.into(), reason: reason.into() }
        );
    }
    assert_eq!(Vers::parse("vers:nuget/1.0").unwrap_err(), VersionError::UnknownScheme("nuget".into()));
    assert!(matches!(Vers::parse("vers:npm/1.2"), Err(VersionError::Invalid { .. })));
}

#[test]
fn vers_canonical_form() {
    for (input, canonical) in [
        ("vers:npm/ <5.0.0 | >= 2.0.0 |1.2.3", "vers:npm/1.2.3|>=2.0.0|<5.0.0"),
        ("vers:gem/>=2.2.0|!= 2.2.1|<2.3.0", "vers:gem/>=2.2.0|!=2.2.1|<2.3.0"),
        ("vers:deb/*", "vers:deb/*"),
        ("vers:generic/1%7C2", "vers:generic/1%7C2"),
    ] {
        assert_eq!(Vers::parse(input).unwrap().to_string(), canonical);
    }
}

#[test]
fn csaf_product_versions() {
    assert!(product_version_matches("1.2.3", "1.2.3"));
    assert!(!product_version_matches("1.2.3", "1.2.3.0"));
    for (name, inside, outside) in [
        ("vers:all/<V4.3.8", &["V4.3.7"][..], &["V4.3.8"][..]),
        ("< V4.1.3", &["V4.1.2", "4.0"], &["V4.1.3"]),
        (">= 1.0 | <= 1.32", &["1.0", "1.5", "1.32"], &["0.9", "1.33"]),
        (" <1.000.HW00.21.20190812", &["1.000.HW00.20.20190812"], &["1.000.HW00.21.20190812"]),
        ("All versions < V4.33", &["V4.32"], &["V4.33"]),
        ("All versions", &["V1"], &[]),
    ] {
        let range = ProductVersionRange::parse(name, Scheme::Generic).unwrap_or_else(|e| panic!("{name}: {e}"));
        for v in inside {
            assert!(range.contains(v).unwrap(), "{v} should be in {name:?}");
        }
        for v in outside {
            assert!(!range.contains(v).unwrap(), "{v} should not be in {name:?}");
        }
    }
    for prose in ["8.0.0 - 8.0.1", "All versions < V8.1 with WinCC V7.3 Upd 19"] {
        assert!(ProductVersionRange::parse(prose, Scheme::Generic).is_err(), "{prose}");
    }
}

/// Every `product_version_range` in the CSAF examples and CISA's advisories: `vers` names must
/// all be readable; vers-like ones are read or refused as prose, never mistaken for versions.
#[test]
fn csaf_product_version_ranges_in_real_advisories() {
    fn walk(value: &Value, names: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.get("category").and_then(Value::as_str) == Some("product_version_range") {
                    names.extend(map.get("name").and_then(Value::as_str).map(str::to_owned));
                }
                map.values().for_each(|v| walk(v, names));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for dir in ["csaf/examples", "csaf/provider-cisa"] {
        for file in json_files(&shared(dir)) {
            if let Ok(doc) = serde_json::from_str::<Value>(&std::fs::read_to_string(&file).unwrap()) {
                walk(&doc, &mut names);
            }
        }
    }
    names.sort();
    names.dedup();
    let (mut vers_failures, mut vers_like_read, mut refused) = (Vec::new(), 0, Vec::new());
    for name in &names {
        match ProductVersionRange::parse(name, Scheme::Generic) {
            Ok(_) if !name.trim().starts_with("vers:") => vers_like_read += 1,
            Ok(_) => {}
            Err(e) if name.trim().starts_with("vers:") => vers_failures.push(e.to_string()),
            Err(_) => refused.push(name.clone()),
        }
    }
    assert_no_failures("vers names in CSAF documents", names.len(), &vers_failures);
    assert!(
        vers_like_read > refused.len(),
        "{vers_like_read} vers-like ranges read, {} refused: {refused:?}",
        refused.len()
    );
}
