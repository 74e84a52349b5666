//! Security configuration checks of a Debian-like Linux host or of a root folder.
//!
//! Every check is a row in a table ([`checks`]): stable ID, title, severity, rationale,
//! remediation and references, plus a function over a shared [`Context`] that reads and parses
//! each file at most once. [`run`] evaluates the table against a [`Target`] and returns one
//! [`CheckResult`] per check: pass, fail, not applicable or error, always with the evidence that
//! decided it (the file and line, or the value read).
//!
//! A [`Target`] is either the running host (`/`, with `/proc` for effective kernel settings and
//! listening sockets) or a root folder such as an unpacked container image, read as files only.

mod checks;
mod context;
mod facts;
mod target;
mod walk;

use std::panic::{AssertUnwindSafe, catch_unwind};

use parapet_model::Severity;
use serde::Serialize;

pub(crate) use context::Context;
pub use target::Target;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// The check does not apply to this target (the software it checks is not installed, or it
    /// needs the live host and the target is a root folder).
    NotApplicable,
    /// The check could not decide: a file it needs could not be read.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

/// What part of the system a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Ssh,
    Accounts,
    Permissions,
    Kernel,
    Network,
    Firewall,
    Updates,
    FileSystem,
    Services,
    Banners,
}

/// A check's metadata, as listed in the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CheckInfo {
    /// Stable identifier, `PPC-<AREA>-<NNN>`; never reused for a different check.
    pub id: &'static str,
    pub title: &'static str,
    pub area: Area,
    pub severity: Severity,
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// CIS Debian Linux 12 Benchmark sections where they apply, manual pages, kernel documentation.
    pub references: &'static [&'static str],
    #[serde(skip)]
    pub(crate) run: fn(&Context) -> Result<Outcome, String>,
}

/// The result of one check against one target.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    #[serde(flatten)]
    pub info: &'static CheckInfo,
    pub status: Status,
    /// What decided the status: `file:line: text`, a value read, or the reason for an error.
    pub evidence: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown check {0:?}")]
    UnknownCheck(String),
}

/// What a check function decided.
#[derive(Debug)]
pub(crate) struct Outcome {
    status: Status,
    evidence: Vec<String>,
}

impl Outcome {
    pub(crate) fn pass(evidence: Vec<String>) -> Self {
        Outcome { status: Status::Pass, evidence }
    }

    pub(crate) fn fail(evidence: Vec<String>) -> Self {
        Outcome { status: Status::Fail, evidence }
    }

    pub(crate) fn na(reason: impl Into<String>) -> Self {
        Outcome { status: Status::NotApplicable, evidence: vec![reason.into()] }
    }

    pub(crate) fn error(evidence: Vec<String>) -> Self {
        Outcome { status: Status::Error, evidence }
    }

    /// Pass when nothing was found, else fail; `ok` says what passing means.
    pub(crate) fn fail_if_any(findings: Vec<String>, ok: impl Into<String>) -> Self {
        if findings.is_empty() { Outcome::pass(vec![ok.into()]) } else { Outcome::fail(findings) }
    }
}

/// The catalogue: every check's metadata, in report order.
pub fn checks() -> &'static [CheckInfo] {
    checks::all()
}

/// One check's metadata by ID.
pub fn check(id: &str) -> Option<&'static CheckInfo> {
    checks().iter().find(|c| c.id == id)
}

/// Runs every check against `target`.
pub fn run(target: &Target) -> Vec<CheckResult> {
    let ctx = Context::new(target);
    checks().iter().map(|info| evaluate(&ctx, info)).collect()
}

/// Runs the checks named by `ids` (in catalogue order); an unknown ID is an error.
pub fn run_selected<S: AsRef<str>>(target: &Target, ids: &[S]) -> Result<Vec<CheckResult>, Error> {
    for id in ids {
        if check(id.as_ref()).is_none() {
            return Err(Error::UnknownCheck(id.as_ref().to_owned()));
        }
    }
    let ctx = Context::new(target);
    Ok(checks()
        .iter()
        .filter(|info| ids.iter().any(|id| id.as_ref() == info.id))
        .map(|info| evaluate(&ctx, info))
        .collect())
}

fn evaluate(ctx: &Context, info: &'static CheckInfo) -> CheckResult {
    // A bug in one check must cost that check only, never the whole scan.
    let outcome = match catch_unwind(AssertUnwindSafe(|| (info.run)(ctx))) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(reason)) => Outcome::error(vec![reason]),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Outcome::error(vec![format!("check panicked: {message}")])
        }
    };
    CheckResult { info, status: outcome.status, evidence: outcome.evidence }
}
