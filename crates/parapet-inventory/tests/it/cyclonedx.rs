//! `parapet_inventory::cyclonedx`: packages read from a realistic CycloneDX 1.5 SBOM (nested
//! components, every ecosystem's package URL, components without one or without an OSV
//! ecosystem skipped, excluded components as development ones), and each error with its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::{self, LockfileKind};

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::CycloneDx, "bom.cdx.json", text, packages, errors);
}

pub const BOM: &str = r#"{
  "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 1,
  "metadata": {
    "timestamp": "2024-01-15T10:00:00Z",
    "tools": {
      "components": [{"type": "application", "author": "anchore", "name": "syft", "version": "0.100.0"}]
    },
    "component": {
      "bom-ref": "shop",
      "type": "application",
      "name": "shop",
      "version": "1.0.0",
      "purl": "pkg:npm/shop@1.0.0"
    }
  },
  "components": [
    {
      "bom-ref": "pkg:npm/%40babel/core@7.23.2",
      "type": "library",
      "group": "@babel",
      "name": "core",
      "version": "7.23.2",
      "scope": "excluded",
      "purl": "pkg:npm/%40babel/core@7.23.2"
    },
    {
      "type": "library",
      "group": "org.apache.logging.log4j",
      "name": "log4j-core",
      "version": "2.14.1",
      "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
      "components": [
        {
          "type": "library",
          "group": "org.apache.logging.log4j",
          "name": "log4j-api",
          "version": "2.14.1",
          "purl": "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1?type=jar"
        }
      ]
    },
    {"type": "library", "name": "Django", "version": "4.2.4", "purl": "pkg:pypi/Django@4.2.4"},
    {"type": "library", "name": "github.com/gorilla/mux", "version": "v1.8.0", "purl": "pkg:golang/github.com/gorilla/mux@v1.8.0"},
    {"type": "library", "name": "serde", "version": "1.0.188", "purl": "pkg:cargo/serde"},
    {"type": "library", "name": "rack", "version": "2.2.8", "purl": "pkg:gem/rack@2.2.8"},
    {"type": "library", "name": "symfony/console", "version": "v6.3.4", "purl": "pkg:composer/symfony/console@6.3.4"},
    {"type": "library", "name": "Newtonsoft.Json", "version": "13.0.3", "purl": "pkg:nuget/Newtonsoft.Json@13.0.3"},
    {"type": "library", "name": "openssl", "version": "3.0.11-1~deb12u2", "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
    {"type": "library", "name": "busybox", "version": "1.36.1-r2", "purl": "pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18.4"},
    {"type": "library", "name": "openssl-libs", "version": "3.0.7-24.el9", "purl": "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rhel-9.3"},
    {"type": "operating-system", "name": "debian", "version": "12.2"},
    {"type": "library", "name": "checkout", "version": "v4", "purl": "pkg:github/actions/checkout@v4"}
  ],
  "dependencies": [
    {"ref": "shop", "dependsOn": ["pkg:npm/%40babel/core@7.23.2"]}
  ]
}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        (r#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#, &[]),
        (
            BOM,
            &[
                "21 npm @babel/core 7.23.2 dev",
                "30 Maven org.apache.logging.log4j:log4j-core 2.14.1",
                "37 Maven org.apache.logging.log4j:log4j-api 2.14.1",
                "46 PyPI django 4.2.4",
                "47 Go github.com/gorilla/mux 1.8.0",
                "48 crates.io serde 1.0.188",
                "49 RubyGems rack 2.2.8",
                "50 Packagist symfony/console 6.3.4",
                "51 NuGet Newtonsoft.Json 13.0.3",
                "52 Debian:12 openssl 3.0.11-1~deb12u2",
                "53 Alpine:v3.18 busybox 1.36.1-r2",
                "54 Red Hat openssl-libs 1:3.0.7-24.el9",
            ],
        ),
    ];
    crate::check_rows(LockfileKind::CycloneDx, "bom.cdx.json", table);
}

/// The package URL is kept, as the SBOM wrote it.
#[test]
fn purls() {
    let parsed = lockfile::parse(LockfileKind::CycloneDx, BOM, "bom.cdx.json");
    assert_eq!(parsed.packages[0].purl.as_deref(), Some("pkg:npm/%40babel/core@7.23.2"));
    assert!(parsed.packages.iter().all(|p| p.purl.is_some()));
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"components\": [\n    {\"type\": \"library\", \"purl\": \"pkg:npm/ms@2.1.3\"",
            &[],
            &["bom.cdx.json:5: invalid CycloneDX: EOF while parsing an object"],
        ),
        (
            r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "components": [
    {"type": "library", "name": "ms", "purl": "npm/ms@2.1.3"},
    {"type": "library", "name": "ms", "purl": "pkg:npm/ms"},
    {"type": "library", "name": "ms", "purl": "pkg:npm/ms@2.1"},
    {
      "type": "library",
      "name": "debug",
      "purl": ["pkg:npm/debug@4.3.4"]
    },
    {
      "type": "library",
      "name": "express",
      "purl": "pkg:npm/express@4.18.2",
      "components": [
        {"type": "library", "purl": "pkg:npm/%zzbad@1.0.0"},
        {"type": "library", "purl": "pkg:npm/qs@6.11.0"}
      ]
    }
  ]
}"#,
            &["13 npm express 4.18.2", "19 npm qs 6.11.0"],
            &[
                "bom.cdx.json:5: entry \"npm/ms@2.1.3\": invalid package URL: expected pkg:type/name",
                "bom.cdx.json:6: entry \"pkg:npm/ms\" has no \"version\"",
                "bom.cdx.json:7: entry \"ms\": invalid SemVer version \"2.1\": expected MAJOR.MINOR.PATCH",
                "bom.cdx.json:11: entry \"components[3]\": invalid type: sequence, expected a string",
                "bom.cdx.json:18: entry \"pkg:npm/%zzbad@1.0.0\": invalid package URL: invalid percent-encoding",
            ],
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.1", "components": [{"purl": "pkg:npm/ms@2.1.3"}]}"#,
            &["1 npm ms 2.1.3"],
            &["bom.cdx.json:1: unsupported CycloneDX version \"1.1\""],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::CycloneDx, BOM);
}
