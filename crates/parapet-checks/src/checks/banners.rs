//! Login banners that reveal the operating system and its version.

use std::os::unix::fs::PermissionsExt;

use parapet_model::Severity;

use crate::context::join;
use crate::{Area, CheckInfo, Context, Outcome};

const MOTD_SCRIPTS: &str = "/etc/update-motd.d";
/// agetty escapes that print the machine, release, system name and version.
const ESCAPES: [&str; 4] = ["\\m", "\\r", "\\s", "\\v"];

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-BNR-001",
        title: "The message of the day does not reveal the OS or kernel version",
        area: Area::Banners,
        severity: Severity::Low,
        rationale: "The system name and version shown after login tell an attacker which exploits to try; Debian's \
                    /etc/motd names the distribution and /etc/update-motd.d/10-uname prints the kernel release.",
        remediation: "Replace /etc/motd with the site's usage policy, without the OS name or version, and remove the \
                      execute bit of /etc/update-motd.d/10-uname (`chmod -x`).",
        references: &["CIS Debian 12 1.6.1", "motd(5)", "update-motd(5)"],
        run: |ctx| banner(ctx, "/etc/motd", true),
    },
    CheckInfo {
        id: "PPC-BNR-002",
        title: "The local login banner does not reveal the OS or version",
        area: Area::Banners,
        severity: Severity::Low,
        rationale: "/etc/issue is shown before console login; Debian's names the release, and the agetty escapes \
                    \\m, \\r, \\s and \\v print the architecture, kernel release, system name and version.",
        remediation: "Replace /etc/issue with the site's warning text, without the OS name or \\m \\r \\s \\v.",
        references: &["CIS Debian 12 1.6.2", "issue(5)", "agetty(8)"],
        run: |ctx| banner(ctx, "/etc/issue", false),
    },
    CheckInfo {
        id: "PPC-BNR-003",
        title: "The remote login banner does not reveal the OS or version",
        area: Area::Banners,
        severity: Severity::Low,
        rationale: "/etc/issue.net is shown before remote logins (telnet, and sshd when it is the Banner), to \
                    anyone who connects.",
        remediation: "Replace /etc/issue.net with the site's warning text, without the OS name or \\m \\r \\s \\v.",
        references: &["CIS Debian 12 1.6.3", "issue.net(5)"],
        run: |ctx| banner(ctx, "/etc/issue.net", false),
    },
];

fn banner(ctx: &Context, path: &str, motd: bool) -> Result<Outcome, String> {
    let os = ctx.os_id()?.map(str::to_ascii_lowercase);
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    match ctx.read(path)? {
        Some(text) => {
            checked.push(format!(
                "{path}: no OS name{} or \\m \\r \\s \\v escape",
                os.as_deref().map_or(String::new(), |o| format!(" ({o})"))
            ));
            for (i, line) in text.lines().enumerate() {
                let lower = line.to_ascii_lowercase();
                let leaks =
                    ESCAPES.iter().any(|e| line.contains(e)) || os.as_deref().is_some_and(|o| lower.contains(o));
                if leaks {
                    findings.push(format!("{path}:{}: {}", i + 1, line.trim()));
                }
            }
        }
        None => checked.push(format!("{path} does not exist")),
    }
    if motd {
        // pam_motd runs every executable script here at login and shows its output.
        for name in ctx.list_dir(MOTD_SCRIPTS)?.unwrap_or_default() {
            let script = join(MOTD_SCRIPTS, &name);
            let Some(meta) = ctx.metadata(&script)? else { continue };
            if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
                continue;
            }
            let Some(text) = ctx.read(&script)? else { continue };
            if let Some((i, line)) = text.lines().enumerate().find(|(_, l)| {
                let l = l.trim();
                !l.starts_with('#') && (l.contains("uname") || l.contains("lsb_release") || l.contains("os-release"))
            }) {
                findings.push(format!("{script}:{}: {} (executable, shown at login)", i + 1, line.trim()));
            }
        }
    }
    Ok(Outcome::fail_if_any(findings, checked.join("; ")))
}
