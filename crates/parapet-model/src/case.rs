//! Vulnerability cases: what was reported, how bad it is, and where it stands.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, OffsetDateTime};

use crate::FieldError;
use crate::rating::{CvssV3, CvssV4, Severity, SeverityOverride};
use crate::validate;

/// Longest title and description accepted, in characters.
pub const MAX_TITLE: usize = 300;
pub const MAX_DESCRIPTION: usize = 50_000;
pub const MAX_SHORT: usize = 200;

/// Where a case stands. Transitions are limited to [`CaseState::allowed_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    New,
    Triaged,
    Confirmed,
    FixInProgress,
    FixReady,
    Scheduled,
    Disclosed,
    Rejected,
    Duplicate,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::New,
        CaseState::Triaged,
        CaseState::Confirmed,
        CaseState::FixInProgress,
        CaseState::FixReady,
        CaseState::Scheduled,
        CaseState::Disclosed,
        CaseState::Rejected,
        CaseState::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::New => "new",
            CaseState::Triaged => "triaged",
            CaseState::Confirmed => "confirmed",
            CaseState::FixInProgress => "fix_in_progress",
            CaseState::FixReady => "fix_ready",
            CaseState::Scheduled => "scheduled",
            CaseState::Disclosed => "disclosed",
            CaseState::Rejected => "rejected",
            CaseState::Duplicate => "duplicate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseState::New => "New",
            CaseState::Triaged => "Triaged",
            CaseState::Confirmed => "Confirmed",
            CaseState::FixInProgress => "Fix in progress",
            CaseState::FixReady => "Fix ready",
            CaseState::Scheduled => "Scheduled",
            CaseState::Disclosed => "Disclosed",
            CaseState::Rejected => "Rejected",
            CaseState::Duplicate => "Duplicate",
        }
    }

    /// The states a case may move to from this one.
    ///
    /// Rejected and duplicate cases can be reopened (back to new); a disclosed case is final.
    pub fn allowed_next(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            New => &[Triaged, Rejected, Duplicate],
            Triaged => &[Confirmed, Rejected, Duplicate],
            Confirmed => &[FixInProgress, FixReady, Rejected, Duplicate],
            FixInProgress => &[FixReady, Rejected],
            FixReady => &[Scheduled, FixInProgress],
            Scheduled => &[Disclosed, FixReady],
            Disclosed => &[],
            Rejected => &[New],
            Duplicate => &[New],
        }
    }

    /// Checks a transition; the error lists what is allowed instead.
    pub fn check_transition(self, to: CaseState) -> Result<(), FieldError> {
        if self.allowed_next().contains(&to) {
            return Ok(());
        }
        let allowed = self.allowed_next().iter().map(|s| s.as_str()).collect::<Vec<_>>();
        let allowed = if allowed.is_empty() { "none, it is final".to_owned() } else { allowed.join(", ") };
        Err(FieldError::new(
            "state",
            format!(
                "cannot move a case from {} to {}; allowed from {}: {allowed}",
                self.as_str(),
                to.as_str(),
                self.as_str()
            ),
        ))
    }

    /// Whether the case is still open work (not disclosed, rejected or a duplicate).
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Disclosed | CaseState::Rejected | CaseState::Duplicate)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseState {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let all = CaseState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            FieldError::new("state", format!("unknown state {s:?}; expected one of {all}"))
        })
    }
}

/// How likely exploitation is, as the exploitability index states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExploitabilityIndex {
    ExploitationDetected,
    ExploitationMoreLikely,
    ExploitationLessLikely,
    ExploitationUnlikely,
}

