//! Scores and ratings: CVSS v3.1 and v4.0 vectors, and the vendor severity rating.
//!
//! The vendor rating (Critical, Important, Moderate, Low) is a different scale from
//! CVSS's qualitative severity. Parapet derives it from CVSS by one documented rule,
//! [`Severity::derive`], and lets an analyst override it with a reason.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// The vendor severity rating, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Moderate,
    Important,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::Important, Severity::Moderate, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::Important => "important",
            Severity::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Moderate => "Moderate",
            Severity::Important => "Important",
            Severity::Critical => "Critical",
        }
    }

    /// Sort key used by the store: higher is more severe.
    pub fn rank(self) -> i64 {
        self as i64 + 1
    }

    pub fn from_rank(rank: i64) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.rank() == rank)
    }

    /// The documented rule from CVSS to the vendor rating.
    ///
    /// The CVSS v4.0 base score is used when present, else the v3.1 base score:
    ///
    /// | base score | rating |
    /// |---|---|
    /// | 9.0 – 10.0 | Critical |
    /// | 7.0 – 8.9 | Important |
    /// | 4.0 – 6.9 | Moderate |
    /// | 0.1 – 3.9 | Low |
    ///
    /// Critical means exploitation without user interaction, so a vector that requires
    /// user interaction (`UI:R` in v3.1, `UI:P` or `UI:A` in v4.0) is capped at Important.
    /// A score of 0.0 and no vector at all give no rating.
    pub fn derive(v3: Option<&CvssV3>, v4: Option<&CvssV4>) -> Option<Severity> {
        let (score, needs_interaction) = match (v4, v3) {
            (Some(v4), _) => (v4.score, v4.requires_user_interaction()),
            (None, Some(v3)) => (v3.score, v3.requires_user_interaction()),
            (None, None) => return None,
        };
        let banded = if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::Important
        } else if score >= 4.0 {
            Severity::Moderate
        } else if score > 0.0 {
            Severity::Low
        } else {
            return None;
        };
        Some(if needs_interaction { banded.min(Severity::Important) } else { banded })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Severity {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        Severity::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            FieldError::new(
                "severity",
                format!("unknown severity {s:?}; expected critical, important, moderate or low"),
            )
        })
    }
}

/// An analyst's override of the derived rating, always with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityOverride {
    pub severity: Severity,
    pub reason: String,
}

/// A validated CVSS v3.1 (or v3.0) base vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssV3 {
    pub vector: String,
    pub score: f64,
}

impl CvssV3 {
    pub fn parse(vector: &str) -> Result<CvssV3, FieldError> {
        const FIELD: &str = "cvss_v31";
        let vector = vector.trim();
        if !(vector.starts_with("CVSS:3.1/") || vector.starts_with("CVSS:3.0/")) {
            return Err(FieldError::new(
                FIELD,
                format!("{vector:?} is not a CVSS v3.1 vector: it must start with \"CVSS:3.1/\""),
            ));
        }
        let parsed = cvss::v3::Vector::from_str(vector)
            .map_err(|e| FieldError::new(FIELD, format!("invalid CVSS v3.1 vector {vector:?}: {e}")))?;
        require_metrics(FIELD, vector, &["AV", "AC", "PR", "UI", "S", "C", "I", "A"])?;
        Ok(CvssV3 { vector: vector.to_owned(), score: parsed.base_score().value() })
    }

    pub fn severity(&self) -> &'static str {
        qualitative(self.score)
    }

    fn requires_user_interaction(&self) -> bool {
        metric(&self.vector, "UI").is_some_and(|v| v != "N")
    }
}

/// A validated CVSS v4.0 vector and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssV4 {
    pub vector: String,
    pub score: f64,
}

impl CvssV4 {
    pub fn parse(vector: &str) -> Result<CvssV4, FieldError> {
        const FIELD: &str = "cvss_v4";
        let vector = vector.trim();
        if !vector.starts_with("CVSS:4.0/") {
            return Err(FieldError::new(
                FIELD,
                format!("{vector:?} is not a CVSS v4.0 vector: it must start with \"CVSS:4.0/\""),
            ));
        }
        let parsed = cvss::v4::Vector::from_str(vector)
            .map_err(|e| FieldError::new(FIELD, format!("invalid CVSS v4.0 vector {vector:?}: {e}")))?;
        require_metrics(FIELD, vector, &["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"])?;
        Ok(CvssV4 { vector: vector.to_owned(), score: parsed.score().value() })
    }

    pub fn severity(&self) -> &'static str {
        qualitative(self.score)
    }

    fn requires_user_interaction(&self) -> bool {
        metric(&self.vector, "UI").is_some_and(|v| v != "N")
    }
}

/// CVSS's own qualitative scale, shown beside the vendor rating.
fn qualitative(score: f64) -> &'static str {
    if score >= 9.0 {
        "Critical"
    } else if score >= 7.0 {
        "High"
    } else if score >= 4.0 {
        "Medium"
    } else if score > 0.0 {
        "Low"
    } else {
        "None"
    }
}

fn metric<'a>(vector: &'a str, name: &str) -> Option<&'a str> {
    vector.split('/').skip(1).find_map(|part| part.split_once(':').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

fn require_metrics(field: &'static str, vector: &str, names: &[&str]) -> Result<(), FieldError> {
    let missing: Vec<&str> = names.iter().copied().filter(|n| metric(vector, n).is_none()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(FieldError::new(field, format!("CVSS vector {vector:?} lacks base metric(s) {}", missing.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v31_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (vector, score) in cases {
            assert_eq!(CvssV3::parse(vector).unwrap().score, score, "{vector}");
        }
    }

    #[test]
    fn v4_scores() {
        let cases = [
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
            ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5),
        ];
        for (vector, score) in cases {
            assert_eq!(CvssV4::parse(vector).unwrap().score, score, "{vector}");
        }
    }

    #[test]
    fn invalid_vectors_name_the_problem() {
        let cases = [
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"),
            ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid CVSS v3.1 vector"),
            ("CVSS:3.1/AV:N/AC:L", "lacks base metric"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; DROP TABLE cases;--", "invalid"),
        ];
        for (vector, needle) in cases {
            let err = CvssV3::parse(vector).unwrap_err();
            assert_eq!(err.field, "cvss_v31");
            assert!(err.message.contains(needle), "{vector}: {}", err.message);
        }
        assert_eq!(CvssV4::parse("CVSS:4.0/AV:N").unwrap_err().field, "cvss_v4");
    }

    #[test]
    fn derived_rating_rule() {
        let v3 = |v: &str| CvssV3::parse(v).unwrap();
        let v4 = |v: &str| CvssV4::parse(v).unwrap();
        let table = [
            (Some(v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")), None, Some(Severity::Critical)),
            // 9.6 but needs user interaction: capped.
            (Some(v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H")), None, Some(Severity::Important)),
            (Some(v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")), None, Some(Severity::Moderate)),
            (Some(v3("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")), None, Some(Severity::Low)),
            (Some(v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")), None, None),
            // v4 wins over v3 when both are present.
            (
                Some(v3("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")),
                Some(v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")),
                Some(Severity::Critical),
            ),
            (None, None, None),
        ];
        for (a, b, expected) in table {
            assert_eq!(Severity::derive(a.as_ref(), b.as_ref()), expected, "{a:?} {b:?}");
        }
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::Important);
        assert_eq!("Important".parse::<Severity>().unwrap(), Severity::Important);
        assert_eq!("severe".parse::<Severity>().unwrap_err().field, "severity");
        for s in Severity::ALL {
            assert_eq!(Severity::from_rank(s.rank()), Some(s));
        }
    }
}
