//! OSV records (the Open Source Vulnerability format), in JSON or YAML, one record a file.

use super::Record;
use crate::model::{Advisory, AdvisoryKind, Affected, SourceKind, Status, StoredRange};
use crate::normalize_name;
use parapet_model::{CvssV3, CvssV4, Severity};
use parapet_versions::osv::{Event, Range, RangeType};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

/// Reads one OSV record from JSON.
pub fn parse_json(text: &str) -> Result<Record, String> {
    let osv: Osv = serde_json::from_str(text).map_err(|e| format!("not an OSV record: {e}"))?;
    convert(osv)
}

/// Reads one OSV record from YAML (the PyPA database's format).
pub fn parse_yaml(text: &str) -> Result<Record, String> {
    let osv: Osv = serde_saphyr::from_str(text)
        .map_err(|e| format!("not an OSV record: {}", super::first_line(&e.to_string())))?;
    convert(osv)
}

fn convert(osv: Osv) -> Result<Record, String> {
    if osv.id.trim().is_empty() {
        return Err("the record has an empty id".to_owned());
    }
    if osv.withdrawn.is_some() {
        return Ok(Record::Withdrawn(osv.id));
    }
    let mut problems = Vec::new();
    let mut affected = Vec::new();
    let mut informational = informational_of(osv.database_specific.as_ref());
    let mut severity = severity_of(osv.severity.as_deref().unwrap_or_default());
    for (index, entry) in osv.affected.unwrap_or_default().into_iter().enumerate() {
        informational = informational.or_else(|| informational_of(entry.database_specific.as_ref()));
        severity = severity
            .or_else(|| severity_of(entry.severity.as_deref().unwrap_or_default()))
            .or_else(|| cvss_in(entry.database_specific.as_ref()));
        let Some(package) = entry.package else { continue };
        let scheme_check = parapet_versions::Scheme::parse(&package.ecosystem);
        let mut ranges = Vec::new();
        let mut bad = None;
        for (number, range) in entry.ranges.unwrap_or_default().into_iter().enumerate() {
            let kind = match range.kind.as_str() {
                "SEMVER" => RangeType::Semver,
                "ECOSYSTEM" => RangeType::Ecosystem,
                // Commit ranges need the repository; the version ranges beside them suffice.
                "GIT" => continue,
                other => {
                    bad = Some(format!("range {number} has unknown type {other:?}"));
                    break;
                }
            };
            match Range::from_osv(kind, &package.ecosystem, range.events) {
                Ok(checked) => {
                    ranges.push(StoredRange { semver: kind == RangeType::Semver, events: checked.events().to_vec() })
                }
                Err(e) => {
                    bad = Some(format!("range {number}: {e}"));
                    break;
                }
            }
        }
        let versions = entry.versions.unwrap_or_default();
        if bad.is_none() {
            match scheme_check {
                Ok(scheme) => {
                    if let Some(e) = versions.iter().find_map(|v| scheme.validate(v).err()) {
                        bad = Some(e.to_string());
                    }
                }
                Err(e) if !ranges.is_empty() || !versions.is_empty() => bad = Some(e.to_string()),
                Err(_) => {}
            }
        }
        if let Some(reason) = bad {
            problems.push(format!("affected[{index}] ({} {}): {reason}", package.ecosystem, package.name));
            continue;
        }
        if ranges.is_empty() && versions.is_empty() {
            continue;
        }
        affected.push(Affected {
            package: normalize_name(&package.ecosystem, &package.name),
            ecosystem: package.ecosystem,
            by_source: false,
            status: Status::Affected,
            ranges,
            versions,
            fixed: Vec::new(),
        });
    }
    let title = title_of(osv.summary.as_deref(), osv.details.as_deref(), &osv.id);
    let url = osv.references.unwrap_or_default().into_iter().max_by_key(|r| r.kind == "ADVISORY").map(|r| r.url);
    let (severity, cvss) = severity.map_or((None, None), |(s, v)| (s, v));
    let severity = severity.or_else(|| database_severity(osv.database_specific.as_ref()));
    let advisory = Advisory {
        aliases: osv.aliases.unwrap_or_default().into_iter().filter(|a| *a != osv.id).collect(),
        id: osv.id,
        source: SourceKind::Osv,
        kind: informational.map_or(AdvisoryKind::Vulnerability, AdvisoryKind::Informational),
        title,
        severity,
        cvss,
        url,
        affected,
    };
    Ok(Record::Advisory { advisory, problems })
}

/// The first line of the summary, else of the details, else the ID; at most 200 characters.
pub(crate) fn title_of(summary: Option<&str>, details: Option<&str>, id: &str) -> String {
    let text = [summary, details].into_iter().flatten().map(str::trim).find(|t| !t.is_empty()).unwrap_or(id);
    let line = text.lines().next().unwrap_or(id).trim();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

fn informational_of(database_specific: Option<&Value>) -> Option<String> {
    database_specific?.get("informational")?.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The rating from the first CVSS vector that parses: v4 preferred, as Parapet's rule says.
fn severity_of(entries: &[OsvSeverity]) -> Option<(Option<Severity>, Option<String>)> {
    let v4 = entries.iter().filter(|e| e.kind == "CVSS_V4").find_map(|e| CvssV4::parse(&e.score).ok());
    let v3 = entries.iter().filter(|e| e.kind == "CVSS_V3").find_map(|e| CvssV3::parse(&e.score).ok());
    if v4.is_none() && v3.is_none() {
        return None;
    }
    let vector = v4.as_ref().map(|v| v.vector.clone()).or_else(|| v3.as_ref().map(|v| v.vector.clone()));
    Some((Severity::derive(v3.as_ref(), v4.as_ref()), vector))
}

/// RustSec keeps its vector in `affected[].database_specific.cvss`.
fn cvss_in(database_specific: Option<&Value>) -> Option<(Option<Severity>, Option<String>)> {
    let vector = database_specific?.get("cvss")?.as_str()?;
    let entry = OsvSeverity {
        kind: if vector.starts_with("CVSS:4") { "CVSS_V4" } else { "CVSS_V3" }.to_owned(),
        score: vector.to_owned(),
    };
    severity_of(std::slice::from_ref(&entry))
}

/// GitHub's advisories carry a word rather than a vector.
fn database_severity(database_specific: Option<&Value>) -> Option<Severity> {
    match database_specific?.get("severity")?.as_str()?.to_ascii_uppercase().as_str() {
        "LOW" => Some(Severity::Low),
        "MODERATE" | "MEDIUM" => Some(Severity::Moderate),
        "HIGH" => Some(Severity::Important),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}
