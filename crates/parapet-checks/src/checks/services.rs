//! Services that should run (time synchronisation, auditing) and legacy ones that should not be
//! installed.

use parapet_model::Severity;

use super::{NO_DPKG, installed_among};
use crate::facts::systemd::Enablement;
use crate::{Area, CheckInfo, Context, Outcome};

/// A time synchronisation daemon: package, how to tell it is installed without dpkg, its units
/// (service and aliases) and SysV script.
struct TimeDaemon {
    package: &'static str,
    binaries: &'static [&'static str],
    units: &'static [&'static str],
    sysv: &'static str,
}

const TIME_DAEMONS: &[TimeDaemon] = &[
    TimeDaemon {
        package: "systemd-timesyncd",
        binaries: &["/usr/lib/systemd/systemd-timesyncd", "/lib/systemd/systemd-timesyncd"],
        units: &["systemd-timesyncd.service"],
        sysv: "systemd-timesyncd",
    },
    TimeDaemon {
        package: "chrony",
        binaries: &["/usr/sbin/chronyd"],
        units: &["chrony.service", "chronyd.service"],
        sysv: "chrony",
    },
    TimeDaemon { package: "ntpsec", binaries: &["/usr/sbin/ntpd"], units: &["ntpsec.service"], sysv: "ntpsec" },
    TimeDaemon { package: "ntp", binaries: &["/usr/sbin/ntpd"], units: &["ntp.service"], sysv: "ntp" },
    TimeDaemon { package: "openntpd", binaries: &["/usr/sbin/ntpd"], units: &["openntpd.service"], sysv: "openntpd" },
];

const REMOTE_LOGIN_SERVERS: &[&str] = &[
    "telnetd",
    "inetutils-telnetd",
    "telnetd-ssl",
    "rsh-server",
    "rsh-redone-server",
    "talkd",
    "inetutils-talkd",
    "rwho",
    "tftpd",
    "tftpd-hpa",
    "atftpd",
];
const SUPER_SERVERS: &[&str] = &["openbsd-inetd", "inetutils-inetd", "xinetd", "rlinetd"];
const LEGACY_CLIENTS: &[&str] = &[
    "nis",
    "rsh-client",
    "rsh-redone-client",
    "talk",
    "inetutils-talk",
    "telnet",
    "inetutils-telnet",
    "ftp",
    "inetutils-ftp",
    "tnftp",
];

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-SVC-001",
        title: "One time synchronisation daemon is enabled",
        area: Area::Services,
        severity: Severity::Moderate,
        rationale: "Log correlation, certificate and Kerberos validity, TOTP and audit trails all need an accurate \
                    clock; two daemons fight over it.",
        remediation: "Install and enable exactly one of systemd-timesyncd, chrony or ntpsec (`apt install chrony`, \
                      `systemctl enable --now chrony`) and disable the others.",
        references: &["CIS Debian 12 2.3.1.1", "timesyncd.conf(5)", "chrony.conf(5)"],
        run: time_sync,
    },
    CheckInfo {
        id: "PPC-SVC-002",
        title: "The audit daemon is installed and enabled",
        area: Area::Services,
        severity: Severity::Moderate,
        rationale: "auditd records security-relevant kernel events (logins, privilege use, changes to sensitive \
                    files) that are needed to investigate an incident.",
        remediation: "Run `apt install auditd audispd-plugins` and `systemctl enable --now auditd`.",
        references: &["CIS Debian 12 6.2.1.1", "CIS Debian 12 6.2.1.2", "auditd(8)"],
        run: auditd,
    },
    CheckInfo {
        id: "PPC-SVC-003",
        title: "No clear-text remote login or file transfer server is installed",
        area: Area::Services,
        severity: Severity::Important,
        rationale: "telnet, rsh, rlogin, talk and TFTP servers send credentials and data unencrypted and \
                    authenticate weakly or not at all.",
        remediation: "Purge the listed packages (`apt purge <package>`); use OpenSSH instead.",
        references: &["CIS Debian 12 2.1.16", "telnetd(8)"],
        run: |ctx| not_installed(ctx, REMOTE_LOGIN_SERVERS, "no telnet, rsh, talk or TFTP server package installed"),
    },
    CheckInfo {
        id: "PPC-SVC-004",
        title: "No inetd super-server is installed",
        area: Area::Services,
        severity: Severity::Moderate,
        rationale: "inetd and xinetd start legacy network services on demand, exposing services that are easy to \
                    overlook.",
        remediation: "Purge the listed packages (`apt purge openbsd-inetd xinetd`).",
        references: &["CIS Debian 12 2.1.19", "inetd(8)", "xinetd(8)"],
        run: |ctx| not_installed(ctx, SUPER_SERVERS, "no inetd or xinetd package installed"),
    },
    CheckInfo {
        id: "PPC-SVC-005",
        title: "No clear-text legacy client is installed",
        area: Area::Services,
        severity: Severity::Low,
        rationale: "telnet, rsh, talk, ftp and NIS clients send credentials in clear text; having them installed \
                    invites their use.",
        remediation: "Purge the listed packages (`apt purge <package>`).",
        references: &[
            "CIS Debian 12 2.2.1",
            "CIS Debian 12 2.2.2",
            "CIS Debian 12 2.2.3",
            "CIS Debian 12 2.2.4",
            "CIS Debian 12 2.2.6",
        ],
        run: |ctx| not_installed(ctx, LEGACY_CLIENTS, "no telnet, rsh, talk, ftp or NIS client package installed"),
    },
    CheckInfo {
        id: "PPC-SVC-006",
        title: "prelink is not installed",
        area: Area::Services,
        severity: Severity::Low,
        rationale: "prelink rewrites binaries and libraries, which defeats file integrity checking and weakens \
                    address space layout randomization.",
        remediation: "Run `prelink -ua` to restore the binaries, then `apt purge prelink`.",
        references: &["CIS Debian 12 1.5.4", "prelink(8)"],
        run: |ctx| not_installed(ctx, &["prelink"], "prelink is not installed"),
    },
];

