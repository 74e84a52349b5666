//! Running the server's jobs with the system's package manager: installs of exact versions,
//! rollbacks to the exact versions an install replaced, and reboots.
//!
//! Debian and Ubuntu first: `apt-get install --only-upgrade PKG=VERSION…`, non-interactive,
//! keeping changed configuration files, waiting a bounded time for the dpkg lock and for the
//! whole job. Before an install the agent keeps a copy of each package it replaces (from apt's
//! own archive cache, else downloaded while the archive still has it) in a bounded cache of its
//! own, so that a rollback works when the archive has moved on. An install that fails and leaves
//! a package unpacked or half-configured puts that package back from the cache, so the host is
//! never left inconsistent, and the report says so.
//!
//! A job is written to the state file before it starts; an agent that stops mid-job reconciles
//! at its next start (`dpkg --configure -a`, then the versions dpkg records) and reports what
//! really happened instead of running the job again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use parapet_model::fleet::MAX_JOB_LOG;
use parapet_model::{Job, JobOutcome, JobPackage, JobReport, JobWork, PackageChange};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How the agent runs jobs on this host.
#[derive(Debug, Clone)]
pub struct Executor {
    /// The system the jobs change: only `/` (an agent reading another root reports jobs failed).
    pub root: PathBuf,
    /// The agent's cache of replaced packages.
    pub cache: PathBuf,
    /// How much the cache may hold, in bytes.
    pub cache_limit: u64,
    /// What restarts the host (`systemctl reboot`).
    pub reboot_command: Vec<String>,
    /// How long a whole job may take.
    pub timeout: Duration,
    /// How long to wait for another process's dpkg lock.
    pub lock_timeout: Duration,
    /// Whether hardening jobs load their firewall into this network stack (`None`: only when
    /// the root is `/`).
    pub harden_firewall: Option<bool>,
}

/// A job the agent has started, kept in its state until the report is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunningJob {
    pub job: Job,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The job's packages as installed when it started (`None`: not installed).
    pub before: Vec<(String, String, Option<String>)>,
}

/// A finished job's report, kept until the server has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingReport {
    pub job_id: i64,
    pub report: JobReport,
}

/// One installed package as dpkg records it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Installed {
    version: String,
    /// `ii` (or `hi`, held) when installed and configured; `iU` unpacked, `iF` half-configured…
    status: String,
}

impl Installed {
    fn configured(&self) -> bool {
        self.status.as_bytes().get(1) == Some(&b'i')
    }
}

type Snapshot = BTreeMap<(String, String), Installed>;

/// The output of the commands a job ran, of which the report keeps the tail.
#[derive(Default)]
struct Log(String);

impl Log {
    fn line(&mut self, text: impl AsRef<str>) {
        self.0.push_str(text.as_ref());
        if !self.0.ends_with('\n') {
            self.0.push('\n');
        }
    }

    fn tail(&self) -> String {
        let text = &self.0;
        if text.len() <= MAX_JOB_LOG {
            return text.clone();
        }
        let mut start = text.len() - MAX_JOB_LOG + 64;
        while !text.is_char_boundary(start) {
            start += 1;
        }
        format!("[… {start} bytes before]\n{}", &text[start..])
    }

    /// The lines that say why the last command failed (apt's `E:` lines, dpkg's errors), one
    /// after the other.
    fn reason(&self) -> Option<String> {
        let last = self.0.rfind("\n$ ").map_or(0, |at| at + 1);
        let mut lines: Vec<&str> = Vec::new();
        for line in self.0[last..].lines().map(str::trim) {
            let says = line.starts_with("E: ")
                || line.starts_with("dpkg: error")
                || line.contains("returned error exit status");
            if says && !lines.contains(&line) {
                lines.push(line);
            }
        }
        (!lines.is_empty()).then(|| lines.join(" / "))
    }
}

/// What a finished command came to: its exit code (`None`: killed or timed out).
struct Ran {
    code: Option<i32>,
    timed_out: bool,
}

