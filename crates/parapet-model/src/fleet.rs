//! The fleet as agents report it: a host's facts, its tags and its package inventory, and the
//! rules a report must follow before the server takes it.
//!
//! Reports come from machines the server does not control, so every field has a bound and every
//! text a shape; a report that breaks one is refused whole, naming the field, and whatever the
//! server held before stays as it was.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The most packages one inventory may list. Debian's whole archive is about 65,000 binary
/// packages for one architecture; no host installs more than that.
pub const MAX_PACKAGES: usize = 100_000;
/// The most tags one host may carry.
pub const MAX_TAGS: usize = 64;
/// The most kernels a host may report as installed.
pub const MAX_KERNELS: usize = 64;

/// A `KEY=VALUE` label an agent is enrolled with, which group rules match on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    /// A tag from its parts: the key is 1 to 64 of `a-z 0-9 . _ -` (lower-cased so that `Env` and
    /// `env` are one key), the value up to 256 printable characters.
    pub fn new(key: &str, value: &str) -> Result<Tag, FieldError> {
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.len() > 64 {
            return Err(FieldError::new("tag", "a tag's key is 1 to 64 characters"));
        }
        if let Some(c) = key.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(FieldError::new("tag", format!("{c:?} cannot be in a tag's key; use a-z, 0-9, '.', '_', '-'")));
        }
        let value = value.trim();
        if value.chars().count() > 256 {
            return Err(FieldError::new("tag", format!("the value of tag {key:?} is longer than 256 characters")));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new("tag", format!("the value of tag {key:?} has a control character")));
        }
        Ok(Tag { key, value: value.to_owned() })
    }
}

impl FromStr for Tag {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<Tag, FieldError> {
        let (key, value) =
            text.split_once('=').ok_or_else(|| FieldError::new("tag", format!("{text:?} is not KEY=VALUE")))?;
        Tag::new(key, value)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// The package manager an installed package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    Dpkg,
    Rpm,
    Apk,
}

impl PackageManager {
    pub const ALL: [PackageManager; 3] = [PackageManager::Dpkg, PackageManager::Rpm, PackageManager::Apk];

    pub fn as_str(self) -> &'static str {
        match self {
            PackageManager::Dpkg => "dpkg",
            PackageManager::Rpm => "rpm",
            PackageManager::Apk => "apk",
        }
    }
}

impl FromStr for PackageManager {
    type Err = FieldError;
    fn from_str(text: &str) -> Result<PackageManager, FieldError> {
        PackageManager::ALL.into_iter().find(|m| m.as_str() == text).ok_or_else(|| {
            FieldError::new(
                "inventory.packages",
                format!("unknown package manager {text:?}; expected dpkg, rpm or apk"),
            )
        })
    }
}

/// One installed package, as the host's package manager records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledPackage {
    pub manager: PackageManager,
    pub name: String,
    pub version: String,
    pub arch: String,
    /// The source package it was built from. dpkg and apk always have one and send it only when
    /// it differs from `name` (dpkg's `Source:`, apk's origin); rpm sends its source RPM's name
    /// when the database records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The source package's version: for dpkg and apk only when it differs from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

/// What the host is, as the agent reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFacts {
    /// The name the host gives itself. Shown, never used to tell hosts apart.
    pub hostname: String,
    /// `ID` of os-release: `debian`, `ubuntu`, `alpine`, `rhel`…
    pub os: String,
    /// `VERSION_ID` of os-release: `12`, `24.04`, `3.20.1`; empty for rolling releases.
    #[serde(default)]
    pub os_version: String,
    /// `VERSION_CODENAME` of os-release, when it has one: `bookworm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_codename: Option<String>,
    /// The machine architecture as the package manager names it: `amd64`, `arm64`, `x86_64`.
    pub arch: String,
    /// The running kernel's release (`uname -r`).
    pub kernel: String,
    /// The kernels installed, newest last; a newer one than `kernel` means a reboot is due.
    #[serde(default)]
    pub kernels_installed: Vec<String>,
    pub uptime_seconds: u64,
    /// The system says a reboot is needed (`/var/run/reboot-required`, or a newer kernel).
    pub reboot_required: bool,
    pub agent_version: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A check-in: facts every time, the package inventory only when its digest changed since the
/// last one the server accepted (or when the server asks for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// One more than the agent's previous check-in. Two machines using one credential send the
    /// same numbers, which is how a cloned credential shows.
    pub sequence: u64,
    pub facts: HostFacts,
    /// The SHA-256 of the inventory in its canonical form, lower-case hex.
    pub inventory_digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Vec<InstalledPackage>>,
    /// The host's security configuration: which policy is applied and how the host drifted
    /// from it, sent when it changed since the last check-in the server accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harden: Option<HardenReport>,
}

