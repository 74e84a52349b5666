//! Vendors, products and product versions, with the identifiers (CPE, purl) that
//! publishing and assessment match on.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub vendor_id: i64,
    pub vendor_name: String,
    pub name: String,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    pub versions: Vec<ProductVersion>,
}

/// A released version, optionally on a named branch (e.g. `2.x`, `LTS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductVersion {
    pub id: i64,
    pub product_id: i64,
    pub version: String,
    pub branch: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

/// A new product as a client sends it; the vendor is created when it does not exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub vendor: String,
    pub name: String,
    #[serde(default)]
    pub cpe: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
}

/// A new product version as a client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: String,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub cpe: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
}

/// Validated product fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub vendor: String,
    pub name: String,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

impl ProductInput {
    pub fn validate(&self) -> Result<ProductFields, FieldError> {
        Ok(ProductFields {
            vendor: validate::required_text("vendor", &self.vendor, 200)?,
            name: validate::required_text("name", &self.name, 200)?,
            cpe: cpe("cpe", self.cpe.as_deref())?,
            purl: purl("purl", self.purl.as_deref())?,
        })
    }
}

/// Validated version fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFields {
    pub version: String,
    pub branch: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

impl VersionInput {
    pub fn validate(&self) -> Result<VersionFields, FieldError> {
        Ok(VersionFields {
            version: validate::required_text("version", &self.version, 100)?,
            branch: self.branch.as_deref().map(|b| validate::optional_text("branch", b, 100)).transpose()?.flatten(),
            cpe: cpe("cpe", self.cpe.as_deref())?,
            purl: purl("purl", self.purl.as_deref())?,
        })
    }
}

/// A CPE 2.3 formatted string: `cpe:2.3:` and eleven more colon-separated parts.
fn cpe(field: &'static str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let parts = value.split(':').count();
    if value.starts_with("cpe:2.3:") && parts == 13 && !value.contains(char::is_whitespace) && value.len() <= 500 {
        Ok(Some(value.to_owned()))
    } else {
        Err(FieldError::new(
            field,
            format!("{value:?} is not a CPE 2.3 name like cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*"),
        ))
    }
}

/// A package URL: `pkg:type/namespace/name@version`, type lowercase letters, digits, `.+-`.
fn purl(field: &'static str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let valid = value.strip_prefix("pkg:").and_then(|rest| rest.split_once('/')).is_some_and(|(kind, name)| {
        !kind.is_empty()
            && kind.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))
            && !name.is_empty()
            && !name.starts_with('/')
    }) && !value.contains(char::is_whitespace)
        && value.len() <= 500;
    if valid {
        Ok(Some(value.to_owned()))
    } else {
        Err(FieldError::new(field, format!("{value:?} is not a package URL like pkg:cargo/parapet@1.0")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(cpe("cpe", Some("cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*")).unwrap().is_some());
        assert!(cpe("cpe", Some("cpe:/a:acme:widget")).is_err());
        assert!(purl("purl", Some("pkg:deb/debian/openssl@3.0.11?arch=amd64")).unwrap().is_some());
        assert!(purl("purl", Some("pkg:Deb/x")).is_err());
        assert!(purl("purl", Some("openssl")).is_err());
        assert_eq!(purl("purl", Some("  ")).unwrap(), None);
    }
}
