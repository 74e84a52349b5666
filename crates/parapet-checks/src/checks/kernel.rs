//! Kernel hardening parameters and core dump limits.

use parapet_model::Severity;

use super::sysctl::{Rule, check};
use crate::{Area, CheckInfo, Context, Outcome};

const SYSCTL: &str = "sysctl.d(5)";
const KERNEL_DOC: &str = "Linux Documentation/admin-guide/sysctl/kernel.rst";
const FS_DOC: &str = "Linux Documentation/admin-guide/sysctl/fs.rst";
const LIMITS: &str = "/etc/security/limits.conf";
const LIMITS_DIR: &str = "/etc/security/limits.d";
const COREDUMP: &str = "/etc/systemd/coredump.conf";
const COREDUMP_DIR: &str = "/etc/systemd/coredump.conf.d";

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-KRN-001",
        title: "Address space layout randomization is fully enabled",
        area: Area::Kernel,
        severity: Severity::Important,
        rationale: "Randomizing the stack, libraries, heap and executable addresses makes memory corruption \
                    exploits unreliable; kernel.randomize_va_space below 2 leaves the heap (or everything) at \
                    predictable addresses.",
        remediation: "Set `kernel.randomize_va_space = 2` in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 1.5.1", SYSCTL, KERNEL_DOC],
        run: |ctx| check(ctx, &[("kernel.randomize_va_space", Rule::Eq(2))]),
    },
    CheckInfo {
        id: "PPC-KRN-002",
        title: "ptrace is restricted",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "With kernel.yama.ptrace_scope 0 any process can attach to every other process of the same user \
                    and read its memory, such as an SSH agent's keys or a browser's session cookies.",
        remediation: "Set `kernel.yama.ptrace_scope = 1` (or 2, 3) in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 1.5.2", SYSCTL, "Linux Documentation/admin-guide/LSM/Yama.rst"],
        run: |ctx| check(ctx, &[("kernel.yama.ptrace_scope", Rule::AtLeast(1))]),
    },
    CheckInfo {
        id: "PPC-KRN-003",
        title: "Set-user-ID programs do not dump core",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "A core dump of a privileged program can contain password hashes, keys and other secrets; \
                    fs.suid_dumpable other than 0 lets them land on disk.",
        remediation: "Set `fs.suid_dumpable = 0` in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 1.5.3", SYSCTL, FS_DOC],
        run: |ctx| check(ctx, &[("fs.suid_dumpable", Rule::Eq(0))]),
    },
    CheckInfo {
        id: "PPC-KRN-004",
        title: "Core dumps are disabled for all users",
        area: Area::Kernel,
        severity: Severity::Low,
        rationale: "Core dumps copy a process's memory, secrets included, to disk; a hard limit of 0 stops users \
                    from raising the soft limit, and systemd-coredump keeps its own copies unless told not to.",
        remediation: "Add `* hard core 0` to /etc/security/limits.conf or a file in /etc/security/limits.d; if \
                      systemd-coredump is installed, set `Storage=none` and `ProcessSizeMax=0` in \
                      /etc/systemd/coredump.conf.",
        references: &["CIS Debian 12 1.5.3", "limits.conf(5)", "coredump.conf(5)"],
        run: core_limits,
    },
    CheckInfo {
        id: "PPC-KRN-005",
        title: "Kernel pointers are hidden from unprivileged users",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "Kernel addresses in /proc and logs defeat kernel address randomization and make kernel exploits \
                    easier to write.",
        remediation: "Set `kernel.kptr_restrict = 1` (or 2) in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &[SYSCTL, KERNEL_DOC],
        run: |ctx| check(ctx, &[("kernel.kptr_restrict", Rule::AtLeast(1))]),
    },
    CheckInfo {
        id: "PPC-KRN-006",
        title: "The kernel log is restricted to privileged users",
        area: Area::Kernel,
        severity: Severity::Low,
        rationale: "The kernel ring buffer shows addresses, hardware details and messages useful to an attacker \
                    preparing a kernel exploit.",
        remediation: "Set `kernel.dmesg_restrict = 1` in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &[SYSCTL, KERNEL_DOC],
        run: |ctx| check(ctx, &[("kernel.dmesg_restrict", Rule::Eq(1))]),
    },
    CheckInfo {
        id: "PPC-KRN-007",
        title: "Unprivileged eBPF is disabled",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "The eBPF verifier and JIT have had many privilege-escalation bugs reachable by any user when \
                    unprivileged BPF is allowed.",
        remediation: "Set `kernel.unprivileged_bpf_disabled = 1` (or 2) in a file in /etc/sysctl.d and run \
                      `sysctl --system`.",
        references: &[SYSCTL, KERNEL_DOC],
        run: |ctx| check(ctx, &[("kernel.unprivileged_bpf_disabled", Rule::AtLeast(1))]),
    },
    CheckInfo {
        id: "PPC-KRN-008",
        title: "Hard links to files of other users are restricted",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "Without fs.protected_hardlinks users can hard-link files they do not own (set-user-ID \
                    programs, root's files) into places a privileged program then trusts.",
        remediation: "Set `fs.protected_hardlinks = 1` in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &[SYSCTL, FS_DOC],
        run: |ctx| check(ctx, &[("fs.protected_hardlinks", Rule::Eq(1))]),
    },
    CheckInfo {
        id: "PPC-KRN-009",
        title: "Symbolic links in shared sticky folders are restricted",
        area: Area::Kernel,
        severity: Severity::Moderate,
        rationale: "Without fs.protected_symlinks a user can plant a link in /tmp that a privileged program follows \
                    to overwrite or read another file (time-of-check to time-of-use races).",
        remediation: "Set `fs.protected_symlinks = 1` in a file in /etc/sysctl.d and run `sysctl --system`.",
        references: &[SYSCTL, FS_DOC],
        run: |ctx| check(ctx, &[("fs.protected_symlinks", Rule::Eq(1))]),
    },
];

