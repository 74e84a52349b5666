//! Talking to the server: enrollment and one check-in, over HTTPS with the system's roots (or a
//! CA file given with `--ca`).
//!
//! The state file moves only forward and only whole: the sequence number is saved before a
//! check-in is sent, so a check-in lost on the way is never sent again under the same number
//! (which the server would take for a cloned credential), and a new credential is saved as soon
//! as the answer brings it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use parapet_model::fleet::{CheckInAnswer, Enroll, Enrolled, Job, JobOutcome, JobWork, Tag, Wanted};
use serde::Serialize;

use crate::jobs::{Executor, PendingReport, RunningJob};
use crate::report;
use crate::state::{AgentState, StateError};

/// How long one request may take by default: a full inventory of a large host is a few MiB.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 120;

/// How to reach the server: the CA to trust besides the system's, and how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    pub ca: Option<&'a Path>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("this host is not enrolled (no state in {0}): run `parapet-agent enroll --server URL --secret SECRET`")]
    NotEnrolled(PathBuf),
    #[error("this host is already enrolled with {server} as {host_id}; pass --force to enroll it again")]
    AlreadyEnrolled { server: String, host_id: String },
    #[error("cannot read the CA file {path}: {message}")]
    Ca { path: PathBuf, message: String },
    #[error("{0:?} is not a server URL: expected https://… (or http:// for a server on this machine)")]
    Url(String),
    #[error("cannot reach {server}: {message}")]
    Unreachable { server: String, message: String },
    /// The server answered with an error; `code` is its error code.
    #[error("the server refused the {what} ({status}): {message}")]
    Refused { what: &'static str, status: u16, code: String, message: String },
}

