//! VEX input: statements that a product is not affected by a vulnerability (or has it fixed),
//! from OpenVEX documents or CSAF VEX documents. A finding a statement covers is suppressed and
//! reported with the statement's justification.

use crate::finding::Finding;
use serde_json::Value;
use std::collections::HashMap;

/// One statement: these vulnerabilities do not affect these products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// IDs of the vulnerability and its aliases.
    pub ids: Vec<String>,
    /// Package URLs of the products; empty means every product.
    pub products: Vec<String>,
    /// `not_affected` or `fixed`.
    pub status: String,
    pub justification: String,
    /// The document it came from.
    pub document: String,
}

/// Reads an OpenVEX or CSAF VEX document; statements other than "not affected" and "fixed" are
/// not suppressions and are left out.
pub fn parse(text: &str, document: &str) -> Result<Vec<Statement>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{document}: not JSON: {e}"))?;
    if value.get("statements").is_some() {
        Ok(openvex(&value, document))
    } else if value["document"]["category"].as_str().is_some() {
        Ok(csaf_vex(&value, document))
    } else {
        Err(format!("{document}: neither an OpenVEX document (no \"statements\") nor a CSAF document"))
    }
}

fn openvex(value: &Value, document: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    for statement in value["statements"].as_array().into_iter().flatten() {
        let status = statement["status"].as_str().unwrap_or_default();
        if status != "not_affected" && status != "fixed" {
            continue;
        }
        let vulnerability = &statement["vulnerability"];
        let mut ids: Vec<String> =
            [vulnerability.as_str(), vulnerability["name"].as_str(), vulnerability["@id"].as_str()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
        ids.extend(
            vulnerability["aliases"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned),
        );
        let products = statement["products"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().or_else(|| p["@id"].as_str()).or_else(|| p["identifiers"]["purl"].as_str()))
            .map(str::to_owned)
            .collect();
        let justification = [statement["justification"].as_str(), statement["impact_statement"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        statements.push(Statement {
            ids,
            products,
            status: status.to_owned(),
            justification,
            document: document.to_owned(),
        });
    }
    statements
}

fn csaf_vex(value: &Value, document: &str) -> Vec<Statement> {
    let purls: HashMap<String, String> = parapet_catalog::sources::csaf::products(&value["product_tree"])
        .into_iter()
        .filter_map(|(id, product)| Some((id, product.purl?)))
        .collect();
    let mut statements = Vec::new();
    for vulnerability in value["vulnerabilities"].as_array().into_iter().flatten() {
        let mut ids: Vec<String> = vulnerability["cve"].as_str().map(str::to_owned).into_iter().collect();
        ids.extend(
            vulnerability["ids"].as_array().into_iter().flatten().filter_map(|i| i["text"].as_str()).map(str::to_owned),
        );
        let flag_for = |product: &str| {
            vulnerability["flags"].as_array().into_iter().flatten().find_map(|flag| {
                let covers = flag["product_ids"].as_array().is_some_and(|ids| ids.iter().any(|i| i == product));
                covers.then(|| flag["label"].as_str().unwrap_or_default().to_owned())
            })
        };
        let impact_for = |product: &str| {
            vulnerability["threats"].as_array().into_iter().flatten().find_map(|threat| {
                let covers = threat["product_ids"].as_array().is_some_and(|ids| ids.iter().any(|i| i == product));
                (covers && threat["category"] == "impact")
                    .then(|| threat["details"].as_str().unwrap_or_default().to_owned())
            })
        };
        for (key, status) in [("known_not_affected", "not_affected"), ("fixed", "fixed")] {
            for product in
                vulnerability["product_status"][key].as_array().into_iter().flatten().filter_map(Value::as_str)
            {
                // A product without a purl cannot be tied to a package: the statement is left out
                // rather than applied to everything.
                let Some(purl) = purls.get(product) else { continue };
                let justification = [flag_for(product), impact_for(product)]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ");
                statements.push(Statement {
                    ids: ids.clone(),
                    products: vec![purl.clone()],
                    status: status.to_owned(),
                    justification,
                    document: document.to_owned(),
                });
            }
        }
    }
    statements
}

/// The statement that covers a package finding, if one does.
pub fn covering<'s>(statements: &'s [Statement], finding: &Finding) -> Option<&'s Statement> {
    let (Some(package), Some(ecosystem)) = (finding.package.as_deref(), finding.ecosystem.as_deref()) else {
        return None;
    };
    statements.iter().find(|statement| {
        let names_issue = statement.ids.iter().any(|id| finding.ids.iter().any(|f| f.eq_ignore_ascii_case(id)));
        names_issue
            && (statement.products.is_empty()
                || statement.products.iter().any(|p| product_is(p, ecosystem, package, finding.installed.as_deref())))
    })
}

/// Whether a purl names the package (and, when it has a version, the installed version).
fn product_is(purl: &str, ecosystem: &str, package: &str, installed: Option<&str>) -> bool {
    let Ok(purl) = parapet_versions::purl::parse(purl) else { return false };
    let same_ecosystem = purl
        .ecosystem()
        .is_some_and(|e| parapet_catalog::ecosystem_base(&e) == parapet_catalog::ecosystem_base(ecosystem));
    same_ecosystem
        && purl.package_name().is_some_and(|name| {
            parapet_catalog::normalize_name(ecosystem, &name) == parapet_catalog::normalize_name(ecosystem, package)
        })
        && purl.package_version().is_none_or(|v| Some(v.as_str()) == installed)
}