/// The last `*` hard (or `-`) core limit in limits.conf and limits.d, which pam_limits reads in
/// that order as if concatenated.
fn core_limits(ctx: &Context) -> Result<Outcome, String> {
    let mut files = vec![LIMITS.to_string()];
    files.extend(ctx.files_in(LIMITS_DIR, "*.conf")?);
    let mut last: Option<(String, String)> = None;
    let mut seen_any = false;
    for file in &files {
        let Some(text) = ctx.read(file)? else { continue };
        seen_any = true;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [domain, kind, item, value] = f.as_slice()
                && *domain == "*"
                && (*kind == "hard" || *kind == "-")
                && *item == "core"
            {
                last = Some((value.to_string(), format!("{file}:{}: {line}", i + 1)));
            }
        }
    }
    if !seen_any {
        return Ok(Outcome::na(format!("no {LIMITS} or {LIMITS_DIR}/*.conf (pam_limits not configured)")));
    }
    let mut evidence = Vec::new();
    let mut ok = true;
    match last {
        Some((value, line)) => {
            ok &= value == "0";
            evidence.push(if value == "0" { line } else { format!("{line} (expected 0)") });
        }
        None => {
            ok = false;
            evidence.push(format!("no `* hard core 0` in {}", files.join(", ")));
        }
    }
    if ctx.installed("systemd-coredump")? == Some(true) {
        let (storage, size) = coredump_settings(ctx)?;
        let storage_ok = storage.as_ref().is_some_and(|(v, _)| v.eq_ignore_ascii_case("none"));
        let size_ok = size.as_ref().is_some_and(|(v, _)| v == "0");
        ok &= storage_ok && size_ok;
        evidence.push(storage.map_or_else(
            || "systemd-coredump installed; Storage not set (default external)".to_string(),
            |(_, line)| line,
        ));
        evidence.push(size.map_or_else(
            || "systemd-coredump installed; ProcessSizeMax not set (default 2G)".to_string(),
            |(_, line)| line,
        ));
    }
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

type Setting = Option<(String, String)>;

/// `Storage=` and `ProcessSizeMax=` of systemd-coredump: coredump.conf, then drop-ins.
fn coredump_settings(ctx: &Context) -> Result<(Setting, Setting), String> {
    let mut files = vec![COREDUMP.to_string()];
    files.extend(ctx.files_in(COREDUMP_DIR, "*.conf")?);
    let (mut storage, mut size) = (None, None);
    for file in &files {
        let Some(text) = ctx.read(file)? else { continue };
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some((k, v)) = line.split_once('=') {
                let found = Some((v.trim().to_string(), format!("{file}:{}: {line}", i + 1)));
                match k.trim() {
                    "Storage" => storage = found,
                    "ProcessSizeMax" => size = found,
                    _ => {}
                }
            }
        }
    }
    Ok((storage, size))
}
