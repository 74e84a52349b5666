//! OSV affected ranges: a timeline of `introduced`, `fixed`, `last_affected` and `limit` events,
//! evaluated as the OSV schema's `IncludedInRanges` pseudocode does.
//!
//! `SEMVER` ranges are ordered by SemVer whatever the ecosystem; `ECOSYSTEM` ranges by the
//! ecosystem's scheme. `GIT` ranges need a repository's commit graph and are refused here.

use crate::{Scheme, VersionError};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeType {
    Semver,
    Ecosystem,
    Git,
}

/// One event of `affected[].ranges[].events`, in OSV's JSON form (`{"fixed": "1.2.3"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `"0"` stands for "before every version".
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    /// `"*"` stands for "after every version".
    Limit(String),
}

impl Event {
    fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    /// The version, or `None` for the special bounds `introduced: "0"` and `limit: "*"`.
    fn bound(&self) -> Option<&str> {
        match self {
            Event::Introduced(v) if v == "0" => None,
            Event::Limit(v) if v == "*" => None,
            other => Some(other.version()),
        }
    }

    /// The order of events at the same version in [`Range::events`].
    fn rank(&self) -> u8 {
        match self {
            Event::Introduced(_) => 0,
            Event::Fixed(_) => 1,
            Event::LastAffected(_) => 2,
            Event::Limit(_) => 3,
        }
    }
}

/// The events at one version, as the walk over the timeline meets them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    /// `None` for `introduced: "0"`.
    version: Option<String>,
    introduced: bool,
    fixed: bool,
    last_affected: bool,
}

/// One range, its events checked and sorted, ready to be asked about many versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    scheme: Scheme,
    events: Vec<Event>,
    steps: Vec<Step>,
    /// The `limit` versions, `None` for `"*"`.
    limits: Vec<Option<String>>,
}

impl Range {
    /// A range whose versions are in `scheme`.
    pub fn new(scheme: Scheme, events: Vec<Event>) -> Result<Range, VersionError> {
        for event in &events {
            if let Some(version) = event.bound() {
                scheme.validate(version)?;
            }
        }
        let mut events = events;
        crate::sort_by_version(&mut events, |a, b| {
            let by_version = match (a.bound(), b.bound()) {
                (None, None) => Ordering::Equal,
                // "0" before everything, "*" after everything.
                (None, Some(_)) => {
                    if a.rank() == 0 {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (Some(_), None) => {
                    if b.rank() == 0 {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (Some(x), Some(y)) => scheme.compare(x, y)?,
            };
            Ok(by_version.then_with(|| a.rank().cmp(&b.rank())))
        })?;
        let mut steps: Vec<Step> = Vec::new();
        let mut limits = Vec::new();
        for event in &events {
            let version = event.bound().map(str::to_owned);
            if let Event::Limit(_) = event {
                limits.push(version);
                continue;
            }
            let same = match (steps.last(), &version) {
                (Some(last), Some(v)) => match &last.version {
                    Some(w) => scheme.compare(w, v)? == Ordering::Equal,
                    None => false,
                },
                (Some(last), None) => last.version.is_none(),
                (None, _) => false,
            };
            if !same {
                steps.push(Step { version, introduced: false, fixed: false, last_affected: false });
            }
            let Some(step) = steps.last_mut() else { continue };
            match event {
                Event::Introduced(_) => step.introduced = true,
                Event::Fixed(_) => step.fixed = true,
                Event::LastAffected(_) => step.last_affected = true,
                Event::Limit(_) => {}
            }
        }
        Ok(Range { scheme, events, steps, limits })
    }

    /// A range as OSV gives it: its type, the package's ecosystem and the events.
    pub fn from_osv(range_type: RangeType, ecosystem: &str, events: Vec<Event>) -> Result<Range, VersionError> {
        let scheme = match range_type {
            RangeType::Semver => Scheme::Semver,
            RangeType::Ecosystem => Scheme::parse(ecosystem)?,
            RangeType::Git => {
                return Err(VersionError::range("GIT", "a GIT range is evaluated on the repository's commit graph"));
            }
        };
        Range::new(scheme, events)
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The events, sorted by version.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Whether `version` lies in the range: the schema's walk over the sorted events, with one
    /// reading for what it leaves open. An `introduced` and a `fixed` at the same version cancel
    /// out, whatever their order: databases write both `introduced: X, fixed: X` for "not this
    /// branch" (RustSec) and `fixed: X, introduced: X` for adjacent branches (PyPA), and either
    /// way the state before X is what holds at X.
    pub fn affects(&self, version: &str) -> Result<bool, VersionError> {
        self.scheme.validate(version)?;
        let cmp = |bound: &str| self.scheme.compare(version, bound);
        if !self.limits.is_empty() {
            let mut below_a_limit = false;
            for limit in &self.limits {
                below_a_limit |= match limit {
                    None => true,
                    Some(bound) => cmp(bound)?.is_lt(),
                };
            }
            if !below_a_limit {
                return Ok(false);
            }
        }
        let mut affected = false;
        for step in &self.steps {
            let order = match &step.version {
                None => Ordering::Greater,
                Some(bound) => cmp(bound)?,
            };
            if order.is_lt() {
                // Every later step is at a higher version.
                break;
            }
            match (step.introduced, step.fixed) {
                (true, false) => affected = true,
                (false, true) => affected = false,
                _ => {}
            }
            if step.last_affected && order.is_gt() {
                affected = false;
            }
        }
        Ok(affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_from_osv_json() {
        let events: Vec<Event> =
            serde_json::from_str(r#"[{"introduced": "0"}, {"fixed": "1.2"}, {"last_affected": "2"}, {"limit": "*"}]"#)
                .unwrap();
        assert_eq!(
            events,
            [
                Event::Introduced("0".into()),
                Event::Fixed("1.2".into()),
                Event::LastAffected("2".into()),
                Event::Limit("*".into())
            ]
        );
        assert_eq!(serde_json::from_str::<RangeType>(r#""ECOSYSTEM""#).unwrap(), RangeType::Ecosystem);
    }
}
