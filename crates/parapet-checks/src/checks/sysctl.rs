//! Evaluation of kernel parameters, shared by the kernel and network checks.
//!
//! On the live host the running value in /proc/sys decides, and a configured value that would
//! change it for the worse at the next boot fails too. On a root folder the configured value
//! decides; an unset parameter is compared with the kernel's default, which the evidence says.

use crate::facts::sysctl::proc_path;
use crate::{Context, Outcome};

/// What a parameter must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    Eq(i64),
    AtLeast(i64),
}

impl Rule {
    fn ok(self, value: &str) -> bool {
        let Ok(v) = value.trim().parse::<i64>() else { return false };
        match self {
            Rule::Eq(want) => v == want,
            Rule::AtLeast(min) => v >= min,
        }
    }

    fn describe(self) -> String {
        match self {
            Rule::Eq(want) => format!("{want}"),
            Rule::AtLeast(min) => format!("{min} or more"),
        }
    }
}

/// Values a Debian kernel uses when nothing sets the parameter, and why.
const DEFAULTS: &[(&str, i64, &str)] = &[
    ("kernel.randomize_va_space", 2, "kernel default"),
    ("kernel.kptr_restrict", 0, "kernel default"),
    ("kernel.dmesg_restrict", 1, "Debian kernel default, CONFIG_SECURITY_DMESG_RESTRICT=y"),
    ("kernel.unprivileged_bpf_disabled", 2, "Debian kernel default, CONFIG_BPF_UNPRIV_DEFAULT_OFF=y"),
    ("kernel.yama.ptrace_scope", 0, "Debian kernel default"),
    ("fs.suid_dumpable", 0, "kernel default"),
    ("fs.protected_hardlinks", 1, "Debian kernel default"),
    ("fs.protected_symlinks", 1, "Debian kernel default"),
    ("net.ipv4.ip_forward", 0, "kernel default"),
    ("net.ipv6.conf.all.forwarding", 0, "kernel default"),
    ("net.ipv4.conf.all.send_redirects", 1, "kernel default"),
    ("net.ipv4.conf.default.send_redirects", 1, "kernel default"),
    ("net.ipv4.icmp_ignore_bogus_error_responses", 1, "kernel default"),
    ("net.ipv4.icmp_echo_ignore_broadcasts", 1, "kernel default"),
    ("net.ipv4.conf.all.accept_redirects", 1, "kernel default"),
    ("net.ipv4.conf.default.accept_redirects", 1, "kernel default"),
    ("net.ipv6.conf.all.accept_redirects", 1, "kernel default"),
    ("net.ipv6.conf.default.accept_redirects", 1, "kernel default"),
    ("net.ipv4.conf.all.secure_redirects", 1, "kernel default"),
    ("net.ipv4.conf.default.secure_redirects", 1, "kernel default"),
    ("net.ipv4.conf.all.rp_filter", 0, "kernel default"),
    ("net.ipv4.conf.default.rp_filter", 0, "kernel default"),
    ("net.ipv4.conf.all.accept_source_route", 0, "kernel default"),
    ("net.ipv4.conf.default.accept_source_route", 1, "kernel default"),
    ("net.ipv6.conf.all.accept_source_route", 0, "kernel default"),
    ("net.ipv6.conf.default.accept_source_route", 0, "kernel default"),
    ("net.ipv4.conf.all.log_martians", 0, "kernel default"),
    ("net.ipv4.conf.default.log_martians", 0, "kernel default"),
    ("net.ipv4.tcp_syncookies", 1, "kernel default"),
    ("net.ipv6.conf.all.accept_ra", 1, "kernel default"),
    ("net.ipv6.conf.default.accept_ra", 1, "kernel default"),
];

/// Evaluates every `(parameter, rule)`: pass when all comply, not applicable when the running
/// kernel has none of them.
pub(crate) fn check(ctx: &Context, wants: &[(&str, Rule)]) -> Result<Outcome, String> {
    let cfg = ctx.sysctl()?;
    let mut evidence = Vec::new();
    let mut ok = true;
    let mut present = 0;
    for &(key, rule) in wants {
        let configured = cfg.get(key);
        if ctx.live() {
            let path = proc_path(key);
            let Some(running) = ctx.read_proc(&path)? else {
                evidence.push(format!("{key}: not present in the running kernel ({path})"));
                continue;
            };
            present += 1;
            let running = running.trim();
            let where_set = match configured {
                Some(a) => format!("configured {} at {}", a.value, a.location()),
                None => "not configured".to_string(),
            };
            if rule.ok(running) {
                evidence.push(format!("{key} = {running} (running; {where_set})"));
            } else {
                ok = false;
                evidence.push(format!("{key} = {running} (running; {where_set}; expected {})", rule.describe()));
            }
            if let Some(a) = configured.filter(|a| !rule.ok(&a.value)) {
                ok = false;
                evidence.push(format!(
                    "{}: {key} = {} would apply at the next boot (expected {})",
                    a.location(),
                    a.value,
                    rule.describe()
                ));
            }
        } else {
            present += 1;
            let (value, line) = match configured {
                Some(a) => (a.value.clone(), format!("{}: {key} = {}", a.location(), a.value)),
                None => match DEFAULTS.iter().find(|(k, _, _)| *k == key) {
                    Some((_, v, why)) => (v.to_string(), format!("{key} = {v} (not configured; {why})")),
                    None => (String::new(), format!("{key}: not configured")),
                },
            };
            if rule.ok(&value) {
                evidence.push(line);
            } else {
                ok = false;
                evidence.push(format!("{line}; expected {}", rule.describe()));
            }
        }
    }
    Ok(match (present, ok) {
        (0, _) => Outcome::na(evidence.join("; ")),
        (_, true) => Outcome::pass(evidence),
        (_, false) => Outcome::fail(evidence),
    })
}
