//! Alpine's secdb: per release and repository, the `secfixes` of each package, the version that
//! fixed each list of CVEs. Version `0` means the package was never affected.

use crate::model::{Advisory, AdvisoryKind, Affected, SourceKind, Status, StoredRange};
use parapet_versions::Scheme;
use parapet_versions::osv::Event;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Secdb {
    distroversion: String,
    /// Empty in some releases' files, written as `packages:` with nothing after it.
    #[serde(default)]
    packages: Option<Vec<Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Package,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    secfixes: Option<BTreeMap<String, Option<Vec<String>>>>,
}

/// What one secdb file gave: one advisory per CVE (Alpine has no advisory IDs of its own), and
/// the entries left out with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub advisories: Vec<Advisory>,
    pub problems: Vec<String>,
}

pub fn parse(text: &str) -> Result<Parsed, String> {
    let secdb: Secdb = serde_saphyr::from_str(text)
        .map_err(|e| format!("not an Alpine secdb file: {}", super::first_line(&e.to_string())))?;
    let release = secdb.distroversion.trim();
    if !release.starts_with('v') {
        return Err(format!("distroversion {release:?} is not a release such as v3.18"));
    }
    let ecosystem = format!("Alpine:{release}");
    let mut parsed = Parsed::default();
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for Entry { pkg } in secdb.packages.unwrap_or_default() {
        for (version, ids) in pkg.secfixes.unwrap_or_default() {
            let version = version.trim();
            let (status, ranges) = if version == "0" {
                (Status::NotAffected, Vec::new())
            } else if let Err(e) = Scheme::Apk.validate(version) {
                parsed.problems.push(format!("{} {version}: {e}", pkg.name));
                continue;
            } else {
                let events = vec![Event::Introduced("0".to_owned()), Event::Fixed(version.to_owned())];
                (Status::Affected, vec![StoredRange { semver: false, events }])
            };
            // Entries are sometimes "CVE-2019-1234 CVE-2019-1235" or carry a remark after the ID.
            for id in ids.iter().flatten().flat_map(|line| line.split_whitespace()).filter(|w| looks_like_id(w)) {
                let advisory = by_id.entry(id.to_owned()).or_insert_with(|| Advisory {
                    id: id.to_owned(),
                    aliases: Vec::new(),
                    source: SourceKind::AlpineSecdb,
                    kind: AdvisoryKind::Vulnerability,
                    title: id.to_owned(),
                    severity: None,
                    cvss: None,
                    url: Some(format!("https://security.alpinelinux.org/vuln/{id}")),
                    affected: Vec::new(),
                });
                advisory.affected.push(Affected {
                    ecosystem: ecosystem.clone(),
                    package: pkg.name.clone(),
                    by_source: true,
                    status: status.clone(),
                    ranges: ranges.clone(),
                    versions: Vec::new(),
                    fixed: Vec::new(),
                });
            }
        }
    }
    parsed.advisories = by_id.into_values().collect();
    Ok(parsed)
}

/// `CVE-2019-1234`, `XSA-123`, `GHSA-…`: letters, a dash, then more.
fn looks_like_id(word: &str) -> bool {
    word.split_once('-').is_some_and(|(prefix, rest)| {
        !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_uppercase()) && !rest.is_empty()
    })
}
