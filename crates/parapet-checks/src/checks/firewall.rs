//! Host firewall checks over the three ways Debian loads one at boot: nftables
//! (`/etc/nftables.conf` with nftables.service), iptables-persistent (`/etc/iptables/rules.v4`
//! with netfilter-persistent.service) and ufw (`/etc/ufw/ufw.conf`, `/etc/default/ufw`). On the
//! live host the running nftables rule set is read too when `nft` is installed and may be run.

use parapet_model::Severity;

use crate::facts::firewall::{self, InputChain};
use crate::facts::systemd::Enablement;
use crate::facts::users::parse_shell_vars;
use crate::{Area, CheckInfo, Context, Outcome};

const NFT_CONF: &str = "/etc/nftables.conf";
const RULES_V4: &str = "/etc/iptables/rules.v4";
const UFW_CONF: &str = "/etc/ufw/ufw.conf";
const UFW_DEFAULTS: &str = "/etc/default/ufw";
const NFT_BINARIES: [&str; 2] = ["/usr/sbin/nft", "/sbin/nft"];
/// nft's include search folder for relative paths.
const NFT_INCLUDE_DIR: &str = "/etc";
const MAX_INCLUDES: usize = 16;

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-FW-001",
        title: "A firewall drops incoming traffic by default",
        area: Area::Firewall,
        severity: Severity::Important,
        rationale: "With a default-deny input policy only explicitly allowed services are reachable; anything \
                    started later, by mistake or by an attacker, stays closed from the network.",
        remediation: "Choose one tool. nftables: give the input chain of /etc/nftables.conf `policy drop;` with \
                      rules accepting established traffic, loopback and needed services, then `systemctl enable --now \
                      nftables`. ufw: `ufw default deny incoming`, allow needed services, `ufw enable`.",
        references: &[
            "CIS Debian 12 4.2.7",
            "CIS Debian 12 4.3.8",
            "CIS Debian 12 4.4.2.1",
            "nft(8)",
            "ufw(8)",
            "iptables-save(8)",
        ],
        run: default_deny,
    },
    CheckInfo {
        id: "PPC-FW-002",
        title: "A single firewall configuration tool is in use",
        area: Area::Firewall,
        severity: Severity::Moderate,
        rationale: "Two tools loading rules at boot overwrite each other (nftables.conf starts with `flush \
                    ruleset`), so the rules in force depend on start order and may not be the reviewed ones.",
        remediation: "Keep one of nftables, ufw or iptables-persistent: disable the others (`systemctl disable \
                      nftables`, `ufw disable`, `apt purge iptables-persistent`).",
        references: &["CIS Debian 12 4.1.1", "CIS Debian 12 4.2.2", "CIS Debian 12 4.3.2"],
        run: single_tool,
    },
    CheckInfo {
        id: "PPC-FW-003",
        title: "The applied security configuration policy still holds",
        area: Area::Firewall,
        severity: Severity::Important,
        rationale: "A policy applied with `parapet harden` (or by the fleet's agent) closed the ports and stopped \
                    the services the host's roles do not need; a rule added, a table reloaded or a unit enabled \
                    since opens again what was reviewed as closed, without anyone deciding it.",
        remediation: "See the drift with `parapet harden status`; apply the policy again (`parapet harden apply \
                      POLICY`, or \"Apply again\" on the host's fleet page), or change the policy if the host's \
                      roles changed.",
        references: &["CIS Debian 12 2.1", "CIS Debian 12 4.2", "nft(8)", "systemctl(1)"],
        run: harden_policy_holds,
    },
];

/// The applied policy's expectations against the target now, read-only: an apply still waiting
/// for confirmation is left to its window (reading it would revert an expired one).
fn harden_policy_holds(ctx: &Context) -> Result<Outcome, String> {
    use parapet_harden::apply;
    let host = parapet_harden::Host::new(ctx.root_dir(), None);
    if !host.state.join("snapshots").is_dir() {
        return Ok(Outcome::na("no security configuration policy was applied here (parapet harden apply)"));
    }
    if host.state.join("pending.json").exists() {
        return Ok(Outcome::na("an apply waits for confirmation: `parapet harden confirm` keeps it"));
    }
    let book = parapet_harden::RoleBook::builtin();
    let status = apply::status(&host, &book, &parapet_harden::SystemClock).map_err(|e| e.to_string())?;
    let (Some(snapshot), Some(text)) = (status.snapshot, status.policy) else {
        return Ok(Outcome::na("no security configuration policy is applied (the last one was rolled back)"));
    };
    let roles = parapet_harden::Policy::read(&text, &book).map(|p| p.roles.join(", ")).unwrap_or_default();
    let firewall = if host.live_firewall { "" } else { " (the firewall of a root folder is not read)" };
    let drift: Vec<String> = status
        .drift
        .iter()
        .map(|d| format!("drift: {} {}: the policy says {}, found {}", d.kind, d.subject, d.expected, d.found))
        .collect();
    let total = drift.len();
    Ok(Outcome::fail_if_any(
        super::capped(drift, total),
        format!("the policy of snapshot {snapshot} (roles: {roles}) holds: no drift{firewall}"),
    ))
}

