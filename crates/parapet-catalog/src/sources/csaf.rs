//! CSAF 2.0 security advisories: the products of the product tree that carry a package URL are
//! matched like any other package; their versions come from the purl, a `product_version`
//! branch or a `product_version_range` branch above them.
//!
//! Products without a package URL are matched by their CPE name (ecosystem `CPE`, name
//! `vendor:product`, generic version order), as SBOM components with a CPE are. Products named
//! by neither cannot be matched against an inventory and are left out, counted in the problems.

use super::Record;
use crate::model::{Advisory, AdvisoryKind, Affected, SourceKind, Status, StoredRange};
use crate::normalize_name;
use parapet_model::{CvssV3, CvssV4, Severity};
use parapet_versions::csaf::ProductVersionRange;
use parapet_versions::osv::Event;
use parapet_versions::vers::Comparator;
use parapet_versions::{Scheme, VersionError};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A product of the tree, as far as matching needs it.
#[derive(Debug, Clone, Default)]
pub struct Product {
    pub purl: Option<String>,
    /// A CPE name, for products without a package URL.
    pub cpe: Option<String>,
    /// The name of the nearest `product_version` branch above it.
    pub version: Option<String>,
    /// The name of the nearest `product_version_range` branch above it.
    pub range: Option<String>,
}

/// Reads one CSAF document.
pub fn parse(text: &str) -> Result<Record, String> {
    let document: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let tracking = &document["document"]["tracking"];
    let id = tracking["id"].as_str().filter(|s| !s.trim().is_empty()).ok_or("no /document/tracking/id")?;
    let title = document["document"]["title"].as_str().unwrap_or(id);
    let products = products(&document["product_tree"]);
    let mut problems = Vec::new();
    let mut aliases = Vec::new();
    let mut vectors = (None, None);
    let mut affected: BTreeMap<(String, String), Affected> = BTreeMap::new();
    for (index, vulnerability) in document["vulnerabilities"].as_array().into_iter().flatten().enumerate() {
        if let Some(cve) = vulnerability["cve"].as_str() {
            aliases.push(cve.to_owned());
        }
        for score in vulnerability["scores"].as_array().into_iter().flatten() {
            if let Some(v) = score["cvss_v4"]["vectorString"].as_str().and_then(|v| CvssV4::parse(v).ok())
                && vectors.1.as_ref().is_none_or(|known: &CvssV4| v.score > known.score)
            {
                vectors.1 = Some(v);
            }
            if let Some(v) = score["cvss_v3"]["vectorString"].as_str().and_then(|v| CvssV3::parse(v).ok())
                && vectors.0.as_ref().is_none_or(|known: &CvssV3| v.score > known.score)
            {
                vectors.0 = Some(v);
            }
        }
        let status = &vulnerability["product_status"];
        let ids = |key: &str| status[key].as_array().into_iter().flatten().filter_map(Value::as_str);
        for product_id in ids("known_affected").chain(ids("first_affected")).chain(ids("last_affected")) {
            let Some(product) = products.get(product_id) else {
                problems.push(format!("vulnerabilities[{index}]: product {product_id:?} is not in the product tree"));
                continue;
            };
            match entry(product) {
                Ok(Some((key, range, version))) => {
                    let target = affected.entry(key.clone()).or_insert_with(|| Affected {
                        ecosystem: key.0.clone(),
                        package: key.1.clone(),
                        by_source: false,
                        status: Status::Affected,
                        ranges: Vec::new(),
                        versions: Vec::new(),
                        fixed: Vec::new(),
                    });
                    target.ranges.extend(range);
                    target.versions.extend(version);
                }
                Ok(None) => {
                    problems.push(format!("product {product_id:?} has no package URL or CPE and cannot be matched"))
                }
                Err(e) => problems.push(format!("product {product_id:?}: {e}")),
            }
        }
        for product_id in ids("fixed").chain(ids("first_fixed")) {
            if let Some(Ok(Some((key, _, Some(version))))) = products.get(product_id).map(entry)
                && let Some(target) = affected.get_mut(&key)
                && !target.fixed.contains(&version)
            {
                target.fixed.push(version);
            }
        }
    }
    let severity = Severity::derive(vectors.0.as_ref(), vectors.1.as_ref());
    let cvss = vectors.1.map(|v| v.vector).or(vectors.0.map(|v| v.vector));
    aliases.retain(|a| a != id);
    aliases.dedup();
    let url = document["document"]["references"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["category"] == "self")
        .and_then(|r| r["url"].as_str())
        .map(str::to_owned);
    let kind = match document["document"]["category"].as_str() {
        Some("csaf_informational_advisory") => AdvisoryKind::Informational("notice".to_owned()),
        _ => AdvisoryKind::Vulnerability,
    };
    let advisory = Advisory {
        id: id.to_owned(),
        aliases,
        source: SourceKind::Csaf,
        kind,
        title: super::osv::title_of(Some(title), None, id),
        severity,
        cvss,
        url,
        affected: affected.into_values().collect(),
    };
    Ok(Record::Advisory { advisory, problems })
}

