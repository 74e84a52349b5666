//! Rollouts: how an approved update reaches the hosts of a group, and when.
//!
//! An update is one version of one package in one ecosystem (`openssl 3.0.15-1~deb12u1` on
//! `Debian:12`). For each computer group it is not approved, approved for install (perhaps with
//! a deadline) or declined. A host gets, for each package, the newest version approved for one
//! of its groups and declined for none, when that is newer than what it has: approving a newer
//! update supersedes the older one's approval, and no approval ever moves a host back.
//!
//! Installs start inside a group's maintenance windows, or at once when the deadline has passed;
//! rings promote an update from group to group after a delay, unless too many of a ring's
//! installs failed; rules approve what matches them after a deferral. All of it is decided here
//! from plain data and an instant given by the caller (tests move the clock), with the time zone
//! resolved by the caller too: nothing here reads a clock or a file.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::{FieldError, Severity};

/// What a group is told to do with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    Install,
    Decline,
}

impl ApprovalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalAction::Install => "install",
            ApprovalAction::Decline => "decline",
        }
    }
}

impl FromStr for ApprovalAction {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<ApprovalAction, FieldError> {
        match text {
            "install" => Ok(ApprovalAction::Install),
            "decline" => Ok(ApprovalAction::Decline),
            other => Err(FieldError::new("action", format!("unknown approval {other:?}; expected install or decline"))),
        }
    }
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// A weekly maintenance window: the days it opens on, when it opens, for how long. Written
/// `sat 02:00-06:00`, `mon-fri 22:00-02:00` (past midnight: it closes the next day),
/// `sat,sun 00:00-24:00` or `daily 03:00-04:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Monday first.
    days: [bool; 7],
    start: Time,
    minutes: i64,
}

fn window_error(text: &str, why: &str) -> FieldError {
    FieldError::new(
        "windows",
        format!("{text:?} is not a maintenance window ({why}); write it like \"sat 02:00-06:00\""),
    )
}

fn day_index(text: &str, name: &str) -> Result<usize, FieldError> {
    DAYS.iter().position(|(_, short)| *short == name).ok_or_else(|| {
        window_error(text, &format!("{name:?} is not a day: mon, tue, wed, thu, fri, sat, sun or daily"))
    })
}

fn minute_of(text: &str, clock: &str, allow_24: bool) -> Result<i64, FieldError> {
    let (hours, minutes) =
        clock.split_once(':').ok_or_else(|| window_error(text, &format!("{clock:?} is not HH:MM")))?;
    let parse = |part: &str| part.parse::<i64>().ok().filter(|_| part.len() == 2);
    let (Some(hours), Some(minutes)) = (parse(hours), parse(minutes)) else {
        return Err(window_error(text, &format!("{clock:?} is not HH:MM")));
    };
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > 24 * 60 || (total == 24 * 60 && !allow_24) {
        return Err(window_error(text, &format!("{clock:?} is not a time of day")));
    }
    Ok(total)
}

