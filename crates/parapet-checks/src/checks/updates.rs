//! Automatic security updates and repository signing.

use parapet_model::Severity;

use super::NO_DPKG;
use crate::facts::apt::truthy;
use crate::{Area, CheckInfo, Context, Outcome};

const NO_APT: &str = "no /etc/apt: not an APT-based system";

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-UPD-001",
        title: "unattended-upgrades is installed",
        area: Area::Updates,
        severity: Severity::Important,
        rationale: "Security fixes only help once installed; unattended-upgrades installs them daily without waiting \
                    for an administrator.",
        remediation: "Run `apt install unattended-upgrades`.",
        references: &["CIS Debian 12 1.2.2.1", "unattended-upgrade(8)", "https://wiki.debian.org/UnattendedUpgrades"],
        run: installed,
    },
    CheckInfo {
        id: "PPC-UPD-002",
        title: "Automatic upgrades are enabled in APT",
        area: Area::Updates,
        severity: Severity::Important,
        rationale: "apt's daily job runs unattended-upgrade only when APT::Periodic::Update-Package-Lists and \
                    APT::Periodic::Unattended-Upgrade are non-zero (and APT::Periodic::Enable is not 0); the package \
                    alone does nothing.",
        remediation: "Run `dpkg-reconfigure -plow unattended-upgrades`, or write `APT::Periodic::Update-Package-Lists \
                      \"1\";` and `APT::Periodic::Unattended-Upgrade \"1\";` to /etc/apt/apt.conf.d/20auto-upgrades.",
        references: &[
            "CIS Debian 12 1.2.2.1",
            "apt.conf(5)",
            "unattended-upgrade(8)",
            "/usr/lib/apt/apt.systemd.daily",
        ],
        run: periodic,
    },
    CheckInfo {
        id: "PPC-UPD-003",
        title: "APT verifies repository signatures",
        area: Area::Updates,
        severity: Severity::Important,
        rationale: "`trusted=yes`, `allow-insecure`, `allow-weak` and the matching apt.conf options accept unsigned \
                    or weakly signed repositories, so anyone on the network path can serve malicious packages.",
        remediation: "Remove those options from /etc/apt/sources.list, /etc/apt/sources.list.d and /etc/apt/apt.conf.d, \
                      and install the repository's key in /etc/apt/keyrings with `signed-by=`.",
        references: &["CIS Debian 12 1.2.1.1", "CIS Debian 12 1.2.1.2", "sources.list(5)", "apt-secure(8)"],
        run: signatures,
    },
];

fn installed(ctx: &Context) -> Result<Outcome, String> {
    Ok(match ctx.installed("unattended-upgrades")? {
        None => Outcome::na(NO_DPKG),
        Some(true) => Outcome::pass(vec!["/var/lib/dpkg/status: unattended-upgrades install ok installed".into()]),
        Some(false) => Outcome::fail(vec!["/var/lib/dpkg/status: unattended-upgrades is not installed".into()]),
    })
}

fn periodic(ctx: &Context) -> Result<Outcome, String> {
    let Some(apt) = ctx.apt()? else { return Ok(Outcome::na(NO_APT)) };
    let mut evidence = Vec::new();
    let mut ok = true;
    if let Some(v) = apt.get("APT::Periodic::Enable")
        && !truthy(&v.value)
    {
        ok = false;
        evidence.push(format!("{} (disables every periodic APT job)", v.evidence()));
    }
    for key in ["APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade"] {
        match apt.get(key) {
            // An interval in days or "always"; 0 turns the job off.
            Some(v) if v.value.eq_ignore_ascii_case("always") || truthy(&v.value) => evidence.push(v.evidence()),
            Some(v) => {
                ok = false;
                evidence.push(format!("{} (disabled)", v.evidence()));
            }
            None => {
                ok = false;
                evidence.push(format!("{key} not set in /etc/apt/apt.conf.d or /etc/apt/apt.conf (default 0: off)"));
            }
        }
    }
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

fn signatures(ctx: &Context) -> Result<Outcome, String> {
    let Some(apt) = ctx.apt()? else { return Ok(Outcome::na(NO_APT)) };
    let mut findings: Vec<String> =
        apt.insecure_sources.iter().map(|s| format!("{}:{}: {}", s.file, s.line, s.option)).collect();
    for key in [
        "Acquire::AllowInsecureRepositories",
        "Acquire::AllowWeakRepositories",
        "Acquire::AllowDowngradeToInsecureRepositories",
        "APT::Get::AllowUnauthenticated",
    ] {
        if let Some(v) = apt.get(key).filter(|v| truthy(&v.value)) {
            findings.push(v.evidence());
        }
    }
    Ok(Outcome::fail_if_any(
        findings,
        "no trusted=yes, allow-insecure, allow-weak or allow-downgrade-to-insecure in APT sources or configuration",
    ))
}
