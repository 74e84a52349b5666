//! Researcher intake: decoding and validating a vulnerability report from outside.
//!
//! This is the one parser that anybody on the internet can reach without an account, so it
//! is kept pure (bytes in, validated report or field error out) and fuzzed.

use parapet_model::{CaseDraft, CaseFields, FieldError, validate};
use serde::Deserialize;

/// A report as the public sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub reporter_name: Option<String>,
    #[serde(default)]
    pub reporter_email: Option<String>,
    /// Free text naming the affected product, as the reporter knows it.
    #[serde(default)]
    pub product: Option<String>,
}

/// A validated report, ready to become a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub fields: CaseFields,
}

impl ReportInput {
    pub fn validate(&self) -> Result<Report, FieldError> {
        let product = match &self.product {
            Some(p) => validate::optional_text("product", p, 200)?,
            None => None,
        };
        let mut description =
            validate::required_text("description", &self.description, parapet_model::case::MAX_DESCRIPTION)?;
        if let Some(product) = product {
            description = format!("Product (as reported): {product}\n\n{description}");
        }
        let draft = CaseDraft {
            title: Some(self.title.clone()),
            description: Some(description),
            reporter_name: self.reporter_name.clone(),
            reporter_email: self.reporter_email.clone(),
            credits: self.reporter_name.clone().map(|n| vec![n]),
            ..CaseDraft::default()
        };
        Ok(Report { fields: draft.apply(&CaseFields::default())? })
    }
}

/// Decodes and validates the body of `POST /api/v1/reports`.
pub fn decode_report(body: &[u8]) -> Result<Report, crate::error::ApiError> {
    let input: ReportInput = crate::extract::decode(body)?;
    Ok(input.validate()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports() {
        let ok = decode_report(
            br#"{"title": "XSS", "description": "in search", "reporter_email": "r@example.org", "product": "Widget"}"#,
        )
        .unwrap();
        assert_eq!(ok.fields.title, "XSS");
        assert!(ok.fields.description.starts_with("Product (as reported): Widget"));
        let table: [(&[u8], &str); 6] = [
            (br#"{"description": "d"}"#, "title"),
            (br#"{"title": " ", "description": "d"}"#, "title"),
            (br#"{"title": "t", "description": "d", "reporter_email": "nope"}"#, "reporter_email"),
            (br#"{"title": "t", "description": "d", "severity": "critical"}"#, "severity"),
            (br#"{"title": "t", "description": 5}"#, "description"),
            (b"\xff\xfe", "body"),
        ];
        for (body, field) in table {
            let err = decode_report(body).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{}", String::from_utf8_lossy(body));
        }
    }
}
