//! Each source reader on hand-written records.

use parapet_catalog::sources::{Record, alpine_secdb, apt, csaf, debian_list, osv};
use parapet_catalog::{AdvisoryKind, Status};
use parapet_model::Severity;
use parapet_versions::osv::Event;

fn read(record: Record) -> (parapet_catalog::Advisory, Vec<String>) {
    match record {
        Record::Advisory { advisory, problems } => (advisory, problems),
        Record::Withdrawn(id) => panic!("{id} was read as withdrawn"),
    }
}

#[test]
fn osv_json_with_severity_aliases_and_ranges() {
    let (advisory, problems) = read(
        osv::parse_json(
            r#"{
  "id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
  "aliases": ["CVE-2024-0001"],
  "summary": "Request smuggling in hyperish",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [
    {"package": {"ecosystem": "crates.io", "name": "hyperish"},
     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.14.10"}]},
                {"type": "GIT", "repo": "https://example.org/x", "events": [{"introduced": "abc"}]}]},
    {"package": {"ecosystem": "PyPI", "name": "Hyper_Ish.Py"}, "versions": ["1.0", "1.1"]},
    {"package": {"ecosystem": "npm", "name": "bad"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "not a version"}]}]}
  ],
  "references": [{"type": "WEB", "url": "https://example.org/web"}, {"type": "ADVISORY", "url": "https://example.org/adv"}]
}"#,
        )
        .unwrap(),
    );
    assert_eq!(advisory.id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(advisory.aliases, ["CVE-2024-0001"]);
    assert_eq!(advisory.severity, Some(Severity::Critical));
    assert_eq!(advisory.url.as_deref(), Some("https://example.org/adv"));
    assert_eq!(advisory.affected.len(), 2, "the entry with an invalid version is left out");
    assert_eq!(advisory.affected[0].ranges.len(), 1, "GIT ranges are skipped");
    assert_eq!(advisory.affected[1].package, "hyper-ish-py", "PyPI names are normalised");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("affected[2] (npm bad)") && problems[0].contains("not a version"), "{problems:?}");
}