fn not_installed(ctx: &Context, packages: &[&str], ok: &str) -> Result<Outcome, String> {
    let Some(found) = installed_among(ctx, packages)? else { return Ok(Outcome::na(NO_DPKG)) };
    let findings = found.iter().map(|p| format!("/var/lib/dpkg/status: {p} is installed")).collect();
    Ok(Outcome::fail_if_any(findings, ok))
}

/// Whether a package is installed: from dpkg when there is a database, else by its binaries.
fn present(ctx: &Context, package: &str, binaries: &[&str]) -> Result<bool, String> {
    if let Some(installed) = ctx.installed(package)? {
        return Ok(installed);
    }
    for b in binaries {
        if ctx.exists(b)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn time_sync(ctx: &Context) -> Result<Outcome, String> {
    let units = ctx.units()?;
    let mut enabled = Vec::new();
    let mut evidence = Vec::new();
    for d in TIME_DAEMONS {
        if !present(ctx, d.package, d.binaries)? {
            continue;
        }
        match units.state(d.units, Some(d.sysv)) {
            Enablement::Enabled(link) => {
                enabled.push(d.package);
                evidence.push(format!("{} installed and enabled: {link}", d.package));
            }
            Enablement::Masked(link) => evidence.push(format!("{} installed but masked: {link}", d.package)),
            Enablement::Disabled => evidence.push(format!("{} installed but not enabled", d.package)),
        }
    }
    Ok(match enabled.len() {
        1 => Outcome::pass(evidence),
        0 => {
            if evidence.is_empty() {
                evidence.push(
                    "no time synchronisation daemon installed (systemd-timesyncd, chrony, ntpsec, ntp, openntpd)"
                        .into(),
                );
            }
            Outcome::fail(evidence)
        }
        _ => {
            evidence.insert(0, format!("more than one enabled: {}", enabled.join(", ")));
            Outcome::fail(evidence)
        }
    })
}

fn auditd(ctx: &Context) -> Result<Outcome, String> {
    if !present(ctx, "auditd", &["/usr/sbin/auditd", "/sbin/auditd"])? {
        return Ok(Outcome::fail(vec!["auditd is not installed".into()]));
    }
    Ok(match ctx.units()?.state(&["auditd.service"], Some("auditd")) {
        Enablement::Enabled(link) => Outcome::pass(vec![format!("auditd installed and enabled: {link}")]),
        Enablement::Masked(link) => Outcome::fail(vec![format!("auditd installed but masked: {link}")]),
        Enablement::Disabled => Outcome::fail(vec!["auditd installed but not enabled".into()]),
    })
}
