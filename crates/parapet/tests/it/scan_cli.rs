//! `parapet catalog` and `parapet scan` on a project: the command-line contract (formats,
//! `--fail-on` exit codes) and what bad input gets.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_parapet");

fn parapet(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).env_remove("PARAPET_CATALOG").output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A project with a vulnerable crate, and a catalog that knows about it.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let osv = dir.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    std::fs::write(
        osv.join("RUSTSEC-2026-0001.json"),
        r#"{"id": "RUSTSEC-2026-0001", "aliases": ["CVE-2026-0001"], "summary": "Use after free in leaky",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N"}],
            "affected": [{"package": {"ecosystem": "crates.io", "name": "leaky"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.1"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(osv.join("broken.json"), "{\"id\": ").unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(
        app.join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"leaky\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let built = parapet(&["catalog", "build", "--out", "catalog.ppc", "--osv", "osv"], dir.path());
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(stderr(&built).contains("broken.json"), "the unreadable record is named: {}", stderr(&built));
    dir
}

#[test]
fn scan_formats_and_exit_codes() {
    let dir = project();
    let root = dir.path();
    let info = parapet(&["catalog", "info", "catalog.ppc", "--format", "json"], root);
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["advisories"], 1);
    assert_eq!(info["sources"][0]["ecosystems"]["crates.io"], 1);
    assert_eq!(info["sources"][0]["rejected"].as_array().unwrap().len(), 1);

    let json = parapet(&["scan", "app", "--catalog", "catalog.ppc", "--format", "json"], root);
    assert_eq!(json.status.code(), Some(0), "report only without --fail-on: {}", stderr(&json));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["kind"], "vulnerable");
    assert_eq!(finding["severity"], "moderate");
    assert_eq!(finding["ids"], serde_json::json!(["RUSTSEC-2026-0001", "CVE-2026-0001"]));
    assert_eq!(
        (finding["package"].as_str(), finding["installed"].as_str(), finding["fixed"].as_str()),
        (Some("leaky"), Some("2.0.0"), Some("2.0.1"))
    );
    assert_eq!(finding["ecosystem"], "crates.io");
    assert!(finding["title"].as_str().unwrap().contains("Use after free"));

    for (threshold, code) in [("low", 1), ("moderate", 1), ("important", 0), ("critical", 0)] {
        let gated = parapet(&["scan", "app", "--catalog", "catalog.ppc", "--fail-on", threshold], root);
        assert_eq!(gated.status.code(), Some(code), "--fail-on {threshold}");
    }
    let sarif = parapet(&["scan", "app/Cargo.lock", "--catalog", "catalog.ppc", "--format", "sarif"], root);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RUSTSEC-2026-0001");
    let csv = parapet(&["scan", "app", "--catalog", "catalog.ppc", "--format", "csv"], root);
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 2);
    let table = parapet(&["scan", "app", "--catalog", "catalog.ppc"], root);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("leaky 2.0.0 → 2.0.1") && table.contains("1 finding (1 moderate)"), "{table}");
    assert!(!table.contains('\u{1b}'), "no colour when stdout is not a terminal");
}

#[test]
fn bad_input_exits_2_with_a_reason() {
    let dir = project();
    let root = dir.path();
    // A truncated lockfile beside a good one: named with its line, the good one still scanned.
    std::fs::write(root.join("app/package-lock.json"), "{\"lockfileVersion\": 3, \"packages\": {").unwrap();
    let partial = parapet(&["scan", "app", "--catalog", "catalog.ppc", "--format", "json"], root);
    assert_eq!(partial.status.code(), Some(2));
    assert!(stderr(&partial).contains("package-lock.json:1"), "{}", stderr(&partial));
    let report: Value = serde_json::from_slice(&partial.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1, "the rest of the scan is done");

    // A catalog from a newer parapet.
    let mut bytes = std::fs::read(root.join("catalog.ppc")).unwrap();
    bytes[16..20].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(root.join("future.ppc"), bytes).unwrap();
    let future = parapet(&["scan", "app/Cargo.lock", "--catalog", "future.ppc"], root);
    assert_eq!(future.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&future.stdout).contains("format version 99 is newer"));

    for (args, message) in [
        (&["scan", "nowhere"][..], "nowhere: no such file or folder"),
        (&["scan", "--root", "app/Cargo.lock"], "not a folder"),
        (&["scan", "app", "--fail-on", "severe"], "unknown severity \"severe\""),
        (&["scan", "app", "--catalog", "app/Cargo.lock"], "not a Parapet catalog"),
        (&["catalog", "build", "--out", "x.ppc"], "no sources"),
        (&["catalog", "build", "--out", "x.ppc", "--osv", "missing"], "missing"),
        (&["catalog", "info", "app/Cargo.lock"], "not a Parapet catalog"),
    ] {
        let output = parapet(args, root);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let printed = format!("{}{}", stderr(&output), String::from_utf8_lossy(&output.stdout));
        assert!(printed.contains(message), "{args:?}: {printed}");
    }
    assert!(!root.join("x.ppc").exists(), "a failed build writes nothing");
}

#[test]
fn csaf_validate_exit_codes() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf");
    let dir = tempfile::tempdir().unwrap();
    let valid = data.join("examples/csaf/bsi-2022-0001.json");
    let invalid = data.join("validator-2.0/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json");
    let run = |file: &Path| parapet(&["csaf", "validate", "--errors-only", file.to_str().unwrap()], dir.path());
    assert_eq!(run(&valid).status.code(), Some(0), "{}", stderr(&run(&valid)));
    let refused = run(&invalid);
    assert_eq!(refused.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&refused.stdout);
    assert!(printed.contains("error 6.1.1 at /product_tree/product_groups/0/product_ids/0"), "{printed}");
    std::fs::write(dir.path().join("not.json"), "{").unwrap();
    let unreadable = parapet(&["csaf", "validate", "not.json"], dir.path());
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(stderr(&unreadable).contains("not.json"));
}
