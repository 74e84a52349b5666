//! `parapet_inventory::lockfile`: which kind a file name or JSON document is, package URLs to
//! OSV ecosystems, PEP 503 names, and the existing Cargo.lock and npm readers seen through
//! [`lockfile::parse`].

use super::check_lockfile;
use parapet_inventory::lockfile::{self, LockfileKind};

#[test]
fn detect() {
    let table = [
        ("Cargo.lock", Some(LockfileKind::CargoLock)),
        ("project/Cargo.lock", Some(LockfileKind::CargoLock)),
        ("package-lock.json", Some(LockfileKind::NpmLock)),
        ("npm-shrinkwrap.json", Some(LockfileKind::NpmLock)),
        ("web\\yarn.lock", Some(LockfileKind::YarnLock)),
        ("pnpm-lock.yaml", Some(LockfileKind::PnpmLock)),
        ("poetry.lock", Some(LockfileKind::PoetryLock)),
        ("Pipfile.lock", Some(LockfileKind::PipfileLock)),
        ("requirements.txt", Some(LockfileKind::Requirements)),
        ("requirements-dev.txt", Some(LockfileKind::Requirements)),
        ("requirements_test.txt", Some(LockfileKind::Requirements)),
        ("go.mod", Some(LockfileKind::GoMod)),
        ("composer.lock", Some(LockfileKind::ComposerLock)),
        ("Gemfile.lock", Some(LockfileKind::GemfileLock)),
        ("gems.locked", Some(LockfileKind::GemfileLock)),
        ("bom.json", Some(LockfileKind::CycloneDx)),
        ("image.cdx.json", Some(LockfileKind::CycloneDx)),
        ("sbom.spdx.json", Some(LockfileKind::Spdx)),
        ("package.json", None),
        ("Cargo.toml", None),
        ("go.sum", None),
        ("requirements.in", None),
        ("Pipfile", None),
        ("Gemfile", None),
        ("cargo.lock", None),
        ("sbom.json", None),
        ("", None),
        ("requirements.txt/", None),
    ];
    for (name, kind) in table {
        assert_eq!(LockfileKind::detect(name), kind, "{name}");
    }
}

