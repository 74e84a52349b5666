//! The upstream test vectors in `../shared/data/versions/`, every one of them.

use crate::{assert_no_failures, check, ordering, read_shared, shared};
use parapet_versions::{Scheme, apk, rpm};
use std::cmp::Ordering;

/// Each file of the folder and the scheme its test reads it in.
const FILES: &[(&str, &str)] = &[
    ("dpkg-version-triples.txt", "deb"),
    ("rpm-rpmvercmp-cases.txt", "rpm"),
    ("apk-tools-version.data", "apk"),
    ("pypa-packaging-pep440-ascending.txt", "pep440"),
    ("osv-scalibr-debian-versions-generated.txt", "deb"),
    ("osv-scalibr-alpine-versions-generated.txt", "apk"),
    ("osv-scalibr-pypi-versions-generated.txt", "pypi"),
    ("osv-scalibr-maven-versions-generated.txt", "maven"),
    ("osv-scalibr-packagist-versions-generated.txt", "packagist"),
    ("osv-scalibr-rubygems-versions-generated.txt", "rubygems"),
    ("osv-scalibr-redhat-versions.txt", "rpm"),
    ("osv-scalibr-semver-versions.txt", "semver"),
];

fn versions_file(name: &str) -> String {
    assert!(FILES.iter().any(|(file, _)| *file == name), "{name} is missing from FILES");
    read_shared(&format!("versions/{name}"))
}

#[test]
fn every_file_is_tested() {
    let dir = shared("versions");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut names: Vec<String> = entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in &names {
        assert!(FILES.iter().any(|(file, _)| file == name), "{name} in {} is read by no test", dir.display());
    }
    assert_eq!(names.len(), FILES.len(), "FILES names a file that is not in {}", dir.display());
}

/// `A B result` lines.
fn triples(name: &str, scheme: Scheme) {
    let (mut checked, mut failures) = (0, Vec::new());
    for line in versions_file(name).lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, b, result] = fields[..] else { panic!("{name}: bad line {line:?}") };
        checked += 1;
        failures.extend(check(scheme, a, b, ordering(result)).err());
    }
    assert_no_failures(name, checked, &failures);
}

#[test]
fn dpkg_triples() {
    triples("dpkg-version-triples.txt", Scheme::Deb);
}

#[test]
fn rpm_rpmvercmp_cases() {
    triples("rpm-rpmvercmp-cases.txt", Scheme::Rpm);
    // The cases are for rpmvercmp itself, without epoch or release splitting.
    for line in versions_file("rpm-rpmvercmp-cases.txt").lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, b, result] = fields[..] else { unreachable!() };
        assert_eq!(rpm::rpmvercmp(a, b), ordering(result), "{a} vs {b}");
    }
}

/// `A op B` lines with `#` and `//` comments, as osv-scalibr writes them.
fn comparisons(name: &str, scheme: Scheme, expected_invalid: &[&str]) {
    let (mut checked, mut failures, mut invalid) = (0, Vec::new(), Vec::new());
    let text = versions_file(name);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = fields[..] else { panic!("{name}: bad line {line:?}") };
        if let Some(bad) = [a, b].into_iter().find(|v| scheme.validate(v).is_err()) {
            invalid.push(bad);
            continue;
        }
        checked += 1;
        failures.extend(check(scheme, a, b, ordering(op)).err());
    }
    assert_no_failures(name, checked, &failures);
    invalid.sort();
    invalid.dedup();
    assert_eq!(invalid, expected_invalid, "{name}: versions refused as invalid");
}

#[test]
fn osv_scalibr_debian() {
    comparisons("osv-scalibr-debian-versions-generated.txt", Scheme::Deb, &[]);
}

#[test]
fn osv_scalibr_alpine() {
    comparisons("osv-scalibr-alpine-versions-generated.txt", Scheme::Apk, &[]);
}

#[test]
fn osv_scalibr_pypi() {
    comparisons("osv-scalibr-pypi-versions-generated.txt", Scheme::Pypi, &[]);
}

