//! `parapet_inventory::spdx`: packages read from realistic SPDX 2.3 and 2.2 documents (package
//! URLs among other references, the document's subject and packages without a package URL
//! skipped), and each error with its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::Spdx, "sbom.spdx.json", text, packages, errors);
}

/// SPDX 2.3 of a container image, as an image scanner writes it.
pub const IMAGE: &str = r#"{
 "spdxVersion": "SPDX-2.3",
 "dataLicense": "CC0-1.0",
 "SPDXID": "SPDXRef-DOCUMENT",
 "name": "registry.example.com/shop:1.4.2",
 "documentNamespace": "https://example.com/spdx/shop-1.4.2-0b9c7e1a-5d3f-4c2b-9a8e-7f6d5c4b3a21",
 "creationInfo": {
  "licenseListVersion": "3.22",
  "creators": ["Organization: Example", "Tool: sbom-tool-1.0"],
  "created": "2024-02-01T09:30:00Z"
 },
 "packages": [
  {
   "name": "busybox",
   "SPDXID": "SPDXRef-Package-apk-busybox-6d6d2b8a1b1e3e8c",
   "versionInfo": "1.36.1-r2",
   "supplier": "Person: Sören Tempel <soeren@example.org>",
   "downloadLocation": "https://busybox.net/",
   "filesAnalyzed": false,
   "licenseConcluded": "NOASSERTION",
   "licenseDeclared": "GPL-2.0-only",
   "copyrightText": "NOASSERTION",
   "externalRefs": [
    {
     "referenceCategory": "SECURITY",
     "referenceType": "cpe23Type",
     "referenceLocator": "cpe:2.3:a:busybox:busybox:1.36.1-r2:*:*:*:*:*:*:*"
    },
    {
     "referenceCategory": "PACKAGE-MANAGER",
     "referenceType": "purl",
     "referenceLocator": "pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&upstream=busybox&distro=alpine-3.19.1"
    }
   ]
  },
  {
   "name": "requests",
   "SPDXID": "SPDXRef-Package-python-requests-1f2e3d4c5b6a7980",
   "versionInfo": "2.31.0",
   "downloadLocation": "NOASSERTION",
   "filesAnalyzed": false,
   "externalRefs": [
    {
     "referenceCategory": "PACKAGE-MANAGER",
     "referenceType": "purl",
     "referenceLocator": "pkg:pypi/requests"
    }
   ]
  },
  {
   "name": "registry.example.com/shop",
   "SPDXID": "SPDXRef-DocumentRoot-Image-registry.example.com-shop",
   "versionInfo": "sha256:48d9183eb12a05c99bcc0bf44a003607b8e941e1d4f41f9ad12bdcc4b5672f86",
   "downloadLocation": "NOASSERTION",
   "filesAnalyzed": false,
   "primaryPackagePurpose": "CONTAINER"
  },
  {
   "name": "stdlib",
   "SPDXID": "SPDXRef-Package-go-module-stdlib-0a1b2c3d4e5f6a7b",
   "versionInfo": "go1.21.6",
   "downloadLocation": "NOASSERTION",
   "externalRefs": [
    {
     "referenceCategory": "PACKAGE-MANAGER",
     "referenceType": "purl",
     "referenceLocator": "pkg:golang/stdlib@1.21.6"
    }
   ]
  }
 ],
 "relationships": [
  {
   "spdxElementId": "SPDXRef-DOCUMENT",
   "relatedSpdxElement": "SPDXRef-DocumentRoot-Image-registry.example.com-shop",
   "relationshipType": "DESCRIBES"
  }
 ]
}
"#;

/// SPDX 2.2 names the category `PACKAGE_MANAGER`.
pub const V2_2: &str = r#"{
  "spdxVersion": "SPDX-2.2",
  "SPDXID": "SPDXRef-DOCUMENT",
  "name": "shop",
  "packages": [
    {
      "SPDXID": "SPDXRef-Package-npm-ms",
      "name": "ms",
      "versionInfo": "2.1.3",
      "externalRefs": [
        {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/ms@2.1.3"}
      ]
    }
  ]
}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        (r#"{"spdxVersion": "SPDX-2.3", "packages": []}"#, &[]),
        (IMAGE, &["13 Alpine:v3.19 busybox 1.36.1-r2", "36 PyPI requests 2.31.0", "58 Go stdlib 1.21.6"]),
        (V2_2, &["6 npm ms 2.1.3"]),
    ];
    for (text, packages) in table {
        check(text, packages, &[]);
        check(&text.replace('\n', "\r\n"), packages, &[]);
    }
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "{\n \"spdxVersion\": \"SPDX-2.3\",\n \"packages\": [\n  {\n   \"name\": \"ms\",\n",
            &[],
            &["sbom.spdx.json:6: invalid SPDX: EOF while parsing an object"],
        ),
        (
            r#"{
  "spdxVersion": "SPDX-2.3",
  "packages": [
    {"name": "a", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/a"}]},
    {
      "name": "b",
      "externalRefs": {"referenceType": "purl"}
    },
    {"name": "c", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:1npm/c@1.0.0"}]},
    {"name": "d", "versionInfo": "1.0.0", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/d"}]}
  ]
}"#,
            &["10 npm d 1.0.0"],
            &[
                "sbom.spdx.json:4: entry \"pkg:npm/a\" has no \"version\"",
                "sbom.spdx.json:7: entry \"packages[1]\": invalid type: map, expected a sequence",
                "sbom.spdx.json:9: entry \"pkg:1npm/c@1.0.0\": invalid package URL: the type must be letters, digits, '.', '+' or '-', starting with a letter",
            ],
        ),
        (
            r#"{"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld", "@graph": []}"#,
            &[],
            &["sbom.spdx.json:1: unsupported SPDX version (none)"],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::Spdx, IMAGE);
}
