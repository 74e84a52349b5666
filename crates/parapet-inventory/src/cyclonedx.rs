//! CycloneDX SBOMs in JSON, specification versions 1.2 to 1.6: the `components` named by a
//! package URL, nested `components` included.
//!
//! A component is read by its `purl`, which gives its ecosystem, name and version (the
//! component's own `version` stands in when the package URL has none), or else by its `cpe`
//! (ecosystem `CPE`). Components with neither, or whose package URL type OSV has no ecosystem
//! for (`generic`, `github`, `oci`…) and no CPE, are skipped, and so is `metadata.component`, the thing the SBOM describes. A component whose
//! `scope` is `excluded` (not needed at run time) is `dev`.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::json;
use crate::lockfile::LockedPackage;
use crate::purl;
use serde::Deserialize;
use serde_json::value::RawValue;

const FORMAT: &str = "CycloneDX";

#[derive(Deserialize)]
struct Bom<'a> {
    #[serde(rename = "specVersion")]
    spec_version: Option<serde_json::Value>,
    #[serde(borrow)]
    components: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Component<'a> {
    version: Option<String>,
    purl: Option<String>,
    cpe: Option<String>,
    scope: Option<String>,
    #[serde(borrow)]
    components: Option<Vec<&'a RawValue>>,
}

/// Reads a CycloneDX JSON document; `file` names it in errors. A JSON syntax error is the one
/// error; a component that cannot be read is reported at its line and skipped, its nested
/// components with it. A specification version other than 1.2 to 1.6 is reported, and the
/// components are still read as well as they can be.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let bom: Bom = match serde_json::from_str(text) {
        Ok(bom) => bom,
        Err(e) => {
            let (line, kind) = json::syntax(FORMAT, &e);
            parsed.errors.push(ParseError { file: file.to_owned(), line, kind });
            return parsed;
        }
    };
    let supported = ["1.2", "1.3", "1.4", "1.5", "1.6"];
    match &bom.spec_version {
        Some(serde_json::Value::String(v)) if supported.contains(&v.as_str()) => {}
        version => {
            let version = version.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string);
            let kind = ErrorKind::LockVersion { format: FORMAT, version };
            parsed.errors.push(ParseError { file: file.to_owned(), line: 1, kind });
        }
    }
    let text = json::Text::new(text);
    components(&text, file, "components", bom.components.unwrap_or_default(), &mut parsed);
    parsed
}

fn components(text: &json::Text, file: &str, path: &str, list: Vec<&RawValue>, parsed: &mut Parsed<LockedPackage>) {
    for (index, raw) in list.into_iter().enumerate() {
        let path = format!("{path}[{index}]");
        let line = text.line(raw);
        let mut error = |line, kind| parsed.errors.push(ParseError { file: file.to_owned(), line, kind });
        let component: Component = match text.entry(raw, || path.clone()) {
            Ok(component) => component,
            Err((line, kind)) => {
                error(line, kind);
                continue;
            }
        };
        let dev = component.scope.as_deref() == Some("excluded");
        let (purl, cpe, version) = (component.purl.as_deref(), component.cpe.as_deref(), component.version.as_deref());
        match purl::component(purl, cpe, version, dev, line) {
            Ok(Some(package)) => parsed.packages.push(package),
            Ok(None) => {}
            Err(kind) => error(line, kind),
        }
        if let Some(nested) = component.components {
            components(text, file, &format!("{path}.components"), nested, parsed);
        }
    }
}
