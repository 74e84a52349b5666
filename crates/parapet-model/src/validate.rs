//! Rules for single input values: lengths, identifiers, addresses.

use crate::FieldError;

/// Trims `value` and checks it is non-empty and at most `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    optional_text(field, value, max).map(|v| v.unwrap_or_default())
}

/// Trims `value`; empty becomes `None`. Longer than `max` characters, or holding control
/// characters other than newlines and tabs, is an error.
pub fn optional_text(field: &'static str, value: &str, max: usize) -> Result<Option<String>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(field, format!("is {len} characters long; the limit is {max}")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(Some(value.to_owned()))
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    let Some(value) = optional_text(field, value, 254)? else { return Ok(None) };
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ',' | ';'))
        }
        None => false,
    };
    if valid { Ok(Some(value)) } else { Err(FieldError::new(field, format!("{value:?} is not an e-mail address"))) }
}

/// A CVE ID such as `CVE-2026-12345`: the year, then at least four digits.
pub fn cve_id(field: &'static str, value: &str) -> Result<String, FieldError> {
    let value = value.trim().to_ascii_uppercase();
    let mut parts = value.splitn(3, '-');
    let ok = parts.next() == Some("CVE")
        && parts.next().is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|n| (4..=19).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    if ok { Ok(value) } else { Err(FieldError::new(field, format!("{value:?} is not a CVE ID like CVE-2026-1234"))) }
}

/// A CWE ID such as `CWE-79`.
pub fn cwe_id(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    let value = value.trim().to_ascii_uppercase();
    if value.is_empty() {
        return Ok(None);
    }
    match value.strip_prefix("CWE-") {
        Some(n) if !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(value)),
        _ => Err(FieldError::new(field, format!("{value:?} is not a CWE ID like CWE-79"))),
    }
}

/// An ISO 8601 calendar date, `YYYY-MM-DD`.
pub fn date(field: &'static str, value: &str) -> Result<Option<time::Date>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format)
        .map(Some)
        .map_err(|_| FieldError::new(field, format!("{value:?} is not a date like 2026-12-08")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(required_text("title", "  hi  ", 10).unwrap(), "hi");
        assert!(required_text("title", "   ", 10).unwrap_err().message.contains("empty"));
        assert!(required_text("title", "abcdefghijk", 10).unwrap_err().message.contains("limit is 10"));
        assert!(optional_text("title", "a\u{0}b", 10).is_err());
        assert_eq!(optional_text("title", "line\nnext", 20).unwrap().as_deref(), Some("line\nnext"));
    }

    #[test]
    fn identifiers() {
        let cves =
            [("cve-2026-1234", true), ("CVE-2026-123", false), ("CVE-26-1234", false), ("CVE-2026-12345678", true)];
        for (value, ok) in cves {
            assert_eq!(cve_id("cve_id", value).is_ok(), ok, "{value}");
        }
        assert_eq!(cwe_id("cwe", "cwe-79").unwrap().as_deref(), Some("CWE-79"));
        assert!(cwe_id("cwe", "CWE-x").is_err());
        assert!(email("email", "a@b.example").unwrap().is_some());
        for bad in ["a@b", "@b.example", "a b@c.example", "a@b.example>", "a@@b.example"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert!(date("disclosure_date", "2026-02-30").is_err());
        assert!(date("disclosure_date", "2026-12-08").unwrap().is_some());
    }
}
