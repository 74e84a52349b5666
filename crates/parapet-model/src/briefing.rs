//! Briefings and webcasts a security team schedules around its releases: public, listed in the
//! calendar feed with their join link.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Briefing {
    pub id: i64,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub duration_minutes: u32,
    pub join_url: String,
    pub description: String,
    /// A cancelled briefing stays in the calendar, marked cancelled, so subscribers' copies update.
    pub cancelled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A briefing as a publisher writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BriefingInput {
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(default = "default_duration")]
    pub duration_minutes: u32,
    pub join_url: String,
    #[serde(default)]
    pub description: String,
}

fn default_duration() -> u32 {
    60
}

impl BriefingInput {
    pub fn validate(self) -> Result<BriefingInput, FieldError> {
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(FieldError::new("title", "a title of 1 to 200 characters is required"));
        }
        if !(1..=24 * 60).contains(&self.duration_minutes) {
            return Err(FieldError::new("duration_minutes", "between 1 minute and 24 hours"));
        }
        let join_url = self.join_url.trim().to_owned();
        let scheme_ok = join_url.starts_with("https://") || join_url.starts_with("http://");
        if !scheme_ok || join_url.len() > 2000 || join_url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new("join_url", "an http or https URL is required"));
        }
        if self.description.len() > 10_000 {
            return Err(FieldError::new("description", "longer than 10,000 bytes"));
        }
        Ok(BriefingInput { title, join_url, description: self.description.trim().to_owned(), ..self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn validation() {
        let input = |title: &str, url: &str, minutes: u32| BriefingInput {
            title: title.into(),
            starts_at: datetime!(2026-12-09 18:00 UTC),
            duration_minutes: minutes,
            join_url: url.into(),
            description: String::new(),
        };
        assert!(input("Release webcast", "https://meet.example/abc", 60).validate().is_ok());
        for (bad, field) in [
            (input("", "https://x", 60), "title"),
            (input("t", "javascript:alert(1)", 60), "join_url"),
            (input("t", "https://x y", 60), "join_url"),
            (input("t", "https://x", 0), "duration_minutes"),
        ] {
            assert_eq!(bad.validate().unwrap_err().field, field);
        }
    }
}
