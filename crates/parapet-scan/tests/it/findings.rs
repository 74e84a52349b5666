//! From a small catalog to findings and reports.

use parapet_catalog::sources::{Record, debian_list, osv};
use parapet_catalog::{Catalog, Update};
use parapet_scan::collect::{Package, lockfile_inventory};
use parapet_scan::{CatalogInput, FindingKind, Request, report, scan, vex};
use serde_json::Value;

fn osv_advisory(json: &str) -> parapet_catalog::Advisory {
    match osv::parse_json(json).unwrap() {
        Record::Advisory { advisory, problems } => {
            assert!(problems.is_empty(), "{problems:?}");
            advisory
        }
        Record::Withdrawn(id) => panic!("{id}"),
    }
}

fn catalog() -> Catalog {
    let mut advisories = vec![
        // The same issue from two databases: one finding.
        osv_advisory(
            r#"{"id": "RUSTSEC-2021-0001", "aliases": ["CVE-2021-1"], "summary": "smallish: buffer overflow",
                "affected": [{"package": {"ecosystem": "crates.io", "name": "smallish"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.1"}]}]}]}"#,
        ),
        osv_advisory(
            r#"{"id": "GHSA-xxxx-yyyy-zzzz", "aliases": ["CVE-2021-1"], "summary": "Buffer overflow in smallish",
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                "affected": [{"package": {"ecosystem": "crates.io", "name": "smallish"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.1"}]}]}]}"#,
        ),
        osv_advisory(
            r#"{"id": "RUSTSEC-2020-0002", "summary": "oldcrate is unmaintained",
                "affected": [{"package": {"ecosystem": "crates.io", "name": "oldcrate"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}], "database_specific": {"informational": "unmaintained"}}]}"#,
        ),
        // Debian's own view of OpenSSL issues.
        osv_advisory(
            r#"{"id": "OSV-CVE-2023-7", "aliases": ["CVE-2023-7"], "summary": "generic record of a zlib issue",
                "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib1g"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}"#,
        ),
    ];
    let list = "[01 Jan 2024] DSA-5555-1 openssl - security update\n\t{CVE-2023-5}\n\t[bookworm] - openssl 3.0.13-1~deb12u1\n[02 Jan 2024] DSA-5556-1 openssl - security update\n\t{CVE-2023-6}\n\t[bookworm] - openssl 3.0.99-1\n[03 Jan 2024] DSA-5557-1 zlib - security update\n\t{CVE-2023-7}\n\t[bookworm] - zlib <not-affected> (vulnerable code not built)\n[04 Jan 2024] DSA-5558-1 bash - security update\n\t{CVE-2023-8}\n\t[bookworm] - bash <no-dsa> (Minor issue)\n";
    advisories.extend(debian_list::parse(list).advisories);
    Catalog {
        built_at: String::new(),
        sources: Vec::new(),
        advisories,
        updates: vec![Update {
            ecosystem: "Debian:12".into(),
            suite: "bookworm-security".into(),
            package: "libssl3".into(),
            arch: "amd64".into(),
            version: "3.0.17-1~deb12u2".into(),
            source: "openssl".into(),
            source_version: "3.0.17-1~deb12u2".into(),
        }],
    }
}

fn debian(name: &str, version: &str, source: &str) -> Package {
    Package {
        ecosystem: "Debian:12".into(),
        name: name.into(),
        version: version.into(),
        arch: Some("amd64".into()),
        source: Some((source.into(), version.into())),
        manager: Some(parapet_model::fleet::PackageManager::Dpkg),
        location: "var/lib/dpkg/status".into(),
    }
}

#[test]
fn distribution_findings() {
    let catalog = catalog();
    let index = parapet_catalog::Index::new(&catalog);
    let assess = |package: &Package| parapet_scan::assess::package_findings(&index, package, "root").0;

    // The update fixes DSA-5555-1 and is one missing-update finding with its IDs; DSA-5556-1
    // needs a newer version than the suite offers and stays a vulnerability.
    let openssl = assess(&debian("libssl3", "3.0.11-1~deb12u2", "openssl"));
    assert_eq!(openssl.len(), 2, "{openssl:#?}");
    assert_eq!(openssl[0].kind, FindingKind::MissingUpdate);
    assert_eq!(openssl[0].fixed.version(), Some("3.0.17-1~deb12u2"));
    assert_eq!(openssl[0].ids, ["DSA-5555-1", "CVE-2023-5"]);
    assert_eq!(openssl[1].kind, FindingKind::Vulnerable);
    assert_eq!(openssl[1].ids, ["DSA-5556-1", "CVE-2023-6"]);
    assert_eq!(openssl[1].fixed.version(), Some("3.0.99-1"));

    // Debian says zlib is not affected: the generic record of the same CVE is dropped.
    assert!(assess(&debian("zlib1g", "1:1.2.13.dfsg-1", "zlib")).is_empty());
    // no-dsa: vulnerable, no fix, flagged.
    let bash = assess(&debian("bash", "5.2.15-2+b2", "bash"));
    assert_eq!(bash.len(), 1);
    assert_eq!((bash[0].kind, bash[0].fixed.version()), (FindingKind::Vulnerable, None));
    assert_eq!(bash[0].note.as_deref(), Some("no fix available (no-dsa)"));
}

#[test]
fn lockfile_findings_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"smallish\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"oldcrate\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    assert_eq!(lockfile_inventory(&lock, None).packages.len(), 2, "the project's own crate is not a dependency");
    let request =
        Request { paths: vec![lock.clone()], catalog: Some(CatalogInput::Loaded(catalog())), ..Request::default() };
    let result = scan(&request, &|_| {});
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let kinds: Vec<(FindingKind, &str)> =
        result.findings.iter().map(|f| (f.kind, f.package.as_deref().unwrap())).collect();
    assert_eq!(kinds, [(FindingKind::Vulnerable, "smallish"), (FindingKind::Informational, "oldcrate")]);
    let smallish = &result.findings[0];
    assert_eq!(smallish.ids, ["GHSA-xxxx-yyyy-zzzz", "CVE-2021-1", "RUSTSEC-2021-0001"], "aliases merged");
    assert_eq!(smallish.severity, Some(parapet_model::Severity::Critical));
    assert_eq!(smallish.location.as_deref(), Some(format!("{}:7", lock.display()).as_str()));

    // JSON: the contract's fields.
    let mut json = Vec::new();
    report::json(&result, &mut json).unwrap();
    let value: Value = serde_json::from_slice(&json).unwrap();
    let first = &value["findings"][0];
    for (key, expected) in [
        ("kind", "vulnerable"),
        ("severity", "critical"),
        ("package", "smallish"),
        ("ecosystem", "crates.io"),
        ("installed", "1.6.0"),
        ("fixed", "1.6.1"),
    ] {
        assert_eq!(first[key], expected, "{key} in {first}");
    }
    assert_eq!(value["findings"][1]["fixed"], Value::Null);
    assert_eq!(value["findings"][1]["severity"], "unknown");
    assert!(value["findings"][1].as_object().unwrap().contains_key("fixed"), "package findings always have fixed");

    // SARIF 2.1.0 with a location and line for each result.
    let mut sarif = Vec::new();
    report::sarif(&result, &mut sarif).unwrap();
    let sarif: Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 7);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == results[0]["ruleId"]));

    // CSV: a header and one row per finding, quoted where needed.
    let mut csv = Vec::new();
    report::csv(&result, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("kind,severity,ids,title,"));
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // An OpenVEX statement rules the vulnerability out, with its justification.
    let statements = vex::parse(
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-2021-1"}, "products": [{"@id": "pkg:cargo/smallish@1.6.0"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
        "app.openvex.json",
    )
    .unwrap();
    let with_vex = scan(&Request { vex: statements, ..request }, &|_| {});
    assert_eq!(with_vex.findings.len(), 1);
    assert_eq!(with_vex.suppressed.len(), 1);
    assert_eq!(with_vex.suppressed[0].justification, "vulnerable_code_not_in_execute_path");
    assert!(vex::parse("{}", "x.json").unwrap_err().contains("x.json"));
}