type Entry = ((String, String), Option<StoredRange>, Option<String>);

/// The package, and the range or version of one product: by its package URL when OSV has an
/// ecosystem for it, else by its CPE name; `None` with neither.
fn entry(product: &Product) -> Result<Option<Entry>, VersionError> {
    let invalid = |text: &str, reason: &str| VersionError::Range { range: text.to_owned(), reason: reason.to_owned() };
    let by_purl = match product.purl.as_deref() {
        Some(text) => {
            let purl = parapet_versions::purl::parse(text).map_err(|reason| invalid(text, reason))?;
            match (purl.ecosystem(), purl.package_name()) {
                (Some(ecosystem), Some(name)) => Some((ecosystem, name, purl.package_version())),
                _ => None,
            }
        }
        None => None,
    };
    let by_cpe = || -> Result<Option<(String, String, Option<String>)>, VersionError> {
        let Some(text) = product.cpe.as_deref() else { return Ok(None) };
        let cpe = parapet_versions::cpe::parse(text).map_err(|reason| invalid(text, reason))?;
        Ok(Some((parapet_versions::cpe::ECOSYSTEM.to_owned(), cpe.package_name(), cpe.version.clone())))
    };
    let Some((ecosystem, name, version)) = (match by_purl {
        Some(found) => Some(found),
        None => by_cpe()?,
    }) else {
        return Ok(None);
    };
    let scheme = Scheme::parse(&ecosystem)?;
    let key = (ecosystem.clone(), normalize_name(&ecosystem, &name));
    if let Some(version) = version.or_else(|| product.version.clone()) {
        scheme.validate(&version)?;
        return Ok(Some((key, None, Some(version))));
    }
    let Some(range) = product.range.as_deref() else {
        // A package with no version anywhere: every version.
        return Ok(Some((key, Some(everything()), None)));
    };
    let events = match ProductVersionRange::parse(range, scheme)? {
        ProductVersionRange::All => return Ok(Some((key, Some(everything()), None))),
        ProductVersionRange::Vers(vers) => events_of(range, vers.constraints())?,
        ProductVersionRange::VersLike { constraints, .. } => events_of(range, &constraints)?,
    };
    Ok(Some((key, Some(StoredRange { semver: false, events }), None)))
}

fn everything() -> StoredRange {
    StoredRange { semver: false, events: vec![Event::Introduced("0".to_owned())] }
}

/// OSV events for one interval of constraints (`>=A|<B`, `<B`, `<=B`); anything more involved
/// cannot be written as one OSV range and is refused.
fn events_of(range: &str, constraints: &[parapet_versions::vers::Constraint]) -> Result<Vec<Event>, VersionError> {
    let mut introduced = Event::Introduced("0".to_owned());
    let mut end = None;
    for constraint in constraints {
        let version = constraint.version.clone();
        match constraint.comparator {
            Comparator::Ge => introduced = Event::Introduced(version),
            Comparator::Lt => end = Some(Event::Fixed(version)),
            Comparator::Le => end = Some(Event::LastAffected(version)),
            _ => {
                return Err(VersionError::Range {
                    range: range.to_owned(),
                    reason: "only ranges of the form >=A|<B (or <=B) can be matched".to_owned(),
                });
            }
        }
    }
    Ok([Some(introduced), end].into_iter().flatten().collect())
}

/// Every product ID of a `product_tree` with what is known of it; a relationship's product is
/// known as its component (`product_reference`).
pub fn products(tree: &Value) -> HashMap<String, Product> {
    let mut products = HashMap::new();
    for branch in tree["branches"].as_array().into_iter().flatten() {
        walk(branch, Product::default(), &mut products);
    }
    for full in tree["full_product_names"].as_array().into_iter().flatten() {
        add(full, Product::default(), &mut products);
    }
    for relationship in tree["relationships"].as_array().into_iter().flatten() {
        let component = relationship["product_reference"].as_str().and_then(|r| products.get(r)).cloned();
        if let (Some(component), Some(id)) = (component, relationship["full_product_name"]["product_id"].as_str()) {
            products.insert(id.to_owned(), component);
        }
    }
    products
}

fn walk(branch: &Value, mut inherited: Product, products: &mut HashMap<String, Product>) {
    let name = branch["name"].as_str().map(str::to_owned);
    match branch["category"].as_str() {
        Some("product_version") => inherited.version = name,
        Some("product_version_range") => inherited.range = name,
        _ => {}
    }
    if branch.get("product").is_some() {
        add(&branch["product"], inherited.clone(), products);
    }
    for child in branch["branches"].as_array().into_iter().flatten() {
        walk(child, inherited.clone(), products);
    }
}

fn add(product: &Value, mut known: Product, products: &mut HashMap<String, Product>) {
    let Some(id) = product["product_id"].as_str() else { return };
    known.purl = product["product_identification_helper"]["purl"].as_str().map(str::to_owned);
    known.cpe = product["product_identification_helper"]["cpe"].as_str().map(str::to_owned);
    products.insert(id.to_owned(), known);
}