impl ExploitabilityIndex {
    pub const ALL: [ExploitabilityIndex; 4] = [
        ExploitabilityIndex::ExploitationDetected,
        ExploitabilityIndex::ExploitationMoreLikely,
        ExploitabilityIndex::ExploitationLessLikely,
        ExploitabilityIndex::ExploitationUnlikely,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExploitabilityIndex::ExploitationDetected => "exploitation_detected",
            ExploitabilityIndex::ExploitationMoreLikely => "exploitation_more_likely",
            ExploitabilityIndex::ExploitationLessLikely => "exploitation_less_likely",
            ExploitabilityIndex::ExploitationUnlikely => "exploitation_unlikely",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExploitabilityIndex::ExploitationDetected => "Exploitation detected",
            ExploitabilityIndex::ExploitationMoreLikely => "Exploitation more likely",
            ExploitabilityIndex::ExploitationLessLikely => "Exploitation less likely",
            ExploitabilityIndex::ExploitationUnlikely => "Exploitation unlikely",
        }
    }
}

impl FromStr for ExploitabilityIndex {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        ExploitabilityIndex::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let all = ExploitabilityIndex::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            FieldError::new("exploitability_index", format!("unknown value {s:?}; expected one of {all}"))
        })
    }
}

/// The exploitability facts of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploitability {
    pub publicly_disclosed: bool,
    pub exploited: bool,
    pub index: Option<ExploitabilityIndex>,
}

/// A product a case affects: which versions, and which version fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    pub product_id: i64,
    /// Affected versions as a range expression, e.g. `>= 2.0, < 2.4.1`.
    pub versions: String,
    pub fixed_version: Option<String>,
    /// Filled in on reads for display; ignored on input.
    #[serde(default, skip_deserializing)]
    pub product_name: Option<String>,
}

/// Both CVSS vectors of a case with their computed scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CvssScores {
    pub v31: Option<CvssV3>,
    pub v4: Option<CvssV4>,
}

/// Whether a case message is exchanged with the reporter or is an internal note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageVisibility {
    /// Part of the conversation with the reporter; shown on the tracking page.
    Reporter,
    /// An analysts' note; never shown to the reporter.
    Internal,
}

impl MessageVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageVisibility::Reporter => "reporter",
            MessageVisibility::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        s.parse()
    }
}

impl std::str::FromStr for MessageVisibility {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "reporter" => Ok(MessageVisibility::Reporter),
            "internal" => Ok(MessageVisibility::Internal),
            other => Err(FieldError::new(
                "visibility",
                format!("unknown visibility {other:?}; expected reporter or internal"),
            )),
        }
    }
}

/// A case's short public-facing key, e.g. `CASE-42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseKey(pub i64);

impl fmt::Display for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CASE-{}", self.0)
    }
}

/// A vulnerability case as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: i64,
    pub key: String,
    pub state: CaseState,
    pub duplicate_of: Option<i64>,
    #[serde(flatten)]
    pub fields: CaseFields,
    /// The rating in force: the override if there is one, else the derived one.
    pub severity: Option<Severity>,
    pub derived_severity: Option<Severity>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The editable fields of a case, validated.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaseFields {
    pub title: String,
    pub description: String,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub credits: Vec<String>,
    pub affected: Vec<AffectedProduct>,
    pub cwe: Option<String>,
    pub cvss: CvssScores,
    pub severity_override: Option<SeverityOverride>,
    pub exploitability: Exploitability,
    pub cve_id: Option<String>,
    pub disclosure_date: Option<Date>,
}

impl CaseFields {
    pub fn derived_severity(&self) -> Option<Severity> {
        Severity::derive(self.cvss.v31.as_ref(), self.cvss.v4.as_ref())
    }

    pub fn effective_severity(&self) -> Option<Severity> {
        self.severity_override.as_ref().map(|o| o.severity).or_else(|| self.derived_severity())
    }
}