/// One way of loading a firewall at boot.
struct Source {
    name: &'static str,
    /// Installed and set to load at boot.
    in_use: bool,
    default_deny: bool,
    evidence: Vec<String>,
}

fn enabled(ctx: &Context, units: &[&str]) -> Result<(bool, String), String> {
    Ok(match ctx.units()?.state(units, None) {
        Enablement::Enabled(link) => (true, format!("{} enabled: {link}", units[0])),
        Enablement::Masked(link) => (false, format!("{} masked: {link}", units[0])),
        Enablement::Disabled => (false, format!("{} not enabled", units[0])),
    })
}

fn package_or_binary(ctx: &Context, packages: &[&str], binaries: &[&str]) -> Result<bool, String> {
    for p in packages {
        if ctx.installed(p)? == Some(true) {
            return Ok(true);
        }
    }
    if ctx.packages()?.is_some() {
        return Ok(false);
    }
    for b in binaries {
        if ctx.exists(b)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Input chains of an nftables script and of the files it includes.
fn nft_chains(ctx: &Context, path: &str, text: &str, depth: usize) -> Result<Vec<InputChain>, String> {
    let script = firewall::parse_nft(path, text);
    let mut chains = script.input_chains;
    if depth < MAX_INCLUDES {
        for include in script.includes {
            let pattern = if include.starts_with('/') { include } else { format!("{NFT_INCLUDE_DIR}/{include}") };
            for file in ctx.glob(&pattern)? {
                if let Some(text) = ctx.read(&file)? {
                    chains.extend(nft_chains(ctx, &file, &text, depth + 1)?);
                }
            }
        }
    }
    Ok(chains)
}

fn describe_chains(chains: &[InputChain], evidence: &mut Vec<String>) -> bool {
    for c in chains {
        evidence.push(c.evidence());
    }
    chains.iter().any(|c| c.covers_ipv4() && c.policy == "drop")
}

fn nftables(ctx: &Context) -> Result<Source, String> {
    let installed = package_or_binary(ctx, &["nftables"], &NFT_BINARIES)?;
    let mut evidence = Vec::new();
    let mut default_deny = false;
    match ctx.read(NFT_CONF)? {
        Some(text) => {
            let chains = nft_chains(ctx, NFT_CONF, &text, 0)?;
            if chains.is_empty() {
                evidence.push(format!("{NFT_CONF}: no base chain hooked on input"));
            }
            default_deny = describe_chains(&chains, &mut evidence);
        }
        None => evidence.push(format!("{NFT_CONF} does not exist")),
    }
    let (on, line) = enabled(ctx, &["nftables.service"])?;
    if installed {
        evidence.push(line);
    } else {
        evidence.push("nftables is not installed".into());
    }
    Ok(Source { name: "nftables", in_use: installed && on, default_deny, evidence })
}

fn iptables_persistent(ctx: &Context) -> Result<Source, String> {
    let installed = package_or_binary(ctx, &["iptables-persistent", "netfilter-persistent"], &[])?;
    let mut evidence = Vec::new();
    let mut default_deny = false;
    if !installed {
        evidence.push("iptables-persistent is not installed".into());
        return Ok(Source { name: "iptables-persistent", in_use: false, default_deny, evidence });
    }
    match ctx.read(RULES_V4)? {
        Some(text) => match firewall::iptables_input_policy(&text) {
            Some((policy, line)) => {
                default_deny = policy == "DROP";
                evidence.push(format!("{RULES_V4}:{line}: filter table INPUT policy {policy}"));
            }
            None => evidence.push(format!("{RULES_V4}: no INPUT policy in the filter table")),
        },
        None => evidence.push(format!("{RULES_V4} does not exist")),
    }
    let (on, line) = enabled(ctx, &["netfilter-persistent.service"])?;
    evidence.push(line);
    Ok(Source { name: "iptables-persistent", in_use: on, default_deny, evidence })
}

fn ufw(ctx: &Context) -> Result<Source, String> {
    let installed = package_or_binary(ctx, &["ufw"], &["/usr/sbin/ufw"])?;
    let mut evidence = Vec::new();
    if !installed {
        evidence.push("ufw is not installed".into());
        return Ok(Source { name: "ufw", in_use: false, default_deny: false, evidence });
    }
    let on = match ctx.read(UFW_CONF)? {
        Some(text) => match parse_shell_vars(&text).get("ENABLED") {
            Some(v) => {
                evidence.push(format!("{UFW_CONF}:{}: ENABLED={}", v.line, v.value));
                v.value.eq_ignore_ascii_case("yes")
            }
            None => {
                evidence.push(format!("{UFW_CONF}: ENABLED not set"));
                false
            }
        },
        None => {
            evidence.push(format!("{UFW_CONF} does not exist"));
            false
        }
    };
    let default_deny = match ctx.read(UFW_DEFAULTS)? {
        Some(text) => match parse_shell_vars(&text).get("DEFAULT_INPUT_POLICY") {
            Some(v) => {
                evidence.push(format!("{UFW_DEFAULTS}:{}: DEFAULT_INPUT_POLICY=\"{}\"", v.line, v.value));
                matches!(v.value.to_ascii_uppercase().as_str(), "DROP" | "REJECT")
            }
            None => {
                evidence.push(format!("{UFW_DEFAULTS}: DEFAULT_INPUT_POLICY not set"));
                false
            }
        },
        None => {
            evidence.push(format!("{UFW_DEFAULTS} does not exist"));
            false
        }
    };
    Ok(Source { name: "ufw", in_use: on, default_deny, evidence })
}

/// The running nftables rule set: whether it drops input by default, or why it could not be read.
fn live_ruleset(ctx: &Context) -> Result<Option<(bool, Vec<String>)>, String> {
    if !ctx.live() {
        return Ok(None);
    }
    let Some(nft) = NFT_BINARIES.iter().find(|b| std::path::Path::new(b).exists()) else { return Ok(None) };
    let output = match std::process::Command::new(nft).args(["list", "ruleset"]).output() {
        Ok(o) => o,
        Err(e) => return Ok(Some((false, vec![format!("{nft} list ruleset: {e}")]))),
    };
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Ok(Some((false, vec![format!("{nft} list ruleset failed: {}", err.trim())])));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let chains = firewall::parse_nft("running rule set (nft list ruleset)", &text).input_chains;
    let mut evidence = Vec::new();
    if chains.is_empty() {
        evidence.push("running rule set (nft list ruleset): no base chain hooked on input".into());
    }
    let deny = describe_chains(&chains, &mut evidence);
    Ok(Some((deny, evidence)))
}

fn default_deny(ctx: &Context) -> Result<Outcome, String> {
    let sources = [nftables(ctx)?, iptables_persistent(ctx)?, ufw(ctx)?];
    let mut evidence = Vec::new();
    let mut ok = false;
    for s in &sources {
        ok |= s.in_use && s.default_deny;
        if s.default_deny && !s.in_use {
            evidence.push(format!("{}: default-deny rules exist but are not loaded at boot", s.name));
        }
        evidence.extend(s.evidence.iter().map(|e| format!("{}: {e}", s.name)));
    }
    if let Some((deny, lines)) = live_ruleset(ctx)? {
        ok |= deny;
        evidence.extend(lines);
    }
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

fn single_tool(ctx: &Context) -> Result<Outcome, String> {
    let sources = [nftables(ctx)?, iptables_persistent(ctx)?, ufw(ctx)?];
    let used: Vec<&str> = sources.iter().filter(|s| s.in_use).map(|s| s.name).collect();
    let evidence: Vec<String> =
        sources.iter().flat_map(|s| s.evidence.iter().map(move |e| format!("{}: {e}", s.name))).collect();
    let mut lines = vec![match used.len() {
        0 => "no firewall tool loads rules at boot".to_string(),
        _ => format!("in use: {}", used.join(", ")),
    }];
    lines.extend(evidence);
    Ok(if used.len() == 1 { Outcome::pass(lines) } else { Outcome::fail(lines) })
}