impl Ran {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl Executor {
    fn live(&self) -> bool {
        self.root.canonicalize().is_ok_and(|r| r == Path::new("/"))
    }

    /// Runs a command to its end or the time left, its output into the log.
    async fn run(&self, log: &mut Log, program: &str, args: &[String], cwd: Option<&Path>, limit: Duration) -> Ran {
        log.line(format!("$ {program} {}", args.join(" ")));
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .env("LC_ALL", "C")
            .env("APT_LISTCHANGES_FRONTEND", "none")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                log.line(format!("E: cannot run {program}: {e}"));
                return Ran { code: None, timed_out: false };
            }
        };
        match tokio::time::timeout(limit, child.wait_with_output()).await {
            Ok(Ok(output)) => {
                log.line(String::from_utf8_lossy(&output.stdout));
                log.line(String::from_utf8_lossy(&output.stderr));
                Ran { code: output.status.code(), timed_out: false }
            }
            Ok(Err(e)) => {
                log.line(format!("E: {program} failed: {e}"));
                Ran { code: None, timed_out: false }
            }
            Err(_) => {
                log.line(format!("E: {program} did not finish within {}s and was stopped", limit.as_secs()));
                Ran { code: None, timed_out: true }
            }
        }
    }

    /// What dpkg says is installed, with each package's status; empty (with the reason in
    /// the log, when there is one) if dpkg cannot be asked.
    async fn snapshot(&self, log: Option<&mut Log>) -> Snapshot {
        let admin = self.root.join("var/lib/dpkg");
        let output = tokio::process::Command::new("dpkg-query")
            .arg(format!("--admindir={}", admin.display()))
            .args(["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Architecture}\t${Version}\n"])
            .env("LC_ALL", "C")
            .output()
            .await;
        let mut out = Snapshot::new();
        match output {
            Ok(output) => {
                for line in String::from_utf8_lossy(&output.stdout).lines() {
                    let mut parts = line.split('\t');
                    let (Some(status), Some(name), Some(arch), Some(version)) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let status = status.trim().to_owned();
                    // Known to dpkg but not installed (`un`), or only its configuration left (`rc`).
                    if matches!(status.as_bytes().get(1), Some(b'n' | b'c') | None) {
                        continue;
                    }
                    out.insert((name.to_owned(), arch.to_owned()), Installed { version: version.to_owned(), status });
                }
            }
            Err(e) => {
                if let Some(log) = log {
                    log.line(format!("E: cannot run dpkg-query: {e}"));
                }
            }
        }
        out
    }

    /// The name apt gives a package's file: `name_version_arch.deb`, the epoch's `:` as `%3a`.
    fn deb_name(name: &str, version: &str, arch: &str) -> String {
        format!("{name}_{}_{arch}.deb", version.replace(':', "%3a"))
    }

    /// Makes sure the cache has this version of the package: from apt's archive cache, else
    /// downloaded. Says in the log when neither works.
    async fn keep(&self, log: &mut Log, name: &str, version: &str, arch: &str) -> bool {
        let file = Executor::deb_name(name, version, arch);
        let kept = self.cache.join(&file);
        if kept.exists() {
            return true;
        }
        if let Err(e) = std::fs::create_dir_all(&self.cache) {
            log.line(format!("W: cannot make the package cache {}: {e}", self.cache.display()));
            return false;
        }
        let archived = self.root.join("var/cache/apt/archives").join(&file);
        if archived.exists() && copy_whole(&archived, &kept).is_ok() {
            return true;
        }
        let spec = format!("{name}:{arch}={version}");
        let limit = self.timeout.min(Duration::from_secs(600));
        let ran = self.run(log, "apt-get", &["download".into(), "-q".into(), spec], Some(&self.cache), limit).await;
        if ran.ok() && kept.exists() {
            return true;
        }
        let _ = std::fs::remove_file(&kept);
        log.line(format!(
            "W: no copy of {name} {version} could be kept: a rollback to it needs the archive to have it"
        ));
        false
    }

    /// Keeps the cache under its limit: the oldest files go first, never those of `keep`.
    fn prune(&self, keep: &[String]) {
        let Ok(entries) = std::fs::read_dir(&self.cache) else { return };
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".deb"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        files.sort();
        let mut total: u64 = files.iter().map(|(_, size, _)| size).sum();
        for (_, size, path) in files {
            if total <= self.cache_limit {
                break;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if keep.contains(&name) {
                continue;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }

    fn apt_options(&self) -> Vec<String> {
        [
            "-y",
            "-q",
            "--no-install-recommends",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["-o".to_owned(), format!("DPkg::Lock::Timeout={}", self.lock_timeout.as_secs())])
        .collect()
    }

    /// What the job's packages were and are now.
    fn job_changes(packages: &[JobPackage], before: &Snapshot, after: &Snapshot) -> Vec<PackageChange> {
        let version =
            |s: &Snapshot, p: &JobPackage| s.get(&(p.name.clone(), p.arch.clone())).map(|i| i.version.clone());
        packages
            .iter()
            .map(|p| PackageChange {
                name: p.name.clone(),
                arch: p.arch.clone(),
                before: version(before, p),
                after: version(after, p),
            })
            .collect()
    }

    /// [`Executor::job_changes`], and every other package that moved.
    fn changes(packages: &[JobPackage], before: &Snapshot, after: &Snapshot) -> Vec<PackageChange> {
        let mut changes = Executor::job_changes(packages, before, after);
        let keys: std::collections::BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
        for key in keys {
            if packages.iter().any(|p| p.name == key.0 && p.arch == key.1) {
                continue;
            }
            let (b, a) = (before.get(key).map(|i| i.version.clone()), after.get(key).map(|i| i.version.clone()));
            if b != a {
                changes.push(PackageChange { name: key.0.clone(), arch: key.1.clone(), before: b, after: a });
            }
        }
        changes
    }

    fn reboot_required(&self, changes: &[PackageChange]) -> bool {
        let flagged = ["run/reboot-required", "var/run/reboot-required"].iter().any(|p| self.root.join(p).exists());
        let core = changes.iter().any(|c| {
            c.before != c.after
                && (c.name.starts_with("linux-image-") || c.name == "libc6" || c.name == "systemd" || c.name == "dbus")
        });
        flagged || core
    }

    /// Runs a job to its end and says what happened.
    pub async fn run_job(&self, job: &Job, started_at: OffsetDateTime) -> JobReport {
        let mut log = Log::default();
        if !self.live() {
            return report(
                JobOutcome::Failed,
                format!(
                    "this agent reads the root folder {} and changes nothing there; jobs run on the live system (--root /)",
                    self.root.display()
                ),
                Vec::new(),
                false,
                &log,
                started_at,
            );
        }
        let before = self.snapshot(Some(&mut log)).await;
        let (outcome, message) = match &job.work {
            JobWork::Install { packages } => self.install(&mut log, packages, &before).await,
            JobWork::Rollback { packages } => self.rollback(&mut log, packages).await,
            JobWork::Reboot => self.reboot(&mut log).await,
            JobWork::MalwareScan { .. } | JobWork::MalwareRestore { .. } | JobWork::HardenApply { .. } => {
                (JobOutcome::Failed, format!("a {} job runs through its own module", job.work.kind()))
            }
        };
        let after = self.snapshot(Some(&mut log)).await;
        let changes = Executor::changes(job.work.packages(), &before, &after);
        let mut outcome = outcome;
        let mut message = message;
        // Whatever the command said, the job is done when dpkg says every package is at its version.
        if !matches!(job.work, JobWork::Reboot) {
            let missed = unreached(job.work.packages(), &after);
            if missed.is_empty() && outcome == JobOutcome::Failed {
                outcome = JobOutcome::Succeeded;
            } else if !missed.is_empty() && outcome == JobOutcome::Succeeded {
                outcome = JobOutcome::Failed;
                message = format!("not at the version wanted: {}", missed.join(", "));
            }
        }
        let reboot = self.reboot_required(&changes);
        report(outcome, message, changes, reboot, &log, started_at)
    }

    async fn install(&self, log: &mut Log, packages: &[JobPackage], before: &Snapshot) -> (JobOutcome, String) {
        // Fresh lists: the version wanted may be newer than the last update saw. A failure here
        // is not the end: the lists may have it already.
        let update = self.run(log, "apt-get", &["update".into(), "-q".into()], None, self.timeout).await;
        if !update.ok() {
            log.line("W: apt-get update failed; trying with the lists there are");
        }
        let mut kept = Vec::new();
        for package in packages {
            if let Some(installed) = before.get(&(package.name.clone(), package.arch.clone()))
                && self.keep(log, &package.name, &installed.version, &package.arch).await
            {
                kept.push(Executor::deb_name(&package.name, &installed.version, &package.arch));
            }
        }
        let mut args: Vec<String> = vec!["install".into(), "--only-upgrade".into()];
        args.extend(self.apt_options());
        args.extend(packages.iter().map(|p| format!("{}:{}={}", p.name, p.arch, p.version)));
        let ran = self.run(log, "apt-get", &args, None, self.timeout).await;
        let after = self.snapshot(Some(&mut *log)).await;
        // The versions just installed go into the cache too: a later rollback of a rollback,
        // or a reinstall, finds them there.
        for package in packages {
            if after.get(&(package.name.clone(), package.arch.clone())).is_some_and(|i| i.version == package.version) {
                let file = Executor::deb_name(&package.name, &package.version, &package.arch);
                let archived = self.root.join("var/cache/apt/archives").join(&file);
                if archived.exists() && copy_whole(&archived, &self.cache.join(&file)).is_ok() {
                    kept.push(file);
                }
            }
        }
        self.prune(&kept);
        if ran.ok() {
            return (JobOutcome::Succeeded, format!("installed {}", listed(packages)));
        }
        let mut message = if ran.timed_out {
            format!("the install did not finish within {}s", self.timeout.as_secs())
        } else {
            log.reason().unwrap_or_else(|| format!("apt-get exited with {}", code_text(ran.code)))
        };
        // A package left unpacked or half-configured goes back to what it was.
        let broken: Vec<(&JobPackage, &Installed)> = packages
            .iter()
            .filter_map(|p| {
                let now = after.get(&(p.name.clone(), p.arch.clone()))?;
                (!now.configured()).then_some((p, now))
            })
            .collect();
        if !broken.is_empty() {
            self.run(log, "dpkg", &["--configure".into(), "-a".into()], None, self.timeout).await;
            let restore: Vec<JobPackage> = broken
                .iter()
                .filter_map(|(p, _)| {
                    before.get(&(p.name.clone(), p.arch.clone())).map(|old| JobPackage {
                        name: p.name.clone(),
                        arch: p.arch.clone(),
                        version: old.version.clone(),
                    })
                })
                .collect();
            if !restore.is_empty() {
                let (restored, _) = self.rollback(log, &restore).await;
                let names: Vec<String> = restore.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
                message = if restored == JobOutcome::Succeeded {
                    format!("{message}; put back {}", names.join(", "))
                } else {
                    format!("{message}; could not put back {}: see the log", names.join(", "))
                };
            }
        }
        (JobOutcome::Failed, message)
    }

    async fn rollback(&self, log: &mut Log, packages: &[JobPackage]) -> (JobOutcome, String) {
        let mut args: Vec<String> = vec!["install".into(), "--allow-downgrades".into()];
        args.extend(self.apt_options());
        let mut from_archive = Vec::new();
        for package in packages {
            let kept = self.cache.join(Executor::deb_name(&package.name, &package.version, &package.arch));
            if kept.exists() {
                args.push(kept.display().to_string());
            } else {
                from_archive.push(package.name.clone());
                args.push(format!("{}:{}={}", package.name, package.arch, package.version));
            }
        }
        if !from_archive.is_empty() {
            log.line(format!("W: not in the agent's cache, asked of the archive: {}", from_archive.join(", ")));
        }
        let ran = self.run(log, "apt-get", &args, None, self.timeout).await;
        if ran.ok() {
            (JobOutcome::Succeeded, format!("put back {}", listed(packages)))
        } else {
            (JobOutcome::Failed, log.reason().unwrap_or_else(|| format!("apt-get exited with {}", code_text(ran.code))))
        }
    }

    async fn reboot(&self, log: &mut Log) -> (JobOutcome, String) {
        let Some((program, args)) = self.reboot_command.split_first() else {
            return (JobOutcome::Failed, "no reboot command is configured".into());
        };
        let ran = self.run(log, program, args, None, Duration::from_secs(120)).await;
        if ran.ok() {
            (JobOutcome::Succeeded, format!("restart requested ({})", self.reboot_command.join(" ")))
        } else {
            (JobOutcome::Failed, format!("{} exited with {}", self.reboot_command.join(" "), code_text(ran.code)))
        }
    }

    /// The report of a job the agent stopped in the middle of: dpkg finishes what it can, and
    /// the versions it then records say whether the job happened.
    pub async fn reconcile(&self, running: &RunningJob, booted_at: Option<OffsetDateTime>) -> JobReport {
        let mut log = Log::default();
        log.line(format!("the agent stopped during job {}; reconciling with what dpkg records", running.job.id));
        if running.job.work.is_malware() {
            // Every removal is whole or not at all (see the quarantine); the scan is not.
            let message = "the agent stopped during the malware job; what it removed is in the quarantine, and a new scan finds the rest";
            return report(JobOutcome::Failed, message.to_owned(), Vec::new(), false, &log, running.started_at);
        }
        if let JobWork::Reboot = running.job.work {
            let rebooted = booted_at.is_some_and(|booted| booted > running.started_at);
            let (outcome, message) = if rebooted {
                (JobOutcome::Succeeded, "the host restarted".to_owned())
            } else {
                (JobOutcome::Failed, "the agent stopped before the host restarted".to_owned())
            };
            return report(outcome, message, Vec::new(), false, &log, running.started_at);
        }
        let before: Snapshot = running
            .before
            .iter()
            .filter_map(|(name, arch, version)| {
                version
                    .as_ref()
                    .map(|v| ((name.clone(), arch.clone()), Installed { version: v.clone(), status: "ii".into() }))
            })
            .collect();
        if self.live() {
            self.run(&mut log, "dpkg", &["--configure".into(), "-a".into()], None, self.timeout).await;
        }
        let after = self.snapshot(Some(&mut log)).await;
        let packages = running.job.work.packages();
        let missed = unreached(packages, &after);
        let (outcome, message) = if missed.is_empty() {
            (JobOutcome::Succeeded, format!("interrupted, but dpkg records {}", listed(packages)))
        } else {
            (JobOutcome::Failed, format!("interrupted; not at the version wanted: {}", missed.join(", ")))
        };
        // Only the job's own packages are known from before.
        let changes = Executor::job_changes(packages, &before, &after);
        let reboot = self.reboot_required(&changes);
        report(outcome, message, changes, reboot, &log, running.started_at)
    }

    /// The job's packages as installed now, for [`RunningJob::before`].
    pub async fn before(&self, job: &Job) -> Vec<(String, String, Option<String>)> {
        let snapshot = self.snapshot(None).await;
        job.work
            .packages()
            .iter()
            .map(|p| {
                let version = snapshot.get(&(p.name.clone(), p.arch.clone())).map(|i| i.version.clone());
                (p.name.clone(), p.arch.clone(), version)
            })
            .collect()
    }
}

/// The packages not installed and configured at the version wanted, with what they are.
fn unreached(packages: &[JobPackage], after: &Snapshot) -> Vec<String> {
    packages
        .iter()
        .filter_map(|p| match after.get(&(p.name.clone(), p.arch.clone())) {
            Some(i) if i.version == p.version && i.configured() => None,
            Some(i) if !i.configured() => {
                Some(format!("{} is {} at {} (dpkg status {})", p.name, state_word(&i.status), i.version, i.status))
            }
            Some(i) => Some(format!("{} is at {}, not {}", p.name, i.version, p.version)),
            None => Some(format!("{} is not installed", p.name)),
        })
        .collect()
}

fn state_word(status: &str) -> &'static str {
    match status.as_bytes().get(1) {
        Some(b'U') => "unpacked",
        Some(b'F') => "half-configured",
        Some(b'H') => "half-installed",
        Some(b'W') | Some(b't') => "awaiting triggers",
        _ => "not configured",
    }
}

fn listed(packages: &[JobPackage]) -> String {
    packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect::<Vec<_>>().join(", ")
}

fn code_text(code: Option<i32>) -> String {
    code.map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"))
}

fn report(
    outcome: JobOutcome,
    message: String,
    changes: Vec<PackageChange>,
    reboot_required: bool,
    log: &Log,
    started_at: OffsetDateTime,
) -> JobReport {
    let mut message = message;
    if message.len() > 4000 {
        let mut end = 4000;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    JobReport {
        malware: None,
        outcome,
        message,
        changes,
        reboot_required,
        log: log.tail(),
        started_at,
        finished_at: OffsetDateTime::now_utc().max(started_at),
    }
}

/// Copies a file whole or not at all: a temporary file beside the target, then a rename.
fn copy_whole(from: &Path, to: &Path) -> std::io::Result<()> {
    let temporary = to.with_extension(format!("part.{}", std::process::id()));
    let copied = std::fs::copy(from, &temporary).and_then(|_| std::fs::rename(&temporary, to));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_its_tail_and_the_reason() {
        let mut log = Log::default();
        log.line("Reading package lists...");
        log.line("E: Version '1.3' for 'widget' was not found");
        log.line("W: something after");
        log.line("E: Unable to fetch some archives");
        assert_eq!(
            log.reason().as_deref(),
            Some("E: Version '1.3' for 'widget' was not found / E: Unable to fetch some archives")
        );
        log.line("$ apt-get install");
        log.line("E: Could not get lock");
        assert_eq!(log.reason().as_deref(), Some("E: Could not get lock"), "only the last command's");
        let mut long = Log::default();
        for i in 0..5000 {
            long.line(format!("line {i} é"));
        }
        let tail = long.tail();
        assert!(tail.len() <= MAX_JOB_LOG, "{}", tail.len());
        assert!(tail.ends_with("line 4999 é\n") && tail.starts_with("[… "), "{}", &tail[..40]);
    }

    #[test]
    fn file_names_are_apts() {
        assert_eq!(Executor::deb_name("widget", "1:1.0-1", "amd64"), "widget_1%3a1.0-1_amd64.deb");
    }

    #[test]
    fn unreached_packages_say_why() {
        let wanted =
            |name: &str, version: &str| JobPackage { name: name.into(), arch: "amd64".into(), version: version.into() };
        let mut after = Snapshot::new();
        after.insert(("a".into(), "amd64".into()), Installed { version: "1.1".into(), status: "ii".into() });
        after.insert(("b".into(), "amd64".into()), Installed { version: "1.1".into(), status: "iF".into() });
        after.insert(("c".into(), "amd64".into()), Installed { version: "1.0".into(), status: "ii".into() });
        let missed = unreached(&[wanted("a", "1.1"), wanted("b", "1.1"), wanted("c", "1.1"), wanted("d", "1")], &after);
        assert_eq!(
            missed,
            ["b is half-configured at 1.1 (dpkg status iF)", "c is at 1.0, not 1.1", "d is not installed",]
        );
    }
}