/// A change to a case's fields as a client sends it. Absent fields stay as they are;
/// an empty string clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub credits: Option<Vec<String>>,
    pub affected: Option<Vec<AffectedInput>>,
    pub cwe: Option<String>,
    pub cvss_v31: Option<String>,
    pub cvss_v4: Option<String>,
    /// `critical`, `important`, `moderate` or `low`; empty removes the override.
    pub severity_override: Option<String>,
    pub severity_override_reason: Option<String>,
    pub publicly_disclosed: Option<bool>,
    pub exploited: Option<bool>,
    pub exploitability_index: Option<String>,
    /// A CVE ID to record; assigning one from the reserved pool is a separate action.
    pub cve_id: Option<String>,
    pub disclosure_date: Option<String>,
}

/// One affected product as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedInput {
    pub product_id: i64,
    pub versions: String,
    #[serde(default)]
    pub fixed_version: Option<String>,
}

impl CaseDraft {
    /// Applies this draft on top of `current` and validates the result.
    pub fn apply(&self, current: &CaseFields) -> Result<CaseFields, FieldError> {
        let mut next = current.clone();
        if let Some(title) = &self.title {
            next.title = validate::required_text("title", title, MAX_TITLE)?;
        }
        if let Some(description) = &self.description {
            next.description = validate::required_text("description", description, MAX_DESCRIPTION)?;
        }
        if next.title.is_empty() {
            return Err(FieldError::new("title", "is required"));
        }
        if next.description.is_empty() {
            return Err(FieldError::new("description", "is required"));
        }
        if let Some(v) = &self.reporter_name {
            next.reporter_name = validate::optional_text("reporter_name", v, MAX_SHORT)?;
        }
        if let Some(v) = &self.reporter_email {
            next.reporter_email = validate::email("reporter_email", v)?;
        }
        if let Some(credits) = &self.credits {
            if credits.len() > 50 {
                return Err(FieldError::new("credits", "at most 50 credits"));
            }
            next.credits = credits
                .iter()
                .map(|c| validate::optional_text("credits", c, MAX_SHORT))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()?;
        }
        if let Some(affected) = &self.affected {
            if affected.len() > 200 {
                return Err(FieldError::new("affected", "at most 200 affected products"));
            }
            next.affected = affected
                .iter()
                .map(|a| {
                    Ok(AffectedProduct {
                        product_id: a.product_id,
                        versions: validate::required_text("affected.versions", &a.versions, MAX_SHORT)?,
                        fixed_version: match &a.fixed_version {
                            Some(v) => validate::optional_text("affected.fixed_version", v, MAX_SHORT)?,
                            None => None,
                        },
                        product_name: None,
                    })
                })
                .collect::<Result<_, FieldError>>()?;
        }
        if let Some(v) = &self.cwe {
            next.cwe = validate::cwe_id("cwe", v)?;
        }
        if let Some(v) = &self.cvss_v31 {
            next.cvss.v31 = if v.trim().is_empty() { None } else { Some(CvssV3::parse(v)?) };
        }
        if let Some(v) = &self.cvss_v4 {
            next.cvss.v4 = if v.trim().is_empty() { None } else { Some(CvssV4::parse(v)?) };
        }
        if let Some(v) = &self.severity_override {
            next.severity_override = if v.trim().is_empty() {
                None
            } else {
                let severity: Severity =
                    v.trim().parse().map_err(|e: FieldError| FieldError { field: "severity_override", ..e })?;
                let reason = self
                    .severity_override_reason
                    .as_deref()
                    .map(|r| validate::optional_text("severity_override_reason", r, 2000))
                    .transpose()?
                    .flatten()
                    .or_else(|| next.severity_override.as_ref().map(|o| o.reason.clone()))
                    .ok_or_else(|| {
                        FieldError::new("severity_override_reason", "overriding the rating needs a reason")
                    })?;
                Some(SeverityOverride { severity, reason })
            };
        } else if let (Some(reason), Some(current)) = (&self.severity_override_reason, &mut next.severity_override) {
            current.reason = validate::required_text("severity_override_reason", reason, 2000)?;
        }
        if let Some(v) = self.publicly_disclosed {
            next.exploitability.publicly_disclosed = v;
        }
        if let Some(v) = self.exploited {
            next.exploitability.exploited = v;
        }
        if let Some(v) = &self.exploitability_index {
            next.exploitability.index = if v.trim().is_empty() { None } else { Some(v.trim().parse()?) };
        }
        if let Some(v) = &self.cve_id {
            next.cve_id = if v.trim().is_empty() { None } else { Some(validate::cve_id("cve_id", v)?) };
        }
        if let Some(v) = &self.disclosure_date {
            next.disclosure_date = validate::date("disclosure_date", v)?;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use CaseState::*;
        let table = [
            (New, Triaged, true),
            (New, Disclosed, false),
            (Triaged, Confirmed, true),
            (Confirmed, FixInProgress, true),
            (FixInProgress, FixReady, true),
            (FixReady, Scheduled, true),
            (Scheduled, Disclosed, true),
            (Disclosed, New, false),
            (Rejected, New, true),
            (Duplicate, Triaged, false),
        ];
        for (from, to, ok) in table {
            assert_eq!(from.check_transition(to).is_ok(), ok, "{from} -> {to}");
        }
        let err = New.check_transition(Disclosed).unwrap_err();
        assert_eq!(
            err.message,
            "cannot move a case from new to disclosed; allowed from new: triaged, rejected, duplicate"
        );
        assert!(Disclosed.check_transition(New).unwrap_err().message.contains("none, it is final"));
    }

    #[test]
    fn state_names_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(s.as_str().parse::<CaseState>().unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!("open".parse::<CaseState>().unwrap_err().message.contains("expected one of new"));
    }

    fn draft(json: serde_json::Value) -> CaseDraft {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn draft_applies_and_validates() {
        let created = draft(serde_json::json!({
            "title": " Heap overflow in parser ",
            "description": "details",
            "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "credits": ["Ada", "  "],
        }))
        .apply(&CaseFields::default())
        .unwrap();
        assert_eq!(created.title, "Heap overflow in parser");
        assert_eq!(created.credits, vec!["Ada".to_owned()]);
        assert_eq!(created.effective_severity(), Some(Severity::Critical));

        let overridden = draft(
            serde_json::json!({"severity_override": "moderate", "severity_override_reason": "only with a debug build"}),
        )
        .apply(&created)
        .unwrap();
        assert_eq!(overridden.effective_severity(), Some(Severity::Moderate));
        assert_eq!(overridden.derived_severity(), Some(Severity::Critical));
        let cleared = draft(serde_json::json!({"severity_override": "", "cvss_v31": ""})).apply(&overridden).unwrap();
        assert_eq!(cleared.effective_severity(), None);
    }

    #[test]
    fn draft_errors_name_the_field() {
        let base = CaseFields { title: "t".into(), description: "d".into(), ..Default::default() };
        let table = [
            (serde_json::json!({"title": ""}), "title"),
            (serde_json::json!({"cvss_v31": "CVSS:3.1/AV:N"}), "cvss_v31"),
            (serde_json::json!({"cvss_v4": "nope"}), "cvss_v4"),
            (serde_json::json!({"severity_override": "critical"}), "severity_override_reason"),
            (serde_json::json!({"severity_override": "urgent", "severity_override_reason": "x"}), "severity_override"),
            (serde_json::json!({"exploitability_index": "maybe"}), "exploitability_index"),
            (serde_json::json!({"cve_id": "CVE-1"}), "cve_id"),
            (serde_json::json!({"reporter_email": "not-an-address"}), "reporter_email"),
            (serde_json::json!({"disclosure_date": "tomorrow"}), "disclosure_date"),
            (serde_json::json!({"affected": [{"product_id": 1, "versions": ""}]}), "affected.versions"),
        ];
        for (json, field) in table {
            let err = draft(json.clone()).apply(&base).unwrap_err();
            assert_eq!(err.field, field, "{json}");
        }
        assert!(serde_json::from_value::<CaseDraft>(serde_json::json!({"titel": "x"})).is_err());
    }
}