impl FromStr for Window {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Window, FieldError> {
        let lowered = text.trim().to_ascii_lowercase();
        let (days_text, span) =
            lowered.split_once(' ').ok_or_else(|| window_error(text, "it needs days and a time span"))?;
        let mut days = [false; 7];
        for part in days_text.split(',') {
            if part == "daily" {
                days = [true; 7];
            } else if let Some((from, to)) = part.split_once('-') {
                let (from, to) = (day_index(text, from)?, day_index(text, to)?);
                let mut day = from;
                loop {
                    days[day] = true;
                    if day == to {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            } else {
                days[day_index(text, part)?] = true;
            }
        }
        let (start, end) =
            span.trim().split_once('-').ok_or_else(|| window_error(text, "the time span is START-END"))?;
        let start_minute = minute_of(text, start.trim(), false)?;
        let end_minute = minute_of(text, end.trim(), true)?;
        let minutes = match end_minute - start_minute {
            0 => return Err(window_error(text, "it opens and closes at the same time")),
            d if d < 0 => d + 24 * 60,
            d => d,
        };
        let start = Time::new((start_minute / 60) as i8, (start_minute % 60) as i8, 0, 0)
            .map_err(|e| window_error(text, &e.to_string()))?;
        Ok(Window { days, start, minutes })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = DAYS.iter().zip(self.days).filter(|(_, on)| *on).map(|((_, name), _)| *name).collect();
        let days = if days.len() == 7 { "daily".to_owned() } else { days.join(",") };
        let start = i64::from(self.start.hour()) * 60 + i64::from(self.start.minute());
        let end = start + self.minutes;
        let end = if end == 24 * 60 { end } else { end % (24 * 60) };
        write!(f, "{days} {:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60)
    }
}

/// When a group's installs may start: always, or inside weekly windows of a time zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Windows {
    /// The IANA name of the zone the windows are in (`Europe/Berlin`, `UTC`).
    pub zone: String,
    /// None: always open.
    pub windows: Vec<Window>,
}

fn timestamp(at: OffsetDateTime) -> jiff::Timestamp {
    jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn offset_date_time(at: jiff::Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Windows {
    /// Always open.
    pub fn always() -> Windows {
        Windows::default()
    }

    pub fn is_always(&self) -> bool {
        self.windows.is_empty()
    }

    /// The windows that start on a day from `first` on, for `count` days: (opens, closes).
    fn spans(&self, zone: &TimeZone, first: Date, count: i64) -> Vec<(OffsetDateTime, OffsetDateTime)> {
        let mut spans = Vec::new();
        let mut day = first;
        for _ in 0..count {
            let weekday = day.weekday().to_monday_zero_offset() as usize;
            for window in self.windows.iter().filter(|w| w.days[weekday]) {
                // A start in a DST gap moves forward, as clocks do.
                if let Ok(opens) = day.to_datetime(window.start).to_zoned(zone.clone()) {
                    let opens = offset_date_time(opens.timestamp());
                    spans.push((opens, opens + Duration::minutes(window.minutes)));
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        spans
    }

    /// Whether installs may start at `at`.
    pub fn is_open(&self, zone: &TimeZone, at: OffsetDateTime) -> bool {
        if self.is_always() {
            return true;
        }
        let today = timestamp(at).to_zoned(zone.clone()).date();
        let Ok(yesterday) = today.yesterday() else { return false };
        self.spans(zone, yesterday, 2).iter().any(|(opens, closes)| *opens <= at && at < *closes)
    }

    /// When installs may next start: `at` itself when open, else the next opening (within a
    /// week; `None` only when no window has a day, which parsing never makes).
    pub fn next_open(&self, zone: &TimeZone, at: OffsetDateTime) -> Option<OffsetDateTime> {
        if self.is_open(zone, at) {
            return Some(at);
        }
        let today = timestamp(at).to_zoned(zone.clone()).date();
        self.spans(zone, today, 9).into_iter().map(|(opens, _)| opens).filter(|opens| *opens > at).min()
    }

    /// How it is stored and shown: `""` for always, else the zone and the windows separated by
    /// `;`: `Europe/Berlin; sat 02:00-06:00; sun 02:00-06:00`.
    pub fn to_text(&self) -> String {
        if self.is_always() {
            return String::new();
        }
        std::iter::once(self.zone.clone())
            .chain(self.windows.iter().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Reads [`Windows::to_text`]'s form; the zone is checked by the caller, which resolves it.
    pub fn parse(text: &str) -> Result<Windows, FieldError> {
        let mut parts = text.split(';').map(str::trim).filter(|p| !p.is_empty());
        let Some(zone) = parts.next() else { return Ok(Windows::always()) };
        if zone.eq_ignore_ascii_case("always") {
            return match parts.next() {
                None => Ok(Windows::always()),
                Some(extra) => Err(FieldError::new("windows", format!("\"always\" takes no windows, not {extra:?}"))),
            };
        }
        if zone.contains(' ') {
            return Err(FieldError::new(
                "windows",
                format!("{zone:?} is not a time zone; start with one, e.g. \"UTC; sat 02:00-06:00\""),
            ));
        }
        let windows = parts.map(str::parse).collect::<Result<Vec<Window>, _>>()?;
        if windows.is_empty() {
            return Err(FieldError::new("windows", format!("no window after the time zone {zone:?}")));
        }
        if windows.len() > 28 {
            return Err(FieldError::new("windows", "more than 28 windows"));
        }
        Ok(Windows { zone: zone.to_owned(), windows })
    }
}

/// When a group's hosts restart after an update that needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RebootPolicy {
    /// Never: someone else restarts them.
    #[default]
    Never,
    /// When one is required, inside a maintenance window.
    InWindow,
    /// When one is required and the deadline of an update it installed has passed, window or
    /// not.
    AtDeadline,
}

impl RebootPolicy {
    pub const ALL: [RebootPolicy; 3] = [RebootPolicy::Never, RebootPolicy::InWindow, RebootPolicy::AtDeadline];

    pub fn as_str(self) -> &'static str {
        match self {
            RebootPolicy::Never => "never",
            RebootPolicy::InWindow => "in-window",
            RebootPolicy::AtDeadline => "at-deadline",
        }
    }
}

impl FromStr for RebootPolicy {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<RebootPolicy, FieldError> {
        RebootPolicy::ALL.into_iter().find(|p| p.as_str() == text).ok_or_else(|| {
            FieldError::new(
                "reboot",
                format!("unknown reboot policy {text:?}; expected never, in-window or at-deadline"),
            )
        })
    }
}

/// One approval that applies to a host, through one of its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostApproval {
    pub id: i64,
    pub group_id: i64,
    pub package: String,
    pub version: String,
    pub action: ApprovalAction,
    pub deadline: Option<OffsetDateTime>,
    /// Stopped by a ring's failure budget: not installed until resumed.
    pub paused: bool,
}

/// An installed package a host has, as planning needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPackageVersion {
    pub name: String,
    pub arch: String,
    pub version: String,
}

/// One package a host should move to a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub package: String,
    pub arch: String,
    pub from: String,
    pub version: String,
    /// The approval it comes from: of all the approvals of that version for the host's groups,
    /// the one with the earliest deadline.
    pub approval_id: i64,
    pub group_id: i64,
    pub deadline: Option<OffsetDateTime>,
}

/// What a host should install: for each package it has, the newest version approved for one of
/// its groups, declined in none, not paused, and newer than the installed one by `compare`
/// (the ecosystem's version order).
pub fn plan(
    installed: &[HostPackageVersion],
    approvals: &[HostApproval],
    compare: impl Fn(&str, &str) -> Ordering,
) -> Vec<Planned> {
    let mut planned = Vec::new();
    for package in installed {
        let of_package = || approvals.iter().filter(|a| a.package == package.name);
        let declined = |version: &str| {
            of_package().any(|a| a.action == ApprovalAction::Decline && compare(&a.version, version) == Ordering::Equal)
        };
        let best = of_package()
            .filter(|a| a.action == ApprovalAction::Install && !a.paused)
            .filter(|a| compare(&a.version, &package.version) == Ordering::Greater)
            .filter(|a| !declined(&a.version))
            .max_by(|a, b| compare(&a.version, &b.version).then_with(|| urgency(b.deadline).cmp(&urgency(a.deadline))));
        if let Some(best) = best {
            planned.push(Planned {
                package: package.name.clone(),
                arch: package.arch.clone(),
                from: package.version.clone(),
                version: best.version.clone(),
                approval_id: best.id,
                group_id: best.group_id,
                deadline: best.deadline,
            });
        }
    }
    planned
}

/// Earlier deadlines first; no deadline last.
fn urgency(deadline: Option<OffsetDateTime>) -> (bool, OffsetDateTime) {
    (deadline.is_none(), deadline.unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// Whether an install may start now: its group's window is open, or its deadline has passed.
pub fn may_start(windows: &Windows, zone: &TimeZone, deadline: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    deadline.is_some_and(|d| d <= now) || windows.is_open(zone, now)
}

/// When an install that may not start now may: the next window, or the deadline if sooner.
pub fn next_start(
    windows: &Windows,
    zone: &TimeZone,
    deadline: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match (windows.next_open(zone, now), deadline) {
        (Some(open), Some(deadline)) => Some(open.min(deadline.max(now))),
        (open, deadline) => open.or(deadline),
    }
}

/// Whether a host whose system asks for a restart should get a reboot job now.
pub fn may_reboot(
    policy: RebootPolicy,
    windows: &Windows,
    zone: &TimeZone,
    deadline_passed: bool,
    now: OffsetDateTime,
) -> bool {
    match policy {
        RebootPolicy::Never => false,
        RebootPolicy::InWindow => windows.is_open(zone, now),
        RebootPolicy::AtDeadline => deadline_passed,
    }
}

/// Matches a package name against a pattern with `*` (any run of characters) and `?` (one).
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // The classic two-pointer walk, backtracking to the last star.
    let (mut p, mut n, mut star, mut mark) = (0, 0, None, 0);
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = n;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// An update as rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFacts<'a> {
    pub package: &'a str,
    /// `security`, `critical`, `bugfix` or `unclassified`.
    pub classification: &'a str,
    pub severity: Option<Severity>,
    /// The catalog sources that name it (the suite's, the advisories').
    pub sources: &'a [String],
    pub released_at: OffsetDateTime,
}

/// What an auto-approval rule matches. Empty lists match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCriteria {
    /// `security` (which takes in `critical`), `critical`, `bugfix`.
    #[serde(default)]
    pub classifications: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Catalog source names.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Package name patterns with `*` and `?`.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Days after the update's release before the rule approves it.
    #[serde(default)]
    pub delay_days: u32,
    /// Days after the approval before installs start whatever the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_days: Option<u32>,
}

impl RuleCriteria {
    pub fn validate(&self) -> Result<(), FieldError> {
        for class in &self.classifications {
            if !["security", "critical", "bugfix"].contains(&class.as_str()) {
                return Err(FieldError::new(
                    "classifications",
                    format!("unknown classification {class:?}; expected security, critical or bugfix"),
                ));
            }
        }
        for pattern in &self.packages {
            if pattern.is_empty() || pattern.len() > 256 || pattern.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(FieldError::new("packages", format!("{pattern:?} is not a package name pattern")));
            }
        }
        if self.delay_days > 365 {
            return Err(FieldError::new("delay_days", "is more than 365"));
        }
        if self.deadline_days.is_some_and(|d| d > 365) {
            return Err(FieldError::new("deadline_days", "is more than 365"));
        }
        Ok(())
    }

    /// Whether the rule speaks of this update at all (the delay aside).
    pub fn matches(&self, update: &UpdateFacts<'_>) -> bool {
        let class_ok = self.classifications.is_empty()
            || self
                .classifications
                .iter()
                .any(|c| c == update.classification || (c == "security" && update.classification == "critical"));
        let severity_ok = self.min_severity.is_none_or(|min| update.severity.is_some_and(|s| s.rank() >= min.rank()));
        let source_ok = self.sources.is_empty() || self.sources.iter().any(|s| update.sources.contains(s));
        let package_ok = self.packages.is_empty() || self.packages.iter().any(|p| pattern_matches(p, update.package));
        class_ok && severity_ok && source_ok && package_ok
    }

    /// When the rule approves an update released at `released_at`.
    pub fn due_at(&self, released_at: OffsetDateTime) -> OffsetDateTime {
        released_at + Duration::days(i64::from(self.delay_days))
    }
}

/// A ring's rules for moving an update on to the next group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingPolicy {
    pub promotion_delay: Duration,
    /// The share of a stage's installs that may fail, in percent, before promotion stops.
    pub failure_budget_percent: u8,
}

/// Where one stage of a ring stands with one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageResults {
    pub approved_at: OffsetDateTime,
    pub succeeded: u64,
    pub failed: u64,
    /// Hosts of the stage that still need the update and have no result.
    pub waiting: u64,
}

/// What to do with the next stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promotion {
    /// Not yet: look again at this time (or at the next result when `None`).
    Wait(Option<OffsetDateTime>),
    Promote,
    /// The failure budget is spent: later stages do not get the update.
    Stop(String),
}