/// The most drift items one report carries (the agent keeps the first ones).
pub const MAX_HARDEN_DRIFT: usize = 1_000;

/// Where a host's security configuration stands, as `parapet harden status` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardenReport {
    /// The digest of the applied policy in its canonical form; none when no policy is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    /// The snapshot the applied policy made (its name, for `parapet harden rollback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The apply waits for its confirmation.
    #[serde(default)]
    pub pending: bool,
    /// Each way the host differs from the applied policy.
    #[serde(default)]
    pub drift: Vec<HardenDrift>,
    /// Why the state could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One way a host differs from its applied policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardenDrift {
    /// `firewall`, `unit`, `file` or `exposed`.
    pub kind: String,
    pub subject: String,
    pub expected: String,
    pub found: String,
}

impl HardenReport {
    pub fn validate(&self) -> Result<(), FieldError> {
        if let Some(digest) = &self.policy_digest
            && !is_sha256(digest)
        {
            return Err(FieldError::new("harden.policy_digest", "must be a SHA-256 digest in lower-case hex"));
        }
        if let Some(snapshot) = &self.snapshot {
            token("harden.snapshot", "the snapshot name", snapshot, 128)?;
        }
        if self.drift.len() > MAX_HARDEN_DRIFT {
            return Err(FieldError::new("harden.drift", format!("has more than {MAX_HARDEN_DRIFT} entries")));
        }
        for drift in &self.drift {
            token("harden.drift", "a drift's kind", &drift.kind, 32)?;
            for value in [&drift.subject, &drift.expected, &drift.found] {
                text("harden.drift", value, 1024, false)?;
            }
        }
        if let Some(error) = &self.error {
            text("harden.error", error, 4096, false)?;
        }
        Ok(())
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the server wants from the agent after a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    /// Nothing until the next check-in.
    Nothing,
    /// The full inventory, at once: the server does not hold the one whose digest was sent.
    FullInventory,
}

/// The agent's first request: the enrollment secret, and who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    pub secret: String,
    pub hostname: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl Enroll {
    pub fn validate(&self) -> Result<(), FieldError> {
        text("secret", &self.secret, 256, true)?;
        text("hostname", &self.hostname, 253, true)?;
        if self.tags.len() > MAX_TAGS {
            return Err(FieldError::new("tags", format!("more than {MAX_TAGS} tags")));
        }
        for tag in &self.tags {
            if Tag::new(&tag.key, &tag.value)? != *tag {
                return Err(FieldError::new("tags", format!("tag {tag} is not in its canonical form")));
            }
        }
        Ok(())
    }
}

/// What enrollment gives the agent: who it is now, and the credential it proves that with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub host_id: String,
    pub credential: String,
    /// How often the server wants check-ins.
    pub interval_seconds: u64,
}

/// The server's answer to a check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInAnswer {
    pub wanted: Wanted,
    /// A new host credential, when the server rotated it: the agent uses it from the next
    /// request on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    pub interval_seconds: u64,
    /// How many packages the server holds for the host, and how many security updates it
    /// needs (as far as computed when the answer was made).
    pub packages: u64,
    pub security_updates: u64,
    /// Work to do now, in order: installs, rollbacks, a reboot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<Job>,
}

/// The most bytes of a job's log an agent sends: its tail, where the error is.
pub const MAX_JOB_LOG: usize = 16 * 1024;

/// Work the server gives an agent. An agent that sees a job it has already done (its answer
/// was lost) reports what it did instead of doing it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    #[serde(flatten)]
    pub work: JobWork,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobWork {
    /// Upgrade each package to exactly this version with the system's package manager.
    Install { packages: Vec<JobPackage> },
    /// Put each package back to exactly this version, the one an install replaced.
    Rollback { packages: Vec<JobPackage> },
    /// Restart the host.
    Reboot,
    /// Scan for malicious software with the server's newest signature pack; with `remove`,
    /// move what is detected into the agent's quarantine (`kill`: stopping its processes).
    MalwareScan {
        #[serde(default)]
        remove: bool,
        #[serde(default)]
        kill: bool,
    },
    /// Put these quarantine items back.
    MalwareRestore { items: Vec<String> },
    /// Apply a security configuration policy (a `parapet harden` policy file) and keep it
    /// only if the agent reaches the server again within `confirm_within_s` seconds; else the
    /// host is put back as it was.
    HardenApply { policy: String, digest: String, confirm_within_s: u32 },
}