#[test]
fn osv_scalibr_maven() {
    comparisons("osv-scalibr-maven-versions-generated.txt", Scheme::Maven, &[]);
}

#[test]
fn osv_scalibr_packagist() {
    comparisons("osv-scalibr-packagist-versions-generated.txt", Scheme::Packagist, &[]);
}

#[test]
fn osv_scalibr_rubygems() {
    comparisons("osv-scalibr-rubygems-versions-generated.txt", Scheme::RubyGems, &[]);
}

#[test]
fn osv_scalibr_redhat() {
    comparisons("osv-scalibr-redhat-versions.txt", Scheme::Rpm, &[]);
}

#[test]
fn osv_scalibr_semver() {
    // osv-scalibr's SemVer is lenient: "1.1.3.4.5" (extra numbers taken as build metadata) and a
    // bare "999…991" are not semantic versions for npm or Cargo, nor here.
    comparisons("osv-scalibr-semver-versions.txt", Scheme::Semver, &["1.1.3.4.5", "999999999999999999999999999991"]);
}

#[test]
fn pep440_ascending() {
    let text = versions_file("pypa-packaging-pep440-ascending.txt");
    let versions: Vec<&str> = text.lines().collect();
    assert_eq!(versions.len(), 92);
    let (mut checked, mut failures) = (0, Vec::new());
    for (i, a) in versions.iter().enumerate() {
        for (j, b) in versions.iter().enumerate() {
            checked += 1;
            failures.extend(check(Scheme::Pep440, a, b, i.cmp(&j)).err());
        }
    }
    assert_no_failures("pep440 ascending", checked, &failures);
}

/// apk-tools' own vectors: `A op B` (`!op` negates, ops may be fuzzy), a bare version that
/// must be valid, `!version` that must not.
#[test]
fn apk_tools_version_data() {
    let name = "apk-tools-version.data";
    let (mut checked, mut failures, mut refused) = (0, Vec::new(), Vec::new());
    let text = versions_file(name);
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        checked += 1;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [version] => {
                let (version, valid) = match version.strip_prefix('!') {
                    Some(v) => (v, false),
                    None => (version, true),
                };
                // apk-tools 3 refuses digits after the letter; apk-tools 2 took them, and so does
                // parapet (see the apk module).
                let valid = valid || version == "0.1a1";
                if apk::validate(version).is_ok() != valid {
                    failures.push(format!("{version:?} should be {}", if valid { "valid" } else { "invalid" }));
                }
            }
            [a, op, b] => {
                let (op, negated) = match op.strip_prefix('!') {
                    Some(op) => (op, true),
                    None => (op, false),
                };
                match apk::satisfies(a, op, b) {
                    Ok(result) if result != negated => {}
                    Ok(_) => failures.push(format!("{a} {op} {b} should be {}", !negated)),
                    // apk's `version -t` refuses invalid versions too; these lines compare them
                    // by accident of the tokens before the bad one.
                    Err(_) => refused.push(line.to_owned()),
                }
                if !op.contains('~') && !negated && refused.last().is_none_or(|l| l != line) {
                    failures.extend(check(Scheme::Apk, a, b, ordering(op)).err());
                }
            }
            _ => panic!("{name}: bad line {line:?}"),
        }
    }
    assert_no_failures(name, checked, &failures);
    assert_eq!(
        refused,
        ["23_foo > 4_beta", "1.0 < 1.0bc", "3.6.9_post1 ~ 3.6", "3.6.9_post1 !~ 3.8"],
        "comparisons refused for an invalid version"
    );
}

#[test]
fn versions_compare_equal_to_themselves() {
    for (name, scheme) in FILES {
        let scheme = Scheme::parse(scheme).unwrap();
        let text = versions_file(name);
        for version in text.split_whitespace().filter(|w| scheme.validate(w).is_ok()) {
            assert_eq!(scheme.compare(version, version), Ok(Ordering::Equal), "{scheme}: {version}");
        }
    }
}