#[test]
fn unreadable_input_is_an_error_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("Cargo.lock");
    std::fs::write(
        &good,
        "version = 4\n[[package]]\nname = \"smallish\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let truncated = dir.path().join("package-lock.json");
    std::fs::write(&truncated, "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": {\"version\": \"1.0")
        .unwrap();
    let result = scan(
        &Request {
            paths: vec![dir.path().to_owned()],
            catalog: Some(CatalogInput::Loaded(catalog())),
            ..Request::default()
        },
        &|_| {},
    );
    assert_eq!(result.targets.len(), 2);
    assert_eq!(result.findings.len(), 1, "the good lockfile is still scanned");
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    assert!(result.errors[0].contains("package-lock.json:1"), "{:?}", result.errors);
}

#[test]
fn csaf_vex_statements() {
    let document = r#"{
  "document": {"category": "csaf_vex", "title": "smallish in app", "tracking": {"id": "APP-VEX-1"}},
  "product_tree": {"branches": [{"category": "product_version", "name": "1.6.0",
      "product": {"product_id": "SMALLISH", "name": "smallish 1.6.0", "product_identification_helper": {"purl": "pkg:cargo/smallish@1.6.0"}}}],
    "full_product_names": [{"product_id": "APP", "name": "app 2.0"}],
    "relationships": [{"category": "default_component_of", "product_reference": "SMALLISH", "relates_to_product_reference": "APP",
      "full_product_name": {"product_id": "APP:SMALLISH", "name": "smallish in app"}}]},
  "vulnerabilities": [{"cve": "CVE-2021-1",
    "product_status": {"known_not_affected": ["APP:SMALLISH", "APP"], "known_affected": ["SMALLISH"]},
    "flags": [{"label": "vulnerable_code_not_in_execute_path", "product_ids": ["APP:SMALLISH"]}],
    "threats": [{"category": "impact", "details": "app never calls insert_many", "product_ids": ["APP:SMALLISH"]}]}]
}"#;
    let statements = vex::parse(document, "app.csaf.json").unwrap();
    assert_eq!(statements.len(), 1, "the product without a purl gives no statement: {statements:?}");
    assert_eq!(statements[0].products, ["pkg:cargo/smallish@1.6.0"]);
    assert_eq!(statements[0].justification, "vulnerable_code_not_in_execute_path: app never calls insert_many");
    let finding = |version: &str| parapet_scan::Finding {
        kind: FindingKind::Vulnerable,
        severity: None,
        ids: vec!["RUSTSEC-2021-0001".into(), "CVE-2021-1".into()],
        title: String::new(),
        target: "Cargo.lock".into(),
        location: None,
        package: Some("smallish".into()),
        ecosystem: Some("crates.io".into()),
        installed: Some(version.into()),
        fixed: parapet_scan::Fixed::Version(None),
        check: None,
        evidence: Vec::new(),
        note: None,
        url: None,
    };
    assert!(vex::covering(&statements, &finding("1.6.0")).is_some());
    assert!(vex::covering(&statements, &finding("1.5.0")).is_none(), "another version is not covered");
}

