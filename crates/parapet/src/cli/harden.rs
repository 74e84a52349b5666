//! `parapet harden`: the security configuration wizard. Analyze what a host exposes, write a
//! policy from the roles it plays, apply it with confirm-or-revert, roll back, show drift.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use parapet_harden::apply::{self, Management, Waited};
use parapet_harden::{Allow, ApplyOptions, Host, Policy, Protocol, RoleBook, SnapshotStatus, SystemClock, UnitAction};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum HardenCommand {
    /// What the host runs and exposes now, the roles that suggests, and what is exposed beyond
    /// them.
    Analyze {
        #[command(flatten)]
        host: HostArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write a policy: interactive on a terminal (roles proposed from the analysis), or from
    /// --role, --admin-net and --allow.
    Wizard(WizardArgs),
    /// Apply a policy: snapshot, default-deny firewall with the policy's ports, unneeded
    /// services stopped, settings written; reverted unless confirmed in time.
    Apply {
        policy: PathBuf,
        #[command(flatten)]
        host: HostArgs,
        /// Revert unless `parapet harden confirm` (or "yes" on this terminal) comes within
        /// this long (120s, 2m; 0 keeps the change at once).
        #[arg(long, default_value = "120s", value_parser = parse_duration)]
        confirm_within: Duration,
        /// Apply even when the policy would block the SSH connection it is applied through.
        #[arg(long)]
        force: bool,
    },
    /// Keep the change an apply is waiting on.
    Confirm {
        #[command(flatten)]
        host: HostArgs,
    },
    /// Restore the state before a snapshot (the last applied one by default), exactly.
    Rollback {
        snapshot: Option<String>,
        #[command(flatten)]
        host: HostArgs,
        /// List the snapshots instead.
        #[arg(long)]
        list: bool,
        /// Restore even when the host changed since Parapet last changed it.
        #[arg(long)]
        force: bool,
    },
    /// The applied policy and the drift between it and the host; exit code 1 on drift.
    Status {
        #[command(flatten)]
        host: HostArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Waits for confirmation of a snapshot and reverts it when none comes (started by apply,
    /// in its own process group, so that a lost session does not stop it).
    #[command(hide = true)]
    Watch {
        snapshot: String,
        #[command(flatten)]
        host: HostArgs,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FirewallMode {
    Live,
    Skip,
}

#[derive(Args, Debug, Clone)]
pub struct HostArgs {
    /// A root folder (a mounted image or container) instead of the running system.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Load the firewall into the running kernel (live; the default for /) or only write it
    /// for the next boot (skip; the default for --root).
    #[arg(long, value_enum)]
    firewall: Option<FirewallMode>,
    /// Where snapshots are kept [default: ROOT/var/lib/parapet/harden].
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
}

impl HostArgs {
    fn host(&self) -> Host {
        let mut host = Host::new(&self.root, self.firewall.map(|f| f == FirewallMode::Live));
        if let Some(state) = &self.state {
            host.state = state.clone();
        }
        host
    }

    fn forward(&self, command: &mut std::process::Command) {
        command.arg("--root").arg(&self.root);
        if let Some(mode) = self.firewall {
            command.args(["--firewall", if mode == FirewallMode::Live { "live" } else { "skip" }]);
        }
        if let Some(state) = &self.state {
            command.arg("--state").arg(state);
        }
    }
}

#[derive(Args, Debug)]
pub struct WizardArgs {
    /// A role the host plays (repeat): ssh, web, reverse-proxy, postgresql, mysql, smtp, imap,
    /// dns, ntp, nfs, smb, container-host, parapet-server, parapet-agent.
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// A network admin-only roles (SSH, databases, file shares) are reached from (repeat).
    #[arg(long = "admin-net", value_name = "CIDR")]
    admin_networks: Vec<ipnet::IpNet>,
    /// Another port let in: PORT/PROTO, or PORT/PROTO@CIDR[,CIDR] for some networks only.
    #[arg(long = "allow", value_name = "PORT/PROTO[@CIDR]", value_parser = parse_allow)]
    allow: Vec<Allow>,
    /// A unit to keep running although no role needs it (repeat).
    #[arg(long = "keep-unit", value_name = "UNIT")]
    keep_units: Vec<String>,
    /// Mask the services no role needs instead of disabling them.
    #[arg(long)]
    mask: bool,
    /// Where to write the policy (- for standard output).
    #[arg(long, short, default_value = "parapet-policy.toml")]
    output: PathBuf,
    #[command(flatten)]
    host: HostArgs,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 120s or 2m"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "ms" => Ok(Duration::from_millis(n)),
        _ => Err(format!("{text:?}: the unit is s, m or ms")),
    }
}

fn parse_allow(text: &str) -> Result<Allow, String> {
    let (port, from) = text.split_once('@').map_or((text, None), |(p, f)| (p, Some(f)));
    let (number, protocol) = port.split_once('/').unwrap_or((port, "tcp"));
    let port: u16 = number.parse().map_err(|_| format!("{text:?}: {number:?} is not a port"))?;
    let protocol = match protocol {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        other => return Err(format!("{text:?}: the protocol is tcp or udp, not {other:?}")),
    };
    let from = from
        .map(|nets| nets.split(',').map(|n| n.parse().map_err(|e| format!("{text:?}: {n:?}: {e}"))).collect())
        .transpose()?
        .unwrap_or_default();
    Ok(Allow { port, protocol, from })
}

fn read_policy(path: &Path, book: &RoleBook) -> anyhow::Result<Policy> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Policy::read(&text, book).with_context(|| format!("{} is not a valid policy", path.display()))
}

pub fn run(command: HardenCommand) -> anyhow::Result<ExitCode> {
    let book = RoleBook::builtin();
    let clock = SystemClock;
    match command {
        HardenCommand::Analyze { host, format } => {
            let analysis = parapet_harden::analyze::analyze(&host.host(), &book)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&analysis)?),
                Format::Text => print_analysis(&analysis),
            }
        }
        HardenCommand::Wizard(args) => return wizard(args, &book),
        HardenCommand::Apply { policy, host: host_args, confirm_within, force } => {
            let policy = read_policy(&policy, &book)?;
            let host = host_args.host();
            let management = std::env::var("SSH_CONNECTION").ok().and_then(|v| Management::from_ssh_connection(&v));
            let window = (!confirm_within.is_zero()).then_some(confirm_within);
            let options = ApplyOptions { confirm_within: window, force, management };
            let snapshot = apply::apply(&host, &book, &policy, &options, &clock)?;
            println!("applied; snapshot {} (undo with `parapet harden rollback {}`)", snapshot.id, snapshot.id);
            for change in &snapshot.units {
                println!("  {}d {} (was {})", change.action.as_str(), change.unit, change.was);
            }
            if window.is_none() {
                return Ok(ExitCode::SUCCESS);
            }
            let mut watcher = std::process::Command::new(std::env::current_exe()?);
            watcher.args(["harden", "watch", &snapshot.id]);
            host_args.forward(&mut watcher);
            std::os::unix::process::CommandExt::process_group(&mut watcher, 0);
            // Not the terminal: it outlives a lost session, and what it says goes to a log.
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(host.state.join("watch.log"))
                .with_context(|| format!("cannot open {}", host.state.join("watch.log").display()))?;
            watcher.stdin(std::process::Stdio::null()).stdout(log.try_clone()?).stderr(log);
            let mut watcher = watcher.spawn().context("cannot start the confirmation watcher")?;
            println!(
                "keep it with `parapet harden confirm`{} within {} s, or it is reverted",
                if std::io::stdin().is_terminal() { " or by typing yes here" } else { "" },
                confirm_within.as_secs()
            );
            if std::io::stdin().is_terminal() {
                let host = host.clone();
                std::thread::spawn(move || {
                    for line in std::io::stdin().lock().lines() {
                        if line.is_ok_and(|l| l.trim() == "yes") && apply::confirm(&host, &SystemClock).is_ok() {
                            break;
                        }
                    }
                });
            }
            let _ = watcher.wait();
            let snapshots = apply::snapshots(&host)?;
            let status = snapshots.iter().find(|s| s.id == snapshot.id).map(|s| s.status);
            return Ok(if status == Some(SnapshotStatus::Confirmed) {
                println!("confirmed: the policy stays");
                ExitCode::SUCCESS
            } else {
                eprintln!("parapet: not confirmed in time: the previous state is back");
                ExitCode::from(1)
            });
        }
        HardenCommand::Watch { snapshot, host } => {
            let outcome = apply::wait_for_confirmation(&host.host(), &clock, &snapshot, &|| false)?;
            return Ok(if outcome == Waited::Confirmed { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        HardenCommand::Confirm { host } => {
            let id = apply::confirm(&host.host(), &clock)?;
            println!("confirmed snapshot {id}: the policy stays");
        }
        HardenCommand::Rollback { snapshot, host, list, force } => {
            let host = host.host();
            if list {
                for s in apply::snapshots(&host)? {
                    let roles = Policy::read(&s.policy, &book).map(|p| p.roles.join(" ")).unwrap_or_default();
                    println!("{}  {:<12} roles: {roles}", s.id, status_word(s.status));
                }
                return Ok(ExitCode::SUCCESS);
            }
            let id = apply::rollback(&host, snapshot.as_deref(), force, &clock)?;
            println!("rolled back: the host is as it was before snapshot {id}");
        }
        HardenCommand::Status { host, format } => {
            let status = apply::status(&host.host(), &book, &clock)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&status)?),
                Format::Text => match &status.snapshot {
                    None => println!("no policy applied"),
                    Some(id) => {
                        println!("policy applied by snapshot {id}");
                        if status.drift.is_empty() {
                            println!("no drift");
                        }
                        for d in &status.drift {
                            println!("drift: {} {}: expected {}, found {}", d.kind, d.subject, d.expected, d.found);
                        }
                    }
                },
            }
            if !status.drift.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_word(status: SnapshotStatus) -> &'static str {
    match status {
        SnapshotStatus::Pending { .. } => "pending",
        SnapshotStatus::Confirmed => "confirmed",
        SnapshotStatus::Reverted => "reverted",
        SnapshotStatus::RolledBack => "rolled-back",
    }
}

fn print_analysis(analysis: &parapet_harden::analyze::Analysis) {
    println!("Listening:");
    for e in &analysis.listeners {
        let reach = if e.reachable { "network" } else { "loopback" };
        let program = e.program.as_deref().unwrap_or("?");
        let role = e.role.as_deref().map_or(String::new(), |r| format!(" [{r}]"));
        println!(
            "  {:<10} {:<24} {reach:<8} {program}{role}",
            e.listener.port.to_string(),
            e.listener.address.to_string()
        );
    }
    println!("Known units:");
    for u in &analysis.units {
        let running = match u.running {
            Some(true) => ", running",
            Some(false) => ", stopped",
            None => "",
        };
        println!("  {} ({}{running})", u.unit, u.state);
    }
    if analysis.firewall.read {
        println!("Firewall input chains: {}", analysis.firewall.input_chains.join("; "));
    }
    println!("Suggested roles:");
    for s in &analysis.suggested_roles {
        println!("  {:<16} {} ({})", s.role, s.title, s.because.join(", "));
    }
    for b in &analysis.beyond_roles {
        println!("Beyond the roles: {b}");
    }
    for p in &analysis.problems {
        eprintln!("warning: {p}");
    }
}

fn wizard(mut args: WizardArgs, book: &RoleBook) -> anyhow::Result<ExitCode> {
    let interactive = args.roles.is_empty() && std::io::stdin().is_terminal();
    if interactive {
        let analysis = parapet_harden::analyze::analyze(&args.host.host(), book)?;
        let proposed: Vec<String> = analysis.suggested_roles.iter().map(|s| s.role.clone()).collect();
        for s in &analysis.suggested_roles {
            println!("Suggested role {}: {} ({}).", s.role, s.title, s.because.join(", "));
        }
        for b in &analysis.beyond_roles {
            println!("Exposed beyond those roles: {b}");
        }
        let known: Vec<&str> = book.names().collect();
        println!("Known roles: {}", known.join(", "));
        let answer = ask(&format!("Roles this host plays [{}]", proposed.join(" ")))?;
        args.roles = if answer.is_empty() {
            proposed
        } else {
            answer.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        };
        if args.roles.iter().any(|r| book.get(r).is_some_and(|r| r.admin_only)) {
            let answer = ask("Admin networks for SSH and other admin-only services (CIDR, space-separated)")?;
            for net in answer.split([' ', ',']).filter(|s| !s.is_empty()) {
                args.admin_networks.push(net.parse().with_context(|| format!("{net:?} is not a network"))?);
            }
        }
        loop {
            let answer = ask("Another port to let in (9100/tcp or 9100/tcp@10.0.0.0/8; empty when done)")?;
            if answer.is_empty() {
                break;
            }
            match parse_allow(&answer) {
                Ok(allow) => args.allow.push(allow),
                Err(e) => println!("  {e}"),
            }
        }
        args.mask = ask("Mask (rather than disable) the services no role needs? [y/N]")?.eq_ignore_ascii_case("y");
    }
    let policy = Policy {
        version: parapet_harden::policy::VERSION,
        roles: args.roles,
        admin_networks: args.admin_networks,
        allow: args.allow,
        keep_units: args.keep_units,
        unneeded_units: if args.mask { UnitAction::Mask } else { UnitAction::Disable },
    };
    policy.check(book)?;
    if interactive {
        println!("\nThe policy opens:");
        for o in policy.openings(book)? {
            let from = o
                .from
                .map_or("anywhere".to_owned(), |n| n.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "));
            println!("  {:<10} from {from} ({})", o.port.to_string(), o.because);
        }
        println!(
            "and drops every other incoming connection; unneeded services are {}d.",
            policy.unneeded_units.as_str()
        );
        if ask(&format!("Write {}? [Y/n]", args.output.display()))?.eq_ignore_ascii_case("n") {
            bail!("nothing written");
        }
    }
    let text = policy.to_toml();
    if args.output == Path::new("-") {
        print!("{text}");
    } else {
        crate::cli::write_atomically(&args.output, text.as_bytes())?;
        eprintln!("wrote {}; apply it with `parapet harden apply {}`", args.output.display(), args.output.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn ask(question: &str) -> anyhow::Result<String> {
    print!("{question}: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}
