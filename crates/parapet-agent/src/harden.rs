//! Security configuration jobs: the server's policy applied with `parapet harden`'s apply
//! (snapshot first, all or nothing), kept only once the agent reaches the server again within
//! the job's window, else put back as it was; and the report of the applied policy and its
//! drift that goes with a check-in whenever it changed.
//!
//! Like malware jobs they run on a root folder too (`--root`); whether the firewall is the
//! live one is `Executor::harden_firewall` (by default, live only for `/`).

use std::path::Path;
use std::time::Duration;

use parapet_harden::apply::{self, Status};
use parapet_harden::{ApplyOptions, Clock, HardenError, Host, Policy, RoleBook, SnapshotStatus, SystemClock};
use parapet_model::fleet::{MAX_HARDEN_DRIFT, MAX_JOB_LOG};
use parapet_model::{HardenDrift, HardenReport, JobOutcome, JobReport, JobWork};
use time::OffsetDateTime;

use crate::client::Client;

/// How often the agent tries to reach the server while an apply waits for confirmation.
const RETRY: Duration = Duration::from_secs(2);

/// The role book, parsed once per process: a check-in reads it whenever the host has a policy.
fn book() -> &'static RoleBook {
    static BOOK: std::sync::OnceLock<RoleBook> = std::sync::OnceLock::new();
    BOOK.get_or_init(RoleBook::builtin)
}

/// Runs a blocking step of `parapet harden` off the runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|e| format!("the hardening step stopped: {e}"))
}

/// Applies the job's policy, waits to reach the server, and keeps or reverts it.
pub(crate) async fn run(
    work: &JobWork,
    root: &Path,
    live_firewall: Option<bool>,
    client: &Client,
    credential: &str,
    started_at: OffsetDateTime,
) -> JobReport {
    let mut log = Vec::new();
    let (outcome, message) = match work {
        JobWork::HardenApply { policy, digest, confirm_within_s } => {
            let host = Host::new(root, live_firewall);
            apply_and_confirm(&host, policy, digest, *confirm_within_s, client, credential, &mut log).await
        }
        other => (JobOutcome::Failed, format!("a {} job is not a hardening job", other.kind())),
    };
    report(outcome, message, &log, started_at)
}

async fn apply_and_confirm(
    host: &Host,
    text: &str,
    digest: &str,
    confirm_within_s: u32,
    client: &Client,
    credential: &str,
    log: &mut Vec<String>,
) -> (JobOutcome, String) {
    let book = book();
    let policy = match Policy::read(text, book) {
        Ok(policy) => policy,
        Err(e) => return (JobOutcome::Failed, format!("the server's policy is not one this agent reads: {e}")),
    };
    if policy.digest() != digest {
        return (JobOutcome::Failed, format!("the policy sent is not the one of digest {digest}"));
    }
    let window = Duration::from_secs(u64::from(confirm_within_s.clamp(10, 3600)));
    log.push(format!(
        "applying policy {} on {} (firewall {}), to be confirmed within {}s",
        short(digest),
        host.root.display(),
        if host.live_firewall { "live" } else { "left alone" },
        window.as_secs()
    ));
    let applied = {
        let host = host.clone();
        blocking(move || {
            let options = ApplyOptions { confirm_within: Some(window), force: false, management: None };
            apply::apply(&host, book, &policy, &options, &SystemClock)
        })
        .await
    };
    let snapshot = match applied {
        Ok(Ok(snapshot)) => snapshot,
        Ok(Err(e)) => return (JobOutcome::Failed, e.to_string()),
        Err(e) => return (JobOutcome::Failed, e),
    };
    let deadline_ms = match snapshot.status {
        SnapshotStatus::Pending { deadline_ms } => deadline_ms,
        _ => SystemClock.now_ms(),
    };
    log.push(format!("applied as snapshot {}; reaching the server to keep it", snapshot.id));
    loop {
        match client.reach(credential).await {
            Ok(()) => {
                let confirmed = {
                    let host = host.clone();
                    blocking(move || apply::confirm(&host, &SystemClock)).await
                };
                return match confirmed {
                    Ok(Ok(id)) => {
                        log.push(format!("reached the server: snapshot {id} kept"));
                        (JobOutcome::Succeeded, format!("policy {} applied and kept (snapshot {id})", short(digest)))
                    }
                    Ok(Err(e)) => (JobOutcome::Failed, e.to_string()),
                    Err(e) => (JobOutcome::Failed, e),
                };
            }
            Err(e) => log.push(format!("the server is not reachable yet: {e}")),
        }
        if SystemClock.now_ms() >= deadline_ms {
            break;
        }
        tokio::time::sleep(RETRY).await;
    }
    let reverted = {
        let host = host.clone();
        blocking(move || apply::revert_expired(&host, &SystemClock)).await
    };
    match reverted {
        Ok(Ok(_)) => (
            JobOutcome::Failed,
            format!(
                "the agent did not reach the server within {}s of applying: snapshot {} reverted, the host is as it was",
                window.as_secs(),
                snapshot.id
            ),
        ),
        Ok(Err(e)) => (JobOutcome::Failed, format!("reverting snapshot {} failed: {e}", snapshot.id)),
        Err(e) => (JobOutcome::Failed, e),
    }
}