/// The decision for a stage: stop when more than the budget failed, promote once the delay has
/// passed and the stage has a result (or nobody in it needed the update), else wait.
pub fn promotion(policy: RingPolicy, stage: StageResults, now: OffsetDateTime) -> Promotion {
    let finished = stage.succeeded + stage.failed;
    if finished > 0 && stage.failed * 100 > u64::from(policy.failure_budget_percent) * finished {
        return Promotion::Stop(format!(
            "{} of {} installs failed ({}%), more than the ring's failure budget of {}%",
            stage.failed,
            finished,
            stage.failed * 100 / finished,
            policy.failure_budget_percent
        ));
    }
    let due = stage.approved_at + policy.promotion_delay;
    if now < due {
        return Promotion::Wait(Some(due));
    }
    if finished == 0 && stage.waiting > 0 {
        return Promotion::Wait(None);
    }
    Promotion::Promote
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").expect("the system's tzdata has Europe/Berlin")
    }

    #[test]
    fn windows_read_and_print() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("sat 02:00-06:00", Ok("sat 02:00-06:00")),
            ("Mon-Fri 22:00-02:00", Ok("mon,tue,wed,thu,fri 22:00-02:00")),
            ("fri-mon 00:00-24:00", Ok("mon,fri,sat,sun 00:00-24:00")),
            ("daily 03:00-04:30", Ok("daily 03:00-04:30")),
            ("sat,sun 01:00-01:30", Ok("sat,sun 01:00-01:30")),
            ("sat", Err("it needs days and a time span")),
            ("someday 02:00-03:00", Err("\"someday\" is not a day")),
            ("sat 2:00-06:00", Err("\"2:00\" is not HH:MM")),
            ("sat 02:00-25:00", Err("\"25:00\" is not a time of day")),
            ("sat 24:00-01:00", Err("\"24:00\" is not a time of day")),
            ("sat 02:00-02:00", Err("it opens and closes at the same time")),
            ("sat 02:00", Err("the time span is START-END")),
        ];
        for (text, expected) in cases {
            match (text.parse::<Window>(), expected) {
                (Ok(window), Ok(shown)) => assert_eq!(window.to_string(), *shown, "{text}"),
                (Err(e), Err(why)) => assert!(e.message.contains(why), "{text}: {}", e.message),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        let windows = Windows::parse("Europe/Berlin; sat 02:00-06:00; sun 02:00-06:00").unwrap();
        assert_eq!(windows.to_text(), "Europe/Berlin; sat 02:00-06:00; sun 02:00-06:00");
        assert_eq!(Windows::parse("").unwrap(), Windows::always());
        assert_eq!(Windows::parse("always").unwrap(), Windows::always());
        assert!(Windows::parse("UTC").unwrap_err().message.contains("no window"));
        assert!(Windows::parse("sat 02:00-06:00").unwrap_err().message.contains("is not a time zone"));
    }

    #[test]
    fn windows_open_and_close_in_their_zone() {
        let zone = berlin();
        let windows = Windows::parse("Europe/Berlin; sat 02:00-06:00; mon-fri 23:00-01:00").unwrap();
        // (instant in UTC, open?, next opening)
        let cases = [
            // Saturday 2026-12-05, 01:00 UTC = 02:00 CET: just open.
            (datetime!(2026-12-05 01:00 UTC), true, datetime!(2026-12-05 01:00 UTC)),
            (datetime!(2026-12-05 04:59 UTC), true, datetime!(2026-12-05 04:59 UTC)),
            // 06:00 CET: closed; the next is Monday 23:00 CET.
            (datetime!(2026-12-05 05:00 UTC), false, datetime!(2026-12-07 22:00 UTC)),
            // Friday 23:30 CET is open, and so is Saturday 00:30 CET (Friday's window).
            (datetime!(2026-12-04 22:30 UTC), true, datetime!(2026-12-04 22:30 UTC)),
            (datetime!(2026-12-04 23:30 UTC), true, datetime!(2026-12-04 23:30 UTC)),
            // Saturday 01:00 CET: Friday's closed, Saturday's opens at 02:00.
            (datetime!(2026-12-05 00:00 UTC), false, datetime!(2026-12-05 01:00 UTC)),
            // Summer time: Saturday 2026-07-04 02:00 CEST is 00:00 UTC.
            (datetime!(2026-07-04 00:00 UTC), true, datetime!(2026-07-04 00:00 UTC)),
            // Saturday 01:59 CEST: Friday's window closed at 01:00, Saturday's opens at 02:00.
            (datetime!(2026-07-03 23:59 UTC), false, datetime!(2026-07-04 00:00 UTC)),
        ];
        for (at, open, next) in cases {
            assert_eq!(windows.is_open(&zone, at), open, "{at}");
            assert_eq!(windows.next_open(&zone, at), Some(next), "{at}");
        }
        assert!(Windows::always().is_open(&zone, datetime!(2026-12-05 05:00 UTC)));
    }

    fn approval(id: i64, group: i64, package: &str, version: &str, action: ApprovalAction) -> HostApproval {
        HostApproval {
            id,
            group_id: group,
            package: package.into(),
            version: version.into(),
            action,
            deadline: None,
            paused: false,
        }
    }

    fn installed(name: &str, version: &str) -> HostPackageVersion {
        HostPackageVersion { name: name.into(), arch: "amd64".into(), version: version.into() }
    }

    fn numeric(a: &str, b: &str) -> Ordering {
        let parse = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap()).collect::<Vec<_>>();
        parse(a).cmp(&parse(b))
    }

    #[test]
    fn a_host_gets_the_newest_approved_version_and_never_an_older_one() {
        use ApprovalAction::{Decline, Install};
        let planned = |installed: &[HostPackageVersion], approvals: &[HostApproval]| -> Vec<(String, String)> {
            plan(installed, approvals, numeric).into_iter().map(|p| (p.package, p.version)).collect()
        };
        let widget = [installed("widget", "1.0")];
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        // One approval.
        assert_eq!(planned(&widget, &[approval(1, 1, "widget", "1.1", Install)]), pairs(&[("widget", "1.1")]));
        // 1.2 supersedes 1.1's approval.
        let both = [approval(1, 1, "widget", "1.1", Install), approval(2, 2, "widget", "1.2", Install)];
        assert_eq!(planned(&widget, &both), pairs(&[("widget", "1.2")]));
        // Already at 1.2: nothing, and an approved 1.1 never moves it back.
        assert_eq!(planned(&[installed("widget", "1.2")], &both), pairs(&[]));
        // 1.2 declined in one of its groups: 1.1.
        let declined = [
            approval(1, 1, "widget", "1.1", Install),
            approval(2, 1, "widget", "1.2", Install),
            approval(3, 2, "widget", "1.2", Decline),
        ];
        assert_eq!(planned(&widget, &declined), pairs(&[("widget", "1.1")]));
        // Paused: skipped.
        let paused = [HostApproval { paused: true, ..approval(1, 1, "widget", "1.1", Install) }];
        assert_eq!(planned(&widget, &paused), pairs(&[]));
        // Another package's approval does nothing here.
        assert_eq!(planned(&widget, &[approval(1, 1, "gadget", "9.0", Install)]), pairs(&[]));
        // Of two approvals of one version, the one with the earlier deadline speaks.
        let soon = datetime!(2026-12-10 00:00 UTC);
        let two = [
            approval(1, 1, "widget", "1.1", Install),
            HostApproval { deadline: Some(soon), ..approval(2, 2, "widget", "1.1", Install) },
        ];
        let chosen = plan(&widget, &two, numeric);
        assert_eq!((chosen[0].approval_id, chosen[0].deadline), (2, Some(soon)));
    }

    #[test]
    fn deadlines_open_what_windows_keep_closed() {
        let zone = TimeZone::UTC;
        let windows = Windows::parse("UTC; sat 02:00-06:00").unwrap();
        let friday = datetime!(2026-12-04 12:00 UTC);
        assert!(!may_start(&windows, &zone, None, friday));
        assert!(!may_start(&windows, &zone, Some(datetime!(2026-12-04 13:00 UTC)), friday));
        assert!(may_start(&windows, &zone, Some(datetime!(2026-12-04 11:00 UTC)), friday));
        assert_eq!(next_start(&windows, &zone, None, friday), Some(datetime!(2026-12-05 02:00 UTC)));
        assert_eq!(
            next_start(&windows, &zone, Some(datetime!(2026-12-04 13:00 UTC)), friday),
            Some(datetime!(2026-12-04 13:00 UTC))
        );
        assert!(!may_reboot(RebootPolicy::Never, &Windows::always(), &zone, true, friday));
        assert!(!may_reboot(RebootPolicy::InWindow, &windows, &zone, true, friday));
        assert!(may_reboot(RebootPolicy::InWindow, &windows, &zone, false, datetime!(2026-12-05 03:00 UTC)));
        assert!(may_reboot(RebootPolicy::AtDeadline, &windows, &zone, true, friday));
        assert!(!may_reboot(RebootPolicy::AtDeadline, &Windows::always(), &zone, false, friday));
    }

    #[test]
    fn rules_match_and_defer() {
        let sources = ["debian-security".to_owned()];
        let update = UpdateFacts {
            package: "libssl3",
            classification: "critical",
            severity: Some(Severity::Important),
            sources: &sources,
            released_at: datetime!(2026-12-01 00:00 UTC),
        };
        let rule = |json: serde_json::Value| serde_json::from_value::<RuleCriteria>(json).unwrap();
        let cases = [
            (serde_json::json!({}), true),
            (serde_json::json!({"classifications": ["security"]}), true),
            (serde_json::json!({"classifications": ["bugfix"]}), false),
            (serde_json::json!({"min_severity": "important"}), true),
            (serde_json::json!({"min_severity": "critical"}), false),
            (serde_json::json!({"sources": ["debian-security"]}), true),
            (serde_json::json!({"sources": ["vendor"]}), false),
            (serde_json::json!({"packages": ["libssl*"]}), true),
            (serde_json::json!({"packages": ["openssl", "lib?sl3"]}), true),
            (serde_json::json!({"packages": ["*ssl"]}), false),
        ];
        for (json, matches) in cases {
            assert_eq!(rule(json.clone()).matches(&update), matches, "{json}");
        }
        assert_eq!(
            rule(serde_json::json!({"delay_days": 3})).due_at(update.released_at),
            datetime!(2026-12-04 00:00 UTC)
        );
        assert!(rule(serde_json::json!({"classifications": ["urgent"]})).validate().is_err());
        for (pattern, name, matches) in
            [("*", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("?", "", false), ("x", "x", true)]
        {
            assert_eq!(pattern_matches(pattern, name), matches, "{pattern} {name}");
        }
    }

    #[test]
    fn rings_promote_after_the_delay_unless_the_budget_is_spent() {
        let policy = RingPolicy { promotion_delay: Duration::hours(24), failure_budget_percent: 10 };
        let approved_at = datetime!(2026-12-01 00:00 UTC);
        let stage = |succeeded, failed, waiting| StageResults { approved_at, succeeded, failed, waiting };
        let later = datetime!(2026-12-02 00:00 UTC);
        assert_eq!(promotion(policy, stage(1, 0, 3), datetime!(2026-12-01 12:00 UTC)), Promotion::Wait(Some(later)));
        assert_eq!(promotion(policy, stage(9, 1, 0), later), Promotion::Promote);
        assert_eq!(promotion(policy, stage(0, 0, 2), later), Promotion::Wait(None));
        assert_eq!(promotion(policy, stage(0, 0, 0), later), Promotion::Promote);
        let Promotion::Stop(why) = promotion(policy, stage(8, 2, 0), approved_at) else { panic!("not stopped") };
        assert_eq!(why, "2 of 10 installs failed (20%), more than the ring's failure budget of 10%");
    }
}
