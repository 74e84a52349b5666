//! The catalogue as a whole: metadata, test coverage of every check, JSON shape, errors.

use std::collections::HashSet;

use parapet_checks::{Error, Status, checks, run, run_selected};

use crate::fixture::{Case, Fixture};

/// Checks whose outcome depends on the live host only, so no fixture root can pass or fail them.
const LIVE_ONLY: &[&str] = &["PPC-NET-013"];

fn all_cases() -> Vec<&'static Case> {
    [
        crate::ssh::CASES,
        crate::accounts::CASES,
        crate::perms::CASES,
        crate::kernel::CASES,
        crate::network::CASES,
        crate::firewall::CASES,
        crate::updates::CASES,
        crate::filesystem::CASES,
        crate::services::CASES,
        crate::banners::CASES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn metadata_is_complete_and_ids_unique() {
    let all = checks();
    assert!(all.len() >= 45, "only {} checks", all.len());
    let mut ids = HashSet::new();
    for c in all {
        assert!(ids.insert(c.id), "duplicate ID {}", c.id);
        let parts: Vec<&str> = c.id.split('-').collect();
        assert!(
            parts.len() == 3
                && parts[0] == "PPC"
                && parts[2].len() == 3
                && parts[2].chars().all(|d| d.is_ascii_digit()),
            "malformed ID {}",
            c.id
        );
        assert!(!c.title.trim().is_empty(), "{} has no title", c.id);
        assert!(!c.rationale.trim().is_empty(), "{} has no rationale", c.id);
        assert!(!c.remediation.trim().is_empty(), "{} has no remediation", c.id);
        assert!(!c.references.is_empty(), "{} has no references", c.id);
        assert!(c.references.iter().all(|r| !r.trim().is_empty()), "{} has an empty reference", c.id);
        for r in c.references.iter().filter(|r| r.starts_with("CIS")) {
            let section = r.strip_prefix("CIS Debian 12 ").unwrap_or_else(|| panic!("{}: {r:?}", c.id));
            assert!(section.split('.').all(|n| n.parse::<u32>().is_ok()), "{}: {r:?}", c.id);
        }
    }
    assert_eq!(parapet_checks::check("PPC-SSH-001").unwrap().references[0], "CIS Debian 12 5.1.20");
}

#[test]
fn every_check_has_a_passing_and_a_failing_case() {
    let cases = all_cases();
    let covered: HashSet<(&str, Status)> = cases.iter().map(|c| (c.id, c.status)).collect();
    let known: HashSet<&str> = checks().iter().map(|c| c.id).collect();
    for c in &cases {
        assert!(known.contains(c.id), "case for unknown check {}", c.id);
    }
    let mut missing = Vec::new();
    for c in checks().iter().filter(|c| !LIVE_ONLY.contains(&c.id)) {
        for status in [Status::Pass, Status::Fail] {
            if !covered.contains(&(c.id, status)) {
                missing.push(format!("{} {status:?}", c.id));
            }
        }
    }
    assert!(missing.is_empty(), "no case for {missing:#?}");
}

#[test]
fn every_result_has_evidence_and_serializes() {
    let f = Fixture::debian();
    let results = run(&f.target());
    assert_eq!(results.len(), checks().len());
    for r in &results {
        assert!(!r.evidence.is_empty(), "{} has no evidence", r.info.id);
        assert_ne!(r.status, Status::Error, "{}: {:?}", r.info.id, r.evidence);
    }
    let json = serde_json::to_value(&results[0]).unwrap();
    assert_eq!(json["id"], "PPC-SSH-001");
    assert_eq!(json["severity"], "important");
    assert_eq!(json["area"], "ssh");
    assert_eq!(json["status"], "not_applicable");
    assert_eq!(json["references"][0], "CIS Debian 12 5.1.20");
    assert!(json["evidence"][0].as_str().unwrap().contains("no OpenSSH server"));
    assert!(json.get("run").is_none());
    let catalogue = serde_json::to_value(checks()).unwrap();
    assert_eq!(catalogue.as_array().unwrap().len(), checks().len());
}

#[test]
fn selection_keeps_catalogue_order_and_refuses_unknown_ids() {
    let f = Fixture::debian();
    let results = run_selected(&f.target(), &["PPC-FS-003", "PPC-ACC-001"]).unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.info.id).collect();
    assert_eq!(ids, ["PPC-ACC-001", "PPC-FS-003"]);
    match run_selected(&f.target(), &["PPC-ACC-001", "PPC-NOPE-001"]) {
        Err(Error::UnknownCheck(id)) => assert_eq!(id, "PPC-NOPE-001"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_inputs_are_errors_with_the_reason() {
    let f = Fixture::debian();
    f.write_bytes("/etc/login.defs", b"PASS_MAX_DAYS \xff\xfe\n", 0o644);
    f.remove("/etc/passwd");
    f.mkdir("/etc/passwd", 0o755);
    let results = run_selected(&f.target(), &["PPC-ACC-004", "PPC-ACC-001"]).unwrap();
    assert_eq!(results[0].status, Status::Error);
    assert_eq!(results[0].evidence, ["cannot read /etc/passwd: is a folder"]);
    assert_eq!(results[1].status, Status::Error);
    assert_eq!(results[1].evidence, ["cannot read /etc/login.defs: not valid UTF-8"]);
}

#[test]
fn absolute_symlinks_resolve_inside_the_root() {
    let f = Fixture::debian();
    f.install(&["openssh-server"]);
    f.write_mode("/opt/ssh/real_config", "PermitRootLogin no\n", 0o600);
    f.symlink("/etc/ssh/sshd_config", "/opt/ssh/real_config");
    let r = f.run("PPC-SSH-001");
    assert_eq!(r.status, Status::Pass, "{:?}", r.evidence);
    // A link climbing out of the root with .. stops at the root.
    f.write("/etc/real-login.defs", "PASS_MAX_DAYS 30\n");
    f.symlink("/etc/login.defs", "../../../../../../../etc/real-login.defs");
    let r = f.run("PPC-ACC-004");
    assert_eq!((r.status, r.evidence[0].as_str()), (Status::Pass, "/etc/login.defs:1: PASS_MAX_DAYS 30"));
}