impl JobWork {
    pub fn kind(&self) -> &'static str {
        match self {
            JobWork::Install { .. } => "install",
            JobWork::Rollback { .. } => "rollback",
            JobWork::Reboot => "reboot",
            JobWork::MalwareScan { .. } => "malware_scan",
            JobWork::MalwareRestore { .. } => "malware_restore",
            JobWork::HardenApply { .. } => "harden_apply",
        }
    }

    pub fn packages(&self) -> &[JobPackage] {
        match self {
            JobWork::Install { packages } | JobWork::Rollback { packages } => packages,
            JobWork::Reboot
            | JobWork::MalwareScan { .. }
            | JobWork::MalwareRestore { .. }
            | JobWork::HardenApply { .. } => &[],
        }
    }

    pub fn is_malware(&self) -> bool {
        matches!(self, JobWork::MalwareScan { .. } | JobWork::MalwareRestore { .. })
    }

    /// The job is stored as its parameters (all but installs, rollbacks and reboots, which
    /// are their packages).
    pub fn has_parameters(&self) -> bool {
        self.is_malware() || matches!(self, JobWork::HardenApply { .. })
    }
}

/// One package of a job, at the exact version wanted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobPackage {
    pub name: String,
    pub arch: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Succeeded,
    Failed,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
        }
    }
}

/// A package a job changed, or meant to: its version before and after (`None`: not installed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageChange {
    pub name: String,
    pub arch: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What an agent reports of a job, once, when it is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobReport {
    pub outcome: JobOutcome,
    /// One line: what happened, or why it failed.
    pub message: String,
    /// Every package of the job (and any other the package manager moved), before and after.
    #[serde(default)]
    pub changes: Vec<PackageChange>,
    /// The system asks for a restart after the job.
    #[serde(default)]
    pub reboot_required: bool,
    /// The tail of the package manager's output, at most [`MAX_JOB_LOG`] bytes.
    #[serde(default)]
    pub log: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: time::OffsetDateTime,
    /// A malware job's scan (or restore): what it detected and did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malware: Option<crate::malware::ScanReport>,
}

/// The most detections, actions and problems one malware report carries (the agent keeps the
/// first ones).
pub const MAX_MALWARE_ITEMS: usize = 10_000;

impl JobReport {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.message.len() > 4096 {
            return Err(FieldError::new("message", "is longer than 4096 bytes"));
        }
        if self.log.len() > MAX_JOB_LOG {
            return Err(FieldError::new("log", format!("is longer than {MAX_JOB_LOG} bytes; send its tail")));
        }
        if self.changes.len() > MAX_PACKAGES {
            return Err(FieldError::new("changes", format!("lists more than {MAX_PACKAGES} packages")));
        }
        for change in &self.changes {
            token("changes", "a package name", &change.name, 256)?;
            token("changes", &format!("the architecture of {}", change.name), &change.arch, 32)?;
            for version in change.before.iter().chain(&change.after) {
                token("changes", &format!("a version of {}", change.name), version, 256)?;
            }
        }
        if self.finished_at < self.started_at {
            return Err(FieldError::new("finished_at", "is before started_at"));
        }
        if let Some(malware) = &self.malware {
            for (field, count) in [
                ("malware.detections", malware.detections.len()),
                ("malware.actions", malware.actions.len()),
                ("malware.errors", malware.errors.len()),
            ] {
                if count > MAX_MALWARE_ITEMS {
                    return Err(FieldError::new(field, format!("has more than {MAX_MALWARE_ITEMS} entries")));
                }
            }
            let long = |text: &str| text.len() > 4096;
            let too_long = malware.detections.iter().any(|d| {
                long(&d.family)
                    || long(&d.rule)
                    || d.path.as_deref().is_some_and(long)
                    || d.persistence.as_ref().is_some_and(|e| long(&e.text))
            }) || malware.actions.iter().any(|a| long(&a.path) || a.detail.as_deref().is_some_and(long));
            if too_long {
                return Err(FieldError::new("malware", "a detection or action has a text longer than 4096 bytes"));
            }
        }
        Ok(())
    }
}

fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if value.len() > max {
        return Err(FieldError::new(field, format!("is longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(field, "has a control character"));
    }
    Ok(())
}

/// A name or version as package managers write them: no spaces, nothing outside printable ASCII.
fn token(field: &'static str, what: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > max {
        return Err(FieldError::new(field, format!("{what} must be 1 to {max} characters, not {}", value.len())));
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(FieldError::new(field, format!("{what} {value:?} has {c:?}, which no package manager writes")));
    }
    Ok(())
}

impl HostFacts {
    pub fn validate(&self) -> Result<(), FieldError> {
        text("facts.hostname", &self.hostname, 253, true)?;
        token("facts.os", "the OS ID", &self.os, 64)?;
        text("facts.os_version", &self.os_version, 64, false)?;
        if let Some(codename) = &self.os_codename {
            token("facts.os_codename", "the codename", codename, 64)?;
        }
        token("facts.arch", "the architecture", &self.arch, 32)?;
        token("facts.kernel", "the kernel release", &self.kernel, 128)?;
        if self.kernels_installed.len() > MAX_KERNELS {
            return Err(FieldError::new("facts.kernels_installed", format!("lists more than {MAX_KERNELS} kernels")));
        }
        for kernel in &self.kernels_installed {
            token("facts.kernels_installed", "a kernel release", kernel, 128)?;
        }
        token("facts.agent_version", "the agent version", &self.agent_version, 64)?;
        if self.tags.len() > MAX_TAGS {
            return Err(FieldError::new("facts.tags", format!("more than {MAX_TAGS} tags")));
        }
        for tag in &self.tags {
            // Tags arrive as JSON too: hold them to the rules of `KEY=VALUE` on the command line.
            if Tag::new(&tag.key, &tag.value)? != *tag {
                return Err(FieldError::new("facts.tags", format!("tag {tag} is not in its canonical form")));
            }
        }
        Ok(())
    }
}

impl InstalledPackage {
    /// A dpkg package built from a source package of its own name and version, the common case.
    pub fn dpkg(name: &str, version: &str, arch: &str) -> InstalledPackage {
        InstalledPackage {
            manager: PackageManager::Dpkg,
            name: name.into(),
            version: version.into(),
            arch: arch.into(),
            source: None,
            source_version: None,
        }
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        const FIELD: &str = "inventory.packages";
        token(FIELD, "a package name", &self.name, 256)?;
        token(FIELD, &format!("the version of {}", self.name), &self.version, 256)?;
        token(FIELD, &format!("the architecture of {}", self.name), &self.arch, 32)?;
        if let Some(source) = &self.source {
            token(FIELD, &format!("the source package of {}", self.name), source, 256)?;
        }
        if let Some(version) = &self.source_version {
            token(FIELD, &format!("the source version of {}", self.name), version, 256)?;
        }
        Ok(())
    }
}

impl CheckIn {
    /// Checks the whole report; the first rule broken is the error.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.facts.validate()?;
        if !is_sha256(&self.inventory_digest) {
            return Err(FieldError::new("inventory_digest", "must be a SHA-256 digest in lower-case hex"));
        }
        if let Some(harden) = &self.harden {
            harden.validate()?;
        }
        if let Some(packages) = &self.inventory {
            if packages.len() > MAX_PACKAGES {
                return Err(FieldError::new("inventory", format!("lists more than {MAX_PACKAGES} packages")));
            }
            let mut seen = std::collections::HashSet::with_capacity(packages.len());
            for package in packages {
                package.validate()?;
                // One package manager records one (name, arch) once; twice means a broken report.
                if !seen.insert((package.manager, package.name.as_str(), package.arch.as_str())) {
                    return Err(FieldError::new(
                        "inventory.packages",
                        format!("{} ({}) is listed twice", package.name, package.arch),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HostFacts {
        HostFacts {
            hostname: "web-1".into(),
            os: "debian".into(),
            os_version: "12".into(),
            os_codename: Some("bookworm".into()),
            arch: "amd64".into(),
            kernel: "6.1.0-18-amd64".into(),
            kernels_installed: vec!["6.1.0-18-amd64".into()],
            uptime_seconds: 3600,
            reboot_required: false,
            agent_version: "0.1.0".into(),
            tags: vec![Tag::new("env", "prod").unwrap()],
        }
    }

    fn package(name: &str, version: &str) -> InstalledPackage {
        InstalledPackage::dpkg(name, version, "amd64")
    }

    fn check_in(inventory: Option<Vec<InstalledPackage>>) -> CheckIn {
        CheckIn { sequence: 1, facts: facts(), inventory_digest: "a".repeat(64), inventory, harden: None }
    }

    #[test]
    fn tags_read_from_the_command_line() {
        // The tag's key and value, or the error's message.
        type Expected = Result<(&'static str, &'static str), &'static str>;
        let cases: &[(&str, Expected)] = &[
            ("env=prod", Ok(("env", "prod"))),
            ("Env = Prod ", Ok(("env", "Prod"))),
            ("rack=", Ok(("rack", ""))),
            ("a.b_c-1=x=y", Ok(("a.b_c-1", "x=y"))),
            ("env", Err("\"env\" is not KEY=VALUE")),
            ("=prod", Err("a tag's key is 1 to 64 characters")),
            ("my env=prod", Err("' ' cannot be in a tag's key; use a-z, 0-9, '.', '_', '-'")),
            ("env=a\u{7}b", Err("the value of tag \"env\" has a control character")),
        ];
        for (text, expected) in cases {
            let got = text.parse::<Tag>().map_err(|e| e.message);
            match expected {
                Ok((key, value)) => {
                    let tag = got.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    assert_eq!((tag.key.as_str(), tag.value.as_str()), (*key, *value), "{text:?}");
                }
                Err(message) => assert_eq!(got.unwrap_err(), *message, "{text:?}"),
            }
        }
        assert_eq!(Tag::new("env", "prod").unwrap().to_string(), "env=prod");
        assert!(format!("k={}", "v".repeat(257)).parse::<Tag>().is_err());
    }

    #[test]
    fn reports_are_refused_naming_the_field() {
        let mut long_host = facts();
        long_host.hostname = "h".repeat(254);
        let mut spaced_os = facts();
        spaced_os.os = "debian gnu".into();
        let mut no_kernel = facts();
        no_kernel.kernel = String::new();
        let mut odd_tag = facts();
        odd_tag.tags = vec![Tag { key: "Env".into(), value: "prod".into() }];
        let mut bad_digest = check_in(None);
        bad_digest.inventory_digest = "A".repeat(64);
        let drifted = |drift: HardenDrift| CheckIn {
            harden: Some(HardenReport {
                policy_digest: Some("b".repeat(64)),
                snapshot: Some("20261207-220000-1".into()),
                pending: false,
                drift: vec![drift],
                error: None,
            }),
            ..check_in(None)
        };
        let drift = |kind: &str, found: &str| HardenDrift {
            kind: kind.into(),
            subject: "table inet parapet_harden".into(),
            expected: "loaded".into(),
            found: found.into(),
        };
        let mut short_digest = drifted(drift("firewall", "missing"));
        short_digest.harden.as_mut().unwrap().policy_digest = Some("b".repeat(63));
        let cases: Vec<(&str, CheckIn, Option<&str>)> = vec![
            ("a good report", check_in(Some(vec![package("openssl", "3.0.11-1~deb12u2")])), None),
            ("facts only", check_in(None), None),
            ("hostname too long", CheckIn { facts: long_host, ..check_in(None) }, Some("facts.hostname")),
            ("a space in the OS ID", CheckIn { facts: spaced_os, ..check_in(None) }, Some("facts.os")),
            ("no running kernel", CheckIn { facts: no_kernel, ..check_in(None) }, Some("facts.kernel")),
            ("a tag not in canonical form", CheckIn { facts: odd_tag, ..check_in(None) }, Some("facts.tags")),
            ("an upper-case digest", bad_digest, Some("inventory_digest")),
            ("a drift report", drifted(drift("firewall", "missing")), None),
            ("a drift with a control character", drifted(drift("firewall", "a\u{1b}[2J")), Some("harden.drift")),
            ("a drift kind with a space", drifted(drift("fire wall", "missing")), Some("harden.drift")),
            ("a policy digest cut short", short_digest, Some("harden.policy_digest")),
            ("an empty version", check_in(Some(vec![package("openssl", "")])), Some("inventory.packages")),
            ("a newline in a name", check_in(Some(vec![package("open\nssl", "1")])), Some("inventory.packages")),
            (
                "a package listed twice",
                check_in(Some(vec![package("openssl", "1"), package("openssl", "2")])),
                Some("inventory.packages"),
            ),
        ];
        for (name, report, field) in cases {
            assert_eq!(report.validate().err().map(|e| e.field), field, "{name}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut json = serde_json::to_value(check_in(None)).unwrap();
        json["facts"]["colour"] = "blue".into();
        let error = serde_json::from_value::<CheckIn>(json).unwrap_err().to_string();
        assert!(error.contains("unknown field `colour`"), "{error}");
        let manager = serde_json::from_value::<InstalledPackage>(serde_json::json!({
            "manager": "pacman", "name": "a", "version": "1", "arch": "x86_64"
        }));
        assert!(manager.is_err());
    }
}