#[test]
fn detect_content() {
    let table = [
        (r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}"#, Some(LockfileKind::CycloneDx)),
        (r#"{"spdxVersion": "SPDX-2.3", "packages": []}"#, Some(LockfileKind::Spdx)),
        (r#"{"bomFormat": "SPDX"}"#, None),
        (r#"{"bomFormat": 1, "spdxVersion": "SPDX-2.2"}"#, Some(LockfileKind::Spdx)),
        (r#"{"lockfileVersion": 3, "packages": {}}"#, None),
        (r#"{"spdxVersion": "2.3"}"#, None),
        ("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>", None),
        ("[]", None),
        ("", None),
        (r#"{"bomFormat": "CycloneDX""#, None),
    ];
    for (text, kind) in table {
        assert_eq!(LockfileKind::detect_content(text), kind, "{text}");
    }
}

#[test]
fn names() {
    let names: Vec<&str> = LockfileKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(
        names,
        [
            "Cargo.lock",
            "package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "poetry.lock",
            "Pipfile.lock",
            "requirements.txt",
            "go.mod",
            "composer.lock",
            "Gemfile.lock",
            "CycloneDX",
            "SPDX"
        ]
    );
    for kind in LockfileKind::ALL {
        if !matches!(kind, LockfileKind::CycloneDx | LockfileKind::Spdx) {
            assert_eq!(LockfileKind::detect(kind.name()), Some(kind));
        }
    }
}

#[test]
fn ecosystem_of_purl() {
    let table = [
        ("pkg:cargo/serde@1.0.188", Some("crates.io")),
        ("pkg:npm/%40babel/core@7.23.2", Some("npm")),
        ("pkg:pypi/django@4.2.4", Some("PyPI")),
        ("pkg:golang/github.com/gorilla/mux@v1.8.0", Some("Go")),
        ("pkg:composer/symfony/console@6.3.4", Some("Packagist")),
        ("pkg:gem/rack@2.2.8?platform=ruby", Some("RubyGems")),
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", Some("Maven")),
        ("pkg:nuget/Newtonsoft.Json@13.0.3", Some("NuGet")),
        ("PKG:NPM/left-pad@1.3.0", Some("npm")),
        ("pkg:deb/debian/curl@7.88.1-10+deb12u4?arch=amd64&distro=debian-12", Some("Debian:12")),
        ("pkg:deb/debian/curl@7.88.1-10+deb12u4?arch=amd64&distro=debian-12.2", Some("Debian:12")),
        ("pkg:deb/debian/curl@7.74.0-1.3+deb11u7?distro=bullseye", Some("Debian:11")),
        ("pkg:deb/debian/bash@5.2.15-2", Some("Debian")),
        ("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04", Some("Ubuntu:22.04:LTS")),
        ("pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=ubuntu-23.10", Some("Ubuntu:23.10")),
        ("pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=jammy", Some("Ubuntu:22.04:LTS")),
        ("pkg:deb/kali/bash@5.2.15-2?distro=kali-2023.3", None),
        ("pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18.4", Some("Alpine:v3.18")),
        ("pkg:apk/alpine/busybox@1.36.1-r2", Some("Alpine")),
        ("pkg:apk/wolfi/glibc@2.38-r5?distro=wolfi-20230201", Some("Wolfi")),
        ("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rhel-9.3", Some("Red Hat")),
        ("pkg:rpm/almalinux/bash@5.1.8-6.el9_1?distro=almalinux-9.3", Some("AlmaLinux:9")),
        ("pkg:rpm/rocky/bash@5.1.8-6.el9_1?distro=rocky-9.2", Some("Rocky Linux:9")),
        ("pkg:rpm/fedora/bash@5.2.15-3.fc38?distro=fedora-38", None),
        ("pkg:github/actions/checkout@v4", None),
        ("pkg:generic/openssl@3.0.11", None),
        ("pkg:oci/alpine@sha256%3A48d9183eb12a05c99bcc0bf44a003607b8e941e1d4f41f9ad12bdcc4b5672f86", None),
        ("not a purl", None),
        ("pkg:npm", None),
        ("", None),
    ];
    for (purl, ecosystem) in table {
        assert_eq!(lockfile::ecosystem_of_purl(purl).as_deref(), ecosystem, "{purl}");
    }
}

#[test]
fn pypi_names() {
    for (name, normalised) in [
        ("Django", "django"),
        ("zope.interface", "zope-interface"),
        ("ruamel.yaml.clib", "ruamel-yaml-clib"),
        ("Typing_Extensions", "typing-extensions"),
        ("friendly-bard", "friendly-bard"),
        ("FRIENDLY-._.-BARD", "friendly-bard"),
        ("", ""),
    ] {
        assert_eq!(lockfile::pypi_name(name), normalised, "{name}");
    }
}

/// The existing readers through the common type: crates.io crates with their lines (the
/// project's own crates, which have no source, left out), npm packages with theirs.
#[test]
fn cargo_and_npm() {
    let cargo = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa",
]

[[package]]
name = "itoa"
version = "1.0.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "af150ab688ff2122fcef229be89cb50dd66af9e01a4ff320cc137eecc9bacc38"

[[package]]
name = "bad"
version = "1"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
    check_lockfile(
        LockfileKind::CargoLock,
        "Cargo.lock",
        cargo,
        &["10 crates.io itoa 1.0.9"],
        &["Cargo.lock:16: invalid SemVer version \"1\": expected MAJOR.MINOR.PATCH"],
    );
    let npm = r#"{
  "name": "shop",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "shop", "version": "1.0.0"},
    "node_modules/@types/node": {
      "version": "20.8.10",
      "dev": true
    },
    "node_modules/ms": {
      "version": "2.1.3"
    }
  }
}
"#;
    check_lockfile(
        LockfileKind::NpmLock,
        "package-lock.json",
        npm,
        &["6 npm @types/node 20.8.10 dev", "10 npm ms 2.1.3"],
        &[],
    );
}

#[test]
fn only_crates_io_crates_of_a_cargo_lock_are_packages() {
    let lock = "version = 4\n\n[[package]]\nname = \"own\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n\n[[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"git+https://github.com/example/c?branch=main#0123456789abcdef\"\n\n[[package]]\nname = \"d\"\nversion = \"1.0.0\"\nsource = \"registry+https://registry.example.com/index\"\n";
    let parsed = lockfile::parse(LockfileKind::CargoLock, lock, "Cargo.lock");
    let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "git checkouts and other registries are other packages than crates.io's");
}