/// A CSAF advisory about a product named by CPE finds the component of a CycloneDX SBOM that
/// carries the same CPE name.
#[test]
fn cpe_products_of_csaf_match_sbom_components() {
    let csaf = r#"{"document": {"category": "csaf_security_advisory", "title": "Acme firmware", "tracking": {"id": "ACME-2026-7"}},
      "product_tree": {"branches": [{"category": "product_version", "name": "9.1", "product": {"product_id": "FW", "name": "firmware 9.1",
        "product_identification_helper": {"cpe": "cpe:2.3:o:acme:firmware:9.1:*:*:*:*:*:*:*"}}}]},
      "vulnerabilities": [{"cve": "CVE-2026-7", "product_status": {"known_affected": ["FW"]}}]}"#;
    let Record::Advisory { advisory, .. } = parapet_catalog::sources::csaf::parse(csaf).unwrap() else { panic!() };
    let catalog =
        Catalog { built_at: String::new(), sources: Vec::new(), advisories: vec![advisory], updates: Vec::new() };
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("device.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
  {"type": "firmware", "name": "firmware", "version": "9.1", "cpe": "cpe:2.3:o:acme:firmware:9.1:*:*:*:*:*:*:*"},
  {"type": "firmware", "name": "firmware", "version": "9.2", "cpe": "cpe:2.3:o:acme:firmware:9.2:*:*:*:*:*:*:*"}]}"#,
    )
    .unwrap();
    let result = scan(
        &Request { paths: vec![sbom], catalog: Some(CatalogInput::Loaded(catalog)), ..Request::default() },
        &|_| {},
    );
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let found: Vec<(&str, &str)> =
        result.findings.iter().map(|f| (f.package.as_deref().unwrap(), f.installed.as_deref().unwrap())).collect();
    assert_eq!(found, [("acme:firmware", "9.1")]);
    assert_eq!(result.findings[0].ids, ["ACME-2026-7", "CVE-2026-7"]);
}