impl AgentError {
    /// Whether trying again later can help: the server being away or failing, yes; a refused
    /// credential or a report the server will never take, no (it needs a person).
    pub fn is_transient(&self) -> bool {
        match self {
            AgentError::Unreachable { .. } => true,
            AgentError::Refused { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            AgentError::State(StateError::Io { .. }) => true,
            _ => false,
        }
    }
}

/// An HTTP client for one server.
pub struct Client {
    http: reqwest::Client,
    server: String,
}

/// An HTTP client with the connection's time limit and CA.
pub fn http_client(connection: &Connection<'_>) -> Result<reqwest::Client, AgentError> {
    let mut builder = reqwest::Client::builder()
        .timeout(connection.timeout)
        .user_agent(concat!("parapet-agent/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = connection.ca {
        let ca_error = |message: String| AgentError::Ca { path: path.to_owned(), message };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
        if certificates.is_empty() {
            return Err(ca_error("no PEM certificate in it".into()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|e| AgentError::Unreachable { server: "(any)".into(), message: e.to_string() })
}

impl Client {
    pub fn new(server: &str, connection: &Connection<'_>) -> Result<Client, AgentError> {
        let server = server.trim_end_matches('/').to_owned();
        if !(server.starts_with("https://") || server.starts_with("http://")) {
            return Err(AgentError::Url(server));
        }
        let http = http_client(connection)?;
        Ok(Client { http, server })
    }

    async fn post<T: Serialize, R: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        credential: Option<&str>,
        body: &T,
    ) -> Result<R, AgentError> {
        let unreachable =
            |e: reqwest::Error| AgentError::Unreachable { server: self.server.clone(), message: chain(&e) };
        let mut request = self.http.post(format!("{}{path}", self.server)).json(body);
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let error = &body["error"];
            let message = match (error["field"].as_str(), error["message"].as_str()) {
                (Some(field), Some(message)) => format!("{field}: {message}"),
                (None, Some(message)) => message.to_owned(),
                _ => String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            };
            return Err(AgentError::Refused {
                what,
                status: status.as_u16(),
                code: error["code"].as_str().unwrap_or("").to_owned(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| AgentError::Unreachable {
            server: self.server.clone(),
            message: format!("the answer to the {what} is not what a Parapet server sends: {e}"),
        })
    }
}

impl Client {
    /// Proves the server answers this host's credential (`GET /api/v1/agent/config`): what a
    /// hardening job waits for before it keeps a change.
    pub(crate) async fn reach(&self, credential: &str) -> Result<(), AgentError> {
        let response = self
            .http
            .get(format!("{}/api/v1/agent/config", self.server))
            .bearer_auth(credential)
            .send()
            .await
            .map_err(|e| AgentError::Unreachable { server: self.server.clone(), message: chain(&e) })?;
        let status = response.status();
        if !status.is_success() {
            return Err(AgentError::Refused {
                what: "configuration request",
                status: status.as_u16(),
                code: String::new(),
                message: format!("the server answered {status}"),
            });
        }
        Ok(())
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Enrolls this host and saves its new state; refused when already enrolled, unless `force`.
pub async fn enroll(
    folder: &Path,
    root: &Path,
    server: &str,
    secret: &str,
    tags: Vec<Tag>,
    connection: &Connection<'_>,
    force: bool,
) -> Result<AgentState, AgentError> {
    if let Some(existing) = AgentState::load(folder).ok().flatten()
        && !force
    {
        return Err(AgentError::AlreadyEnrolled { server: existing.server, host_id: existing.host_id });
    }
    let client = Client::new(server, connection)?;
    let hostname = report::hostname(root);
    let request = Enroll { secret: secret.to_owned(), hostname, tags: tags.clone() };
    let enrolled: Enrolled = client.post("enrollment", "/api/v1/agent/enroll", None, &request).await?;
    let state = AgentState {
        server: client.server.clone(),
        host_id: enrolled.host_id,
        credential: enrolled.credential,
        sequence: 0,
        accepted_digest: None,
        last_check_in: None,
        last_result: Some("enrolled".into()),
        tags,
        interval_seconds: Some(enrolled.interval_seconds),
        job: None,
        reports: Vec::new(),
        harden_reported: None,
    };
    state.save(folder)?;
    Ok(state)
}

/// What one check-in came to.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub host_id: String,
    pub sequence: u64,
    /// Whether the full inventory went with it.
    pub sent_inventory: bool,
    pub packages: u64,
    pub security_updates: u64,
    pub credential_rotated: bool,
    pub interval_seconds: u64,
    /// Records of the package databases that could not be read.
    pub problems: Vec<String>,
    /// The jobs the server gave and the agent ran.
    pub jobs: Vec<JobDone>,
}

/// One job the agent ran.
#[derive(Debug, Clone, Serialize)]
pub struct JobDone {
    pub id: i64,
    pub kind: &'static str,
    pub outcome: JobOutcome,
    pub message: String,
    /// Whether the server has the report (else it goes with the next check-in).
    pub reported: bool,
}

/// How many rounds of check-in and jobs one check-in may take: an install, then the reboot it
/// needs, then the check-in that says so.
const ROUNDS: usize = 4;

/// One check-in now (two when the server asks for the inventory it lacks), and the jobs its
/// answer brings, run with `executor` (none: jobs wait) and reported, each followed by a
/// check-in of the packages as they are now.
pub async fn check_in(
    folder: &Path,
    root: &Path,
    connection: &Connection<'_>,
    executor: Option<&Executor>,
) -> Result<Outcome, AgentError> {
    let mut state = AgentState::load(folder)?.ok_or_else(|| AgentError::NotEnrolled(folder.to_owned()))?;
    let client = Client::new(&state.server, connection)?;
    let result = cycle(&client, folder, root, &mut state, executor).await;
    state.last_check_in = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).ok();
    state.last_result = Some(match &result {
        Ok(outcome) => {
            format!("ok: {} packages, {} security updates needed", outcome.packages, outcome.security_updates)
        }
        Err(e) => format!("error: {e}"),
    });
    // The outcome stands even if the note about it cannot be saved.
    let _ = state.save(folder);
    result
}

/// When this machine started, by its uptime.
fn booted_at() -> Option<time::OffsetDateTime> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(time::OffsetDateTime::now_utc() - time::Duration::seconds_f64(seconds))
}

async fn cycle(
    client: &Client,
    folder: &Path,
    root: &Path,
    state: &mut AgentState,
    executor: Option<&Executor>,
) -> Result<Outcome, AgentError> {
    let mut problems = Vec::new();
    // A job this agent stopped in the middle of is reported as it ended, never run again.
    if let (Some(running), Some(executor)) = (state.job.clone(), executor) {
        let report = if let JobWork::HardenApply { .. } = &running.job.work {
            let (root, firewall) = (&executor.root, executor.harden_firewall);
            crate::harden::reconcile(&running.job.work, root, firewall, client, &state.credential, running.started_at)
                .await
        } else {
            executor.reconcile(&running, booted_at()).await
        };
        state.reports.push(PendingReport { job_id: running.job.id, report });
        state.job = None;
        state.save(folder)?;
    }
    send_reports(client, folder, state, &mut problems).await?;
    let mut done = Vec::new();
    let mut round = 0;
    loop {
        round += 1;
        let firewall = executor.and_then(|e| e.harden_firewall);
        let (mut outcome, jobs) = exchange(client, folder, root, firewall, state).await?;
        let mut ran = 0;
        let mut failed = false;
        if let Some(executor) = executor.filter(|_| round < ROUNDS) {
            for job in jobs {
                // Its report is on its way: the server gave it again before hearing of it.
                if state.reports.iter().any(|r| r.job_id == job.id) {
                    continue;
                }
                let job = run(client, executor, folder, state, &job).await?;
                failed |= job.outcome == JobOutcome::Failed;
                done.push(job);
                ran += 1;
            }
        }
        if ran > 0 {
            send_reports(client, folder, state, &mut problems).await?;
            for job in done.iter_mut() {
                job.reported = !state.reports.iter().any(|r| r.job_id == job.id);
            }
            // The packages moved: the server hears of it now, and may have more to do (a
            // reboot). After a failure the retry waits for the next regular check-in, which
            // sends the packages as they are then.
            if !failed {
                continue;
            }
        }
        outcome.problems.extend(problems);
        outcome.jobs = done;
        return Ok(outcome);
    }
}

/// Runs one job, its start and its report each saved before the next step.
async fn run(
    client: &Client,
    executor: &Executor,
    folder: &Path,
    state: &mut AgentState,
    job: &Job,
) -> Result<JobDone, AgentError> {
    let started_at = time::OffsetDateTime::now_utc();
    let before = executor.before(job).await;
    state.job = Some(RunningJob { job: job.clone(), started_at, before });
    state.save(folder)?;
    let report = if job.work.is_malware() {
        crate::malware::run(&job.work, &executor.root, folder, &client.server, &client.http, started_at).await
    } else if let JobWork::HardenApply { .. } = &job.work {
        let (root, firewall) = (&executor.root, executor.harden_firewall);
        crate::harden::run(&job.work, root, firewall, client, &state.credential, started_at).await
    } else {
        executor.run_job(job, started_at).await
    };
    let done = JobDone {
        id: job.id,
        kind: job.work.kind(),
        outcome: report.outcome,
        message: report.message.clone(),
        reported: false,
    };
    state.job = None;
    state.reports.push(PendingReport { job_id: job.id, report });
    state.save(folder)?;
    Ok(done)
}

/// Sends the reports the server does not have yet. One it refuses for good (the job is gone,
/// the report broken) is dropped with a problem noted; the server being away keeps them all.
async fn send_reports(
    client: &Client,
    folder: &Path,
    state: &mut AgentState,
    problems: &mut Vec<String>,
) -> Result<(), AgentError> {
    while let Some(pending) = state.reports.first().cloned() {
        let path = format!("/api/v1/agent/jobs/{}/report", pending.job_id);
        let sent: Result<serde_json::Value, AgentError> =
            client.post("job report", &path, Some(&state.credential), &pending.report).await;
        match sent {
            Ok(_) => {}
            Err(AgentError::Refused { status, message, .. }) if (400..500).contains(&status) && status != 401 => {
                problems.push(format!("the server refused the report of job {}: {message}", pending.job_id));
            }
            Err(e) => return Err(e),
        }
        state.reports.remove(0);
        state.save(folder)?;
    }
    Ok(())
}

async fn exchange(
    client: &Client,
    folder: &Path,
    root: &Path,
    harden_firewall: Option<bool>,
    state: &mut AgentState,
) -> Result<(Outcome, Vec<Job>), AgentError> {
    let mut force_inventory = false;
    // Read once: a second round (the inventory asked for) reports the same configuration.
    let harden = crate::harden::current(root, harden_firewall).await;
    loop {
        state.sequence += 1;
        // Saved before sending: a number is never used twice, whatever happens to this request.
        state.save(folder)?;
        let mut reading = report::check_in(root, state.sequence, state.tags.clone(), env!("CARGO_PKG_VERSION"));
        let digest = reading.check_in.inventory_digest.clone();
        let sent_inventory = force_inventory || state.accepted_digest.as_deref() != Some(digest.as_str());
        if !sent_inventory {
            reading.check_in.inventory = None;
        }
        if harden != state.harden_reported {
            reading.check_in.harden = Some(harden.clone().unwrap_or_default());
        }
        let answer: CheckInAnswer =
            client.post("check-in", "/api/v1/agent/check-in", Some(&state.credential), &reading.check_in).await?;
        let rotated = answer.credential.is_some();
        if let Some(credential) = answer.credential {
            state.credential = credential;
        }
        state.interval_seconds = Some(answer.interval_seconds);
        match answer.wanted {
            Wanted::FullInventory if !force_inventory => {
                state.accepted_digest = None;
                state.save(folder)?;
                force_inventory = true;
                continue;
            }
            _ => {
                state.accepted_digest = Some(digest);
                state.harden_reported = harden;
                state.save(folder)?;
                let outcome = Outcome {
                    host_id: state.host_id.clone(),
                    sequence: state.sequence,
                    sent_inventory,
                    packages: answer.packages,
                    security_updates: answer.security_updates,
                    credential_rotated: rotated,
                    interval_seconds: answer.interval_seconds,
                    problems: reading.problems,
                    jobs: Vec::new(),
                };
                return Ok((outcome, answer.jobs));
            }
        }
    }
}