/// The report of a hardening job the agent stopped in the middle of: an apply still waiting is
/// kept if the server answers now (the agent is back in touch), else it reverts when its window
/// ends, as any later `parapet harden` command sees to.
pub(crate) async fn reconcile(
    work: &JobWork,
    root: &Path,
    live_firewall: Option<bool>,
    client: &Client,
    credential: &str,
    started_at: OffsetDateTime,
) -> JobReport {
    let JobWork::HardenApply { digest, .. } = work else {
        return report(JobOutcome::Failed, "not a hardening job".into(), &[], started_at);
    };
    let host = Host::new(root, live_firewall);
    let mut log = vec!["the agent stopped during the hardening job; reading where the host stands".to_owned()];
    let status = status(&host).await;
    let (outcome, message) = match status {
        Ok(status) if status.policy_digest.as_deref() == Some(digest.as_str()) && status.pending => {
            match client.reach(credential).await {
                Ok(()) => {
                    let host = host.clone();
                    match blocking(move || apply::confirm(&host, &SystemClock)).await {
                        Ok(Ok(id)) => (
                            JobOutcome::Succeeded,
                            format!("interrupted, but policy {} kept (snapshot {id})", short(digest)),
                        ),
                        Ok(Err(e)) => (JobOutcome::Failed, format!("interrupted: {e}")),
                        Err(e) => (JobOutcome::Failed, e),
                    }
                }
                Err(e) => {
                    log.push(e.to_string());
                    (
                        JobOutcome::Failed,
                        "interrupted while waiting for confirmation; it reverts when its window ends".into(),
                    )
                }
            }
        }
        Ok(status) if status.policy_digest.as_deref() == Some(digest.as_str()) => {
            (JobOutcome::Succeeded, format!("interrupted, but policy {} runs", short(digest)))
        }
        Ok(_) => (JobOutcome::Failed, "interrupted before the policy was kept; the host is as it was".into()),
        Err(e) => (JobOutcome::Failed, format!("interrupted, and the hardening state cannot be read: {e}")),
    };
    report(outcome, message, &log, started_at)
}

/// The applied policy and its drift, as a check-in reports it; `None` when nothing was ever
/// applied here (no state folder).
pub async fn current(root: &Path, live_firewall: Option<bool>) -> Option<HardenReport> {
    let host = Host::new(root, live_firewall);
    if !host.state.exists() {
        return None;
    }
    Some(status(&host).await.unwrap_or_else(|error| HardenReport { error: Some(error), ..HardenReport::default() }))
}

async fn status(host: &Host) -> Result<HardenReport, String> {
    let host = host.clone();
    let status: Result<Status, HardenError> = blocking(move || apply::status(&host, book(), &SystemClock)).await?;
    let status = status.map_err(|e| e.to_string())?;
    let policy_digest = match &status.policy {
        Some(text) => Some(Policy::read(text, book()).map_err(|e| e.to_string())?.digest()),
        None => None,
    };
    let mut drift: Vec<HardenDrift> = status
        .drift
        .into_iter()
        .map(|d| HardenDrift { kind: d.kind, subject: d.subject, expected: d.expected, found: d.found })
        .collect();
    drift.truncate(MAX_HARDEN_DRIFT);
    for item in &mut drift {
        for text in [&mut item.subject, &mut item.expected, &mut item.found] {
            *text = printable(text, 1024);
        }
    }
    Ok(HardenReport {
        policy_digest,
        snapshot: status.snapshot,
        pending: status.pending_deadline_ms.is_some(),
        drift,
        error: None,
    })
}

/// A text the server takes: no control characters, at most `max` bytes.
fn printable(text: &str, max: usize) -> String {
    let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if out.len() > max {
        let mut end = max;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn report(outcome: JobOutcome, message: String, log: &[String], started_at: OffsetDateTime) -> JobReport {
    // The last lines that fit: the outcome is at the end.
    let mut kept = Vec::new();
    let mut size = 0;
    for line in log.iter().rev() {
        let line = printable(line, 1024);
        size += line.len() + 1;
        if size > MAX_JOB_LOG {
            break;
        }
        kept.push(line);
    }
    kept.reverse();
    let log = kept.join("\n");
    JobReport {
        outcome,
        message: printable(&message, 4096),
        changes: Vec::new(),
        reboot_required: false,
        log,
        started_at,
        finished_at: OffsetDateTime::now_utc().max(started_at),
        malware: None,
    }
}
