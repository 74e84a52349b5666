//! The subcommands: `enroll`, `run`, `check-in`, `status`, `completions`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use parapet_agent::AgentState;
use parapet_agent::client::{self, AgentError};
use parapet_agent::jobs::Executor;
use parapet_model::fleet::Tag;
use rand::Rng;

/// The Parapet agent: reports this host's facts and packages to a Parapet server, which works
/// out the security updates it still needs.
///
/// Enroll once with a secret from the server's fleet page (`parapet-agent enroll`), then run the
/// service (`parapet-agent run`, or the systemd unit `parapet-agent.service`).
#[derive(Debug, Parser)]
#[command(name = "parapet-agent", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Read the inventory of this root filesystem instead of `/`.
    #[arg(long, global = true, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Where the agent keeps its state (host ID, credential, sequence).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/var/lib/parapet-agent",
        env = "PARAPET_AGENT_STATE"
    )]
    state: PathBuf,
    /// Trust this CA certificate (PEM) for the server, besides the system's.
    #[arg(long, global = true, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Give up on a request to the server after this many seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = client::DEFAULT_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    #[command(flatten)]
    jobs: JobOptions,
    #[command(subcommand)]
    command: Command,
}

/// How the agent runs the jobs the server gives it (installs, rollbacks, reboots).
#[derive(Debug, clap::Args)]
struct JobOptions {
    /// Take no jobs: check in only. Jobs wait on the server for a check-in that takes them.
    #[arg(long, global = true)]
    no_jobs: bool,
    /// The command that restarts the host for a reboot job.
    #[arg(long, global = true, value_name = "COMMAND", default_value = "systemctl reboot")]
    reboot_command: String,
    /// Stop a job's package manager after this many seconds (the job then fails, reported).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    job_timeout: u64,
    /// Wait this long for another process holding the dpkg lock before the job fails.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    lock_timeout: u64,
    /// How much the cache of replaced packages (for rollbacks) may hold, in MiB.
    #[arg(long, global = true, value_name = "MIB", default_value_t = 512)]
    cache_limit: u64,
    /// Whether security configuration jobs load their nftables ruleset into this network stack
    /// (`live`) or leave the firewall alone (`skip`); by default live only when --root is `/`.
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    firewall: Option<FirewallMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FirewallMode {
    Live,
    Skip,
}

impl JobOptions {
    fn executor(&self, root: &Path, state: &Path) -> anyhow::Result<Option<Executor>> {
        if self.no_jobs {
            return Ok(None);
        }
        let reboot_command: Vec<String> = self.reboot_command.split_whitespace().map(str::to_owned).collect();
        if reboot_command.is_empty() {
            anyhow::bail!("--reboot-command is empty");
        }
        Ok(Some(Executor {
            root: root.to_owned(),
            cache: state.join("packages"),
            cache_limit: self.cache_limit.saturating_mul(1 << 20),
            reboot_command,
            timeout: Duration::from_secs(self.job_timeout),
            lock_timeout: Duration::from_secs(self.lock_timeout),
            harden_firewall: self.firewall.map(|mode| mode == FirewallMode::Live),
        }))
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Register this host with a server.
    ///
    /// The secret comes from the server (Fleet → Enrollment secrets, or
    /// `POST /api/v1/fleet/enrollment-secrets`); it decides the group the host joins. The host
    /// ID and credential the server gives are stored in the state folder, readable by root only.
    Enroll {
        /// The server's URL, e.g. https://parapet.example.com
        #[arg(long, value_name = "URL")]
        server: String,
        /// The enrollment secret (ppe_…); also read from PARAPET_AGENT_SECRET.
        #[arg(long, value_name = "SECRET", env = "PARAPET_AGENT_SECRET", hide_env_values = true)]
        secret: String,
        /// A KEY=VALUE tag that group rules can match on; repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<Tag>,
        /// Enroll again although this host is enrolled: it becomes a new host on the server.
        #[arg(long)]
        force: bool,
    },
    /// Run as a service: check in now and then every interval the server asks for, with
    /// jitter, backing off while the server is away. Stops cleanly on SIGTERM or Ctrl-C.
    Run {
        /// Check in this often instead of what the server asks (seconds).
        #[arg(long, value_name = "SECONDS")]
        interval: Option<u64>,
    },
    /// Check in once, now.
    CheckIn {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show what the agent knows: server, host ID, last check-in and its result.
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Find and remove malicious software: scan this host (or --root) with a signature pack,
    /// and list, restore or delete what removals put into the quarantine (STATE/quarantine).
    #[command(subcommand)]
    Malware(MalwareCommand),
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
enum MalwareCommand {
    /// Scan files, this host's processes (--processes) or a root folder (--root) for the
    /// families of a signature pack. Exit status: 0 clean, 1 detected, 2 errors.
    Scan(parapet_malware::cli::ScanArgs),
    /// List, restore and delete quarantine items.
    Quarantine {
        #[command(subcommand)]
        command: parapet_malware::cli::QuarantineCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let connection = client::Connection { ca: cli.ca.as_deref(), timeout: Duration::from_secs(cli.timeout) };
    match cli.command {
        Command::Enroll { server, secret, tags, force } => {
            let state =
                runtime.block_on(client::enroll(&cli.state, &cli.root, &server, &secret, tags, &connection, force))?;
            println!("enrolled with {} as {}; state in {}", state.server, state.host_id, cli.state.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckIn { format } => {
            let executor = cli.jobs.executor(&cli.root, &cli.state)?;
            let outcome = runtime.block_on(client::check_in(&cli.state, &cli.root, &connection, executor.as_ref()))?;
            for problem in &outcome.problems {
                eprintln!("parapet-agent: warning: {problem}");
            }
            if format == Format::Text {
                for job in &outcome.jobs {
                    println!("job {} ({}): {}: {}", job.id, job.kind, job.outcome.as_str(), job.message);
                }
            }
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&outcome)?),
                Format::Text => println!(
                    "checked in as {} (#{}): {} packages{}, {} security updates needed",
                    outcome.host_id,
                    outcome.sequence,
                    outcome.packages,
                    if outcome.sent_inventory { ", inventory sent" } else { "" },
                    outcome.security_updates
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { format } => status(&cli.state, format),
        Command::Run { interval } => {
            let executor = cli.jobs.executor(&cli.root, &cli.state)?;
            runtime.block_on(service(&cli.state, &cli.root, &connection, interval, executor.as_ref()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Malware(command) => {
            let quarantine = cli.state.join("quarantine");
            let status = match command {
                MalwareCommand::Scan(args) => {
                    client::http_client(&connection).map_err(anyhow::Error::from).and_then(|http| {
                        // Without rules named, the packs of the server this host is enrolled with.
                        let default_server = AgentState::load(&cli.state).ok().flatten().map(|state| state.server);
                        let places = parapet_malware::cli::Places {
                            quarantine: quarantine.clone(),
                            packs: cli.state.join("packs"),
                            default_server,
                            http,
                        };
                        parapet_malware::cli::run_scan(&args, &cli.root, &places)
                    })
                }
                MalwareCommand::Quarantine { command } => parapet_malware::cli::run_quarantine(&command, &quarantine),
            };
            // 1 means "detected" here: a scan that cannot run is 2, as for `parapet malware`.
            Ok(ExitCode::from(status.unwrap_or_else(|e| {
                eprintln!("parapet-agent: {e:#}");
                2
            })))
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "parapet-agent", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(folder: &Path, format: Format) -> anyhow::Result<ExitCode> {
    let Some(state) = AgentState::load(folder)? else {
        anyhow::bail!("{}", AgentError::NotEnrolled(folder.to_owned()));
    };
    let view = serde_json::json!({
        "server": state.server,
        "host_id": state.host_id,
        "sequence": state.sequence,
        "last_check_in": state.last_check_in,
        "last_result": state.last_result,
        "interval_seconds": state.interval_seconds,
        "tags": state.tags.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?,
        Format::Text => {
            writeln!(out, "server:        {}", state.server)?;
            writeln!(out, "host ID:       {}", state.host_id)?;
            writeln!(out, "check-ins:     {}", state.sequence)?;
            writeln!(out, "last check-in: {}", state.last_check_in.as_deref().unwrap_or("never"))?;
            writeln!(out, "last result:   {}", state.last_result.as_deref().unwrap_or("none"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The service loop. Errors that time can cure (the server away, a 5xx, a full disk) are
/// retried with a growing delay; those it cannot (a revoked host) end the service with an error.
async fn service(
    folder: &Path,
    root: &Path,
    connection: &client::Connection<'_>,
    interval: Option<u64>,
    executor: Option<&Executor>,
) -> anyhow::Result<()> {
    let mut failures: u32 = 0;
    // The regular interval caps the back-off: the one given, else the server's last word.
    let mut regular = interval.or_else(|| AgentState::load(folder).ok().flatten().and_then(|s| s.interval_seconds));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    eprintln!("parapet-agent: running (state in {})", folder.display());
    loop {
        let wait = match client::check_in(folder, root, connection, executor).await {
            Ok(outcome) => {
                failures = 0;
                regular = interval.or(Some(outcome.interval_seconds));
                for job in &outcome.jobs {
                    eprintln!(
                        "parapet-agent: job {} ({}): {}: {}",
                        job.id,
                        job.kind,
                        job.outcome.as_str(),
                        job.message
                    );
                }
                eprintln!(
                    "parapet-agent: checked in (#{}): {} packages, {} security updates needed",
                    outcome.sequence, outcome.packages, outcome.security_updates
                );
                jittered(Duration::from_secs(interval.unwrap_or(outcome.interval_seconds).max(1)))
            }
            Err(e) if e.is_transient() => {
                failures = failures.saturating_add(1);
                let ceiling = Duration::from_secs(regular.unwrap_or(3600).max(1));
                let backoff = Duration::from_secs(5u64.saturating_mul(1 << failures.min(10))).min(ceiling);
                eprintln!("parapet-agent: check-in failed, retrying in {}s: {e}", backoff.as_secs());
                jittered(backoff)
            }
            Err(e) => return Err(e.into()),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    eprintln!("parapet-agent: stopped");
    Ok(())
}

/// `base` ± 10 %, so that hosts started together spread out.
fn jittered(base: Duration) -> Duration {
    let factor = rand::rng().random_range(0.9..=1.1);
    base.mul_f64(factor)
}