#[test]
fn osv_yaml_withdrawn_and_informational() {
    let yaml = "id: PYSEC-2021-1\nmodified: 2021-01-01T00:00:00Z\nsummary: x\naffected:\n- package:\n    name: Django\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '3.0'\n    - fixed: 3.1.2\n  versions:\n  - '3.0'\n";
    let (advisory, problems) = read(osv::parse_yaml(yaml).unwrap());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(advisory.affected[0].ranges[0].events, [Event::Introduced("3.0".into()), Event::Fixed("3.1.2".into())]);
    assert_eq!(
        osv::parse_json(r#"{"id": "RUSTSEC-1", "withdrawn": "2021-01-01T00:00:00Z"}"#).unwrap(),
        Record::Withdrawn("RUSTSEC-1".into())
    );
    let (unmaintained, _) = read(
        osv::parse_json(r#"{"id": "RUSTSEC-2", "summary": "x is unmaintained", "affected": [{"package": {"ecosystem": "crates.io", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}], "database_specific": {"informational": "unmaintained", "cvss": null}}]}"#)
            .unwrap(),
    );
    assert_eq!(unmaintained.kind, AdvisoryKind::Informational("unmaintained".into()));
    for bad in ["{", "[]", r#"{"id": ""}"#, r#"{"summary": "no id"}"#] {
        assert!(osv::parse_json(bad).is_err(), "{bad}");
    }
    assert!(osv::parse_yaml("id: [unclosed").is_err());
}

#[test]
fn debian_list_statuses() {
    let list = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393 CVE-2023-0494}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n\t[bookworm] - xorg-server <not-affected> (Fixed before release)\n\t[buster] - xorg-server <no-dsa> (Minor issue)\n\t[sarge] - xorg-server 1.0\n\tNOTE: a note\n[bad header\n\t[bullseye] - skipped 1.0\n[01 Jan 2023] DLA-1-1 foo - security update\n\t[bullseye] - foo not:a:version\n\t[bullseye] - foo <strange>\n";
    let parsed = debian_list::parse(list);
    assert_eq!(parsed.advisories.len(), 2);
    let dsa = &parsed.advisories[0];
    assert_eq!((dsa.id.as_str(), dsa.title.as_str()), ("DSA-5380-1", "xorg-server - security update"));
    assert_eq!(dsa.aliases, ["CVE-2023-1393", "CVE-2023-0494"]);
    let statuses: Vec<(&str, &Status)> = dsa.affected.iter().map(|a| (a.ecosystem.as_str(), &a.status)).collect();
    assert_eq!(
        statuses,
        [
            ("Debian:11", &Status::Affected),
            ("Debian:12", &Status::NotAffected),
            ("Debian:10", &Status::NoFix("no-dsa".into()))
        ]
    );
    assert!(dsa.affected.iter().all(|a| a.by_source && a.package == "xorg-server"));
    assert_eq!(parsed.problems.len(), 3, "{:?}", parsed.problems);
    assert!(parsed.problems[0].starts_with("line 8:"), "{:?}", parsed.problems);
    assert!(parsed.problems[1].contains("line 11 (DLA-1-1)") && parsed.problems[1].contains("not:a:version"));
    assert!(parsed.problems[2].contains("unknown status <strange>"));
}

#[test]
fn alpine_secdb_groups_by_cve() {
    let yaml = "distroversion: v3.18\nreponame: main\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        3.1.1-r0:\n          - CVE-2023-1 CVE-2023-2\n        0:\n          - CVE-2020-9\n        1.2.-r1:\n          - CVE-2019-1\n  - pkg:\n      name: libssl-extra\n      secfixes:\n        1.0-r1:\n          - CVE-2023-1\n";
    let parsed = alpine_secdb::parse(yaml).unwrap();
    let ids: Vec<&str> = parsed.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2020-9", "CVE-2023-1", "CVE-2023-2"]);
    assert_eq!(parsed.advisories[0].affected[0].status, Status::NotAffected);
    assert_eq!(parsed.advisories[1].affected.len(), 2, "one CVE, two packages");
    assert_eq!(parsed.advisories[1].affected[0].ecosystem, "Alpine:v3.18");
    assert_eq!(parsed.problems.len(), 1);
    assert!(parsed.problems[0].contains("1.2.-r1"));
    assert!(alpine_secdb::parse("distroversion: 3.18\npackages:\n").is_err());
    assert!(alpine_secdb::parse("distroversion: v3.18\npackages:\n").unwrap().advisories.is_empty());
}

#[test]
fn apt_release_and_indices() {
    let release = apt::parse_release(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\nDate: Sat, 01 Jan 2026\n-----BEGIN PGP SIGNATURE-----\n",
    );
    assert!(release.is_security());
    assert_eq!(release.ecosystem().as_deref(), Some("Debian:12"));
    let main = apt::parse_release("Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.10\nCodename: bookworm\n");
    assert!(!main.is_security());
    assert_eq!(main.ecosystem().as_deref(), Some("Debian:12"));
    let ubuntu =
        apt::parse_release("Origin: Ubuntu\nLabel: Ubuntu\nSuite: jammy-security\nVersion: 22.04\nCodename: jammy\n");
    assert!(ubuntu.is_security());
    assert_eq!(ubuntu.ecosystem().as_deref(), Some("Ubuntu:22.04"));

    let packages = "Package: libssl3\nSource: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n\nPackage: libssl3\nSource: openssl\nVersion: 3.0.17-1~deb12u2\nArchitecture: amd64\n\nPackage: curl\nSource: curl (7.88.1-10+deb12u8)\nVersion: 7.88.1-10+deb12u8+b1\nArchitecture: amd64\n\nPackage: broken\nVersion: not:valid:\n\nVersion: 1.0\n";
    let index = apt::parse_index(packages, apt::IndexKind::Packages, "Debian:12", "bookworm-security");
    let got: Vec<(&str, &str, &str, &str)> = index
        .updates
        .iter()
        .map(|u| (u.package.as_str(), u.version.as_str(), u.source.as_str(), u.source_version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("curl", "7.88.1-10+deb12u8+b1", "curl", "7.88.1-10+deb12u8"),
            ("libssl3", "3.0.17-1~deb12u2", "openssl", "3.0.17-1~deb12u2")
        ]
    );
    assert_eq!(index.problems.len(), 2, "{:?}", index.problems);
    assert!(index.problems[0].starts_with("line 16 (broken)"), "{:?}", index.problems);

    let sources = "Package: openssl\nBinary: openssl, libssl3,\n libssl-dev\nVersion: 3.0.17-1~deb12u2\n";
    let index = apt::parse_index(sources, apt::IndexKind::Sources, "Debian:12", "bookworm-security");
    let binaries: Vec<&str> = index.updates.iter().map(|u| u.package.as_str()).collect();
    assert_eq!(binaries, ["libssl-dev", "libssl3", "openssl"]);
}

#[test]
fn csaf_products_by_purl() {
    let document = r#"{
  "document": {"category": "csaf_security_advisory", "title": "Widget update", "tracking": {"id": "ACME-2026-001"},
               "references": [{"category": "self", "url": "https://acme.example/ACME-2026-001.json"}]},
  "product_tree": {"branches": [{"category": "vendor", "name": "acme", "branches": [
      {"category": "product_name", "name": "widget", "branches": [
        {"category": "product_version_range", "name": "vers:npm/>=1.0.0|<1.4.2", "product": {"product_id": "W-OLD", "name": "widget <1.4.2", "product_identification_helper": {"purl": "pkg:npm/%40acme/widget"}}},
        {"category": "product_version", "name": "1.4.2", "product": {"product_id": "W-FIXED", "name": "widget 1.4.2", "product_identification_helper": {"purl": "pkg:npm/%40acme/widget@1.4.2"}}},
        {"category": "product_version", "name": "2.0.0", "product": {"product_id": "W-2", "name": "widget 2.0.0", "product_identification_helper": {"purl": "pkg:npm/%40acme/widget@2.0.0"}}},
        {"category": "product_version", "name": "9", "product": {"product_id": "APPLIANCE", "name": "appliance 9"}},
        {"category": "product_version", "name": "9.1", "product": {"product_id": "FIRMWARE", "name": "firmware 9.1", "product_identification_helper": {"cpe": "cpe:2.3:o:acme:firmware:9.1:*:*:*:*:*:*:*"}}}
      ]}]}]},
  "vulnerabilities": [{"cve": "CVE-2026-1000",
     "scores": [{"products": ["W-OLD"], "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "baseScore": 8.8, "baseSeverity": "HIGH"}}],
     "product_status": {"known_affected": ["W-OLD", "W-2", "APPLIANCE", "FIRMWARE"], "fixed": ["W-FIXED"]}}]
}"#;
    let (advisory, problems) = read(csaf::parse(document).unwrap());
    assert_eq!(advisory.id, "ACME-2026-001");
    assert_eq!(advisory.aliases, ["CVE-2026-1000"]);
    assert_eq!(advisory.severity, Some(Severity::Important));
    assert_eq!(advisory.affected.len(), 2);
    let firmware = &advisory.affected[0];
    assert_eq!((firmware.ecosystem.as_str(), firmware.package.as_str()), ("CPE", "acme:firmware"));
    assert_eq!(firmware.versions, ["9.1"]);
    let widget = &advisory.affected[1];
    assert_eq!((widget.ecosystem.as_str(), widget.package.as_str()), ("npm", "@acme/widget"));
    assert_eq!(widget.ranges[0].events, [Event::Introduced("1.0.0".into()), Event::Fixed("1.4.2".into())]);
    assert_eq!(widget.versions, ["2.0.0"]);
    assert_eq!(widget.fixed, ["1.4.2"]);
    assert_eq!(problems, [r#"product "APPLIANCE" has no package URL or CPE and cannot be matched"#]);
    assert!(csaf::parse(r#"{"document": {}}"#).is_err());
}
