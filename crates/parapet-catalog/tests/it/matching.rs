//! The matching engine on a small catalog: which installed packages match what, table-driven.

use parapet_catalog::sources::{Record, debian_list, osv};
use parapet_catalog::{Catalog, Index, Installed, MatchKind, Update};

fn catalog() -> Catalog {
    let mut advisories = Vec::new();
    for json in [
        r#"{"id": "RUSTSEC-2023-0001", "aliases": ["CVE-2023-1111"], "summary": "tokio-ish race",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "tokioish"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.18.4"}, {"introduced": "1.19.0"}, {"fixed": "1.20.3"}]}]}]}"#,
        r#"{"id": "PYSEC-2022-1", "summary": "django",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Django"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.2.14"}]}], "versions": ["4.0rc1"]}]}"#,
        r#"{"id": "DEBIAN-CVE-2023-2222", "aliases": ["CVE-2023-2222"], "summary": "openssl binary",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "libssl3"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u1"}]}]}]}"#,
        r#"{"id": "GO-2024-1", "summary": "x/net",
            "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.23.0"}]}]}]}"#,
    ] {
        match osv::parse_json(json).unwrap() {
            Record::Advisory { advisory, problems } => {
                assert!(problems.is_empty(), "{problems:?}");
                advisories.push(advisory);
            }
            Record::Withdrawn(id) => panic!("{id}"),
        }
    }
    let list = "[01 Jan 2024] DSA-5555-1 openssl - security update\n\t{CVE-2023-3333}\n\t[bookworm] - openssl 3.0.13-1~deb12u1\n[02 Jan 2024] DSA-5556-1 zlib - security update\n\t{CVE-2023-4444}\n\t[bookworm] - zlib <not-affected> (vulnerable code not built)\n\t[bullseye] - zlib <no-dsa> (Minor issue)\n";
    advisories.extend(debian_list::parse(list).advisories);
    let update = |package: &str, arch: &str, version: &str| Update {
        ecosystem: "Debian:12".into(),
        suite: "bookworm-security".into(),
        package: package.into(),
        arch: arch.into(),
        version: version.into(),
        source: "openssl".into(),
        source_version: version.into(),
    };
    Catalog {
        built_at: String::new(),
        sources: Vec::new(),
        advisories,
        updates: vec![update("libssl3", "amd64", "3.0.17-1~deb12u2"), update("libssl3", "arm64", "9.9")],
    }
}

/// (ecosystem, name, version, source) → expected (advisory ID, match) pairs and update version.
#[test]
fn table() {
    let catalog = catalog();
    let index = Index::new(&catalog);
    type Case<'a> =
        (&'a str, &'a str, &'a str, Option<(&'a str, &'a str)>, &'a [(&'a str, Option<&'a str>)], Option<&'a str>);
    let vulnerable = MatchKind::Vulnerable { fixed: None };
    let cases: &[Case] = &[
        ("crates.io", "tokioish", "1.18.3", None, &[("RUSTSEC-2023-0001", Some("1.18.4"))], None),
        ("crates.io", "tokioish", "1.18.4", None, &[], None),
        ("crates.io", "tokioish", "1.19.5", None, &[("RUSTSEC-2023-0001", Some("1.20.3"))], None),
        ("crates.io", "tokioish", "0.9.0", None, &[], None),
        ("crates.io", "other", "1.18.3", None, &[], None),
        ("PyPI", "django", "3.2.13", None, &[("PYSEC-2022-1", Some("3.2.14"))], None),
        ("PyPI", "DJANGO", "4.0rc1", None, &[("PYSEC-2022-1", None)], None),
        ("PyPI", "django", "4.0", None, &[], None),
        ("Go", "golang.org/x/net", "v0.22.0", None, &[("GO-2024-1", Some("0.23.0"))], None),
        (
            "Debian:12",
            "libssl3",
            "3.0.9-1",
            Some(("openssl", "3.0.9-1")),
            &[("DEBIAN-CVE-2023-2222", Some("3.0.11-1~deb12u1")), ("DSA-5555-1", Some("3.0.13-1~deb12u1"))],
            Some("3.0.17-1~deb12u2"),
        ),
        ("Debian:12", "libssl3", "3.0.17-1~deb12u2", Some(("openssl", "3.0.17-1~deb12u2")), &[], None),
        ("Debian:11", "libssl3", "1.1.1n-0+deb11u3", Some(("openssl", "1.1.1n-0+deb11u3")), &[], None),
    ];
    for (ecosystem, name, version, source, expected, update) in cases {
        let installed = Installed { ecosystem, name, version, arch: Some("amd64"), source: *source };
        let report = index.lookup(&installed);
        assert!(report.errors.is_empty(), "{name} {version}: {:?}", report.errors);
        let got: Vec<(&str, Option<&str>)> = report
            .matches
            .iter()
            .map(|m| match &m.kind {
                MatchKind::Vulnerable { fixed } => (m.advisory.id.as_str(), fixed.as_deref()),
                other => panic!("{name} {version}: unexpected {other:?}"),
            })
            .collect();
        assert_eq!(&got, expected, "{ecosystem} {name} {version}");
        assert_eq!(report.update.map(|u| u.version.as_str()), *update, "{ecosystem} {name} {version}");
    }
    let _ = vulnerable;
}

#[test]
fn distribution_statuses() {
    let catalog = catalog();
    let index = Index::new(&catalog);
    let zlib = |ecosystem| Installed {
        ecosystem,
        name: "zlib1g",
        version: "1:1.2.13",
        arch: Some("amd64"),
        source: Some(("zlib", "1:1.2.13")),
    };
    let kinds = |ecosystem| index.lookup(&zlib(ecosystem)).matches.into_iter().map(|m| m.kind).collect::<Vec<_>>();
    assert_eq!(kinds("Debian:12"), [MatchKind::NotAffected]);
    assert_eq!(kinds("Debian:11"), [MatchKind::NoFix { reason: "no-dsa".into() }]);
    // An arm64 host does not see the amd64 update; an invalid installed version is an error, not a panic.
    let arm =
        Installed { ecosystem: "Debian:12", name: "libssl3", version: "3.0.9-1", arch: Some("arm64"), source: None };
    assert_eq!(index.lookup(&arm).update.map(|u| u.version.as_str()), Some("9.9"));
    let bad = Installed { ecosystem: "crates.io", name: "tokioish", version: "not-semver", arch: None, source: None };
    let report = index.lookup(&bad);
    assert!(report.matches.is_empty());
    assert!(
        report.errors[0].contains("RUSTSEC-2023-0001") && report.errors[0].contains("not-semver"),
        "{:?}",
        report.errors
    );
}
