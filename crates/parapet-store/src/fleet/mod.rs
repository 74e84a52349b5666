//! The fleet: enrollment secrets, hosts and their check-ins, groups, and what every host still
//! needs.
//!
//! A host's inventory is stored once per distinct package list (`fleet_inventories`, the list
//! one column of the row: see `package_lists`) and each package once per distinct version
//! (`fleet_packages`). What the catalog says about a package (its update, its vulnerabilities)
//! is computed by the server, which owns the matching, and written back here; each inventory
//! keeps the sums of its packages' results. A catalog change therefore costs one computation per
//! distinct package it touches, however many hosts have it, and a recount of the inventories
//! holding the packages whose results changed.
//!
//! By concern: `enroll` (secrets, enrollment, groups), `check_in` (what an agent writes),
//! `findings` (the computed results, the catalog changes to recompute, exposure), `package_lists`
//! (an inventory's packages, and which inventories hold a package) and `reports`
//! (what the console and the API read).

mod check_in;
mod enroll;
mod findings;
mod harden;
mod jobs;
mod malware;
mod package_lists;
mod remediation;
mod reports;
mod rules;
mod updates;

use parapet_model::{HostFacts, Severity, Tag};
use serde::Serialize;
use time::OffsetDateTime;

pub(crate) use check_in::PackageIds;
pub use check_in::{AgentHost, CheckInOutcome, CheckInWrite, PlainAccepted, PlainCheckIn};
pub use enroll::{Enrollment, NewEnrollmentSecret, NewGroup, NewHost};
pub use findings::{ComputedFix, ComputedPackage, FleetLease, PackageToCompute, SuiteUpdate};
pub use harden::{GroupHardenPolicy, HostHarden, ReportedHarden};
pub use jobs::{NewJobPackage, ReportRecorded, StoredJob};
pub use malware::{FamilyCount, MalwareEvent, MonthlyMalware};
pub use remediation::{GroupRemediation, Remediation, RemediationFigure, RemediationStats, UpdateRemediation};
pub use reports::{
    AdvisoryStatus, CheckInRecord, ExposedHost, Exposure, ExposureSample, GroupStatus, HostDetail, HostPackage,
    HostQuery, HostSummary,
};
pub use rules::{InstallCounts, NewRing, NewRule, Ring, RingProgress, Rule, RuleTarget};
pub use updates::{
    Approval, ApprovalChange, ApprovedBy, FleetUpdate, FleetUpdateQuery, GroupRollout, HostRollout, UpdateRow,
};

/// An enrollment secret as stored; the secret itself is never kept.
#[derive(Debug, Clone, Serialize)]
pub struct EnrollmentSecret {
    pub id: i64,
    pub name: String,
    /// The group hosts enrolled with it join.
    pub group: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl EnrollmentSecret {
    /// `active`, `revoked`, `expired` or `used-up`.
    pub fn state(&self, now: OffsetDateTime) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            "used-up"
        } else {
            "active"
        }
    }
}

/// A computer group.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Tags a host must all carry to be a member by rule; empty when members are assigned.
    pub rule: Vec<Tag>,
    pub hosts: i64,
}

/// What a check-in or a computation gives about one package, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PackageFinding {
    /// `missing-update` or `vulnerable`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The advisory IDs and aliases, the primary first.
    pub ids: Vec<String>,
    pub title: String,
    /// The version that fixes it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Why there is no fix (`no-dsa`, `unfixed`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

pub(crate) fn facts_json(facts: &HostFacts) -> Result<String, crate::StoreError> {
    serde_json::to_string(facts).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}

/// What tells a check-in's facts from the last ones: their JSON without the uptime, which
/// moves every time, hashed.
pub(crate) fn facts_digest(facts: &HostFacts) -> Result<String, crate::StoreError> {
    use sha2::Digest;
    let steady = HostFacts { uptime_seconds: 0, ..facts.clone() };
    Ok(format!("{:x}", sha2::Sha256::digest(facts_json(&steady)?.as_bytes())))
}

pub(crate) fn tags_json(tags: &[Tag]) -> String {
    serde_json::to_string(&tags.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn tags_of(json: &str) -> Vec<Tag> {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default().iter().filter_map(|t| t.parse().ok()).collect()
}
