//! SPDX SBOMs in JSON, versions 2.2 and 2.3: the `packages` named by a package URL or a CPE.
//!
//! A package is read by the first of its `externalRefs` whose `referenceType` is `purl`, which
//! gives its ecosystem, name and version (`versionInfo` stands in when the package URL has
//! none), or else by a `cpe23Type`/`cpe22Type` reference (ecosystem `CPE`). Packages with
//! neither, or whose package URL type OSV has no ecosystem for and no CPE, are skipped:
//! the document's own subject and its files are among them. SPDX does not say which packages
//! only development needs: none is `dev`.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::json;
use crate::lockfile::LockedPackage;
use crate::purl;
use serde::Deserialize;
use serde_json::value::RawValue;

const FORMAT: &str = "SPDX";

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<serde_json::Value>,
    #[serde(borrow)]
    packages: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Package {
    #[serde(rename = "versionInfo")]
    version_info: Option<String>,
    #[serde(rename = "externalRefs", default)]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize)]
struct ExternalRef {
    #[serde(rename = "referenceType")]
    reference_type: Option<String>,
    #[serde(rename = "referenceLocator")]
    reference_locator: Option<String>,
}

/// Reads an SPDX JSON document; `file` names it in errors. A JSON syntax error is the one
/// error; a package that cannot be read is reported at its line and skipped. An SPDX version
/// other than 2.2 and 2.3 is reported, and the packages are still read as well as they can be.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let mut error = |line, kind| parsed.errors.push(ParseError { file: file.to_owned(), line, kind });
    let document: Document = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(e) => {
            let (line, kind) = json::syntax(FORMAT, &e);
            error(line, kind);
            return parsed;
        }
    };
    match &document.spdx_version {
        Some(serde_json::Value::String(v)) if v == "SPDX-2.2" || v == "SPDX-2.3" => {}
        version => {
            let version = version.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string);
            error(1, ErrorKind::LockVersion { format: FORMAT, version });
        }
    }
    let text = json::Text::new(text);
    let mut packages = Vec::new();
    for (index, raw) in document.packages.unwrap_or_default().into_iter().enumerate() {
        let line = text.line(raw);
        let package: Package = match text.entry(raw, || format!("packages[{index}]")) {
            Ok(package) => package,
            Err((line, kind)) => {
                error(line, kind);
                continue;
            }
        };
        let reference = |types: &[&str]| {
            package
                .external_refs
                .iter()
                .find(|r| r.reference_type.as_deref().is_some_and(|t| types.contains(&t)))
                .and_then(|r| r.reference_locator.as_deref())
        };
        let (purl, cpe) = (reference(&["purl"]), reference(&["cpe23Type", "cpe22Type"]));
        match purl::component(purl, cpe, package.version_info.as_deref(), false, line) {
            Ok(Some(package)) => packages.push(package),
            Ok(None) => {}
            Err(kind) => error(line, kind),
        }
    }
    parsed.packages = packages;
    parsed
}
