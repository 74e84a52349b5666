//! OpenSSH server checks, on the effective global configuration (see [`crate::facts::sshd`]).

use parapet_model::Severity;

use super::{Perm, ROOT_ONLY, check_perm, check_perms};
use crate::facts::sshd::{self, SshdConfig};
use crate::{Area, CheckInfo, Context, Outcome};

const NO_SSHD: &str = "no OpenSSH server installed (no openssh-server package, no /usr/sbin/sshd)";

/// OpenSSH 9.2's built-in algorithm lists (Debian 12), used when the keyword is not set.
const DEFAULT_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
];
const DEFAULT_MACS: &[&str] = &[
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
];
const DEFAULT_KEX: &[&str] = &[
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];
const WEAK_CIPHERS: &[&str] = &[
    "3des-cbc",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "rijndael-cbc@lysator.liu.se",
    "blowfish-cbc",
    "cast128-cbc",
    "arcfour",
    "arcfour128",
    "arcfour256",
];
const WEAK_MACS: &[&str] = &[
    "hmac-md5",
    "hmac-md5-96",
    "hmac-ripemd160",
    "hmac-sha1-96",
    "umac-64@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "hmac-ripemd160-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
];
const WEAK_KEX: &[&str] =
    &["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"];

const DEFAULT_HOST_KEYS: &[&str] =
    &["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"];

const MAN: &str = "sshd_config(5)";

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-SSH-001",
        title: "SSH does not allow root to log in",
        area: Area::Ssh,
        severity: Severity::Important,
        rationale: "Direct root logins over SSH give an attacker who guesses or steals one credential full control, \
                    and leave no trace of which administrator acted. Administrators should log in as themselves and \
                    escalate with sudo.",
        remediation: "Set `PermitRootLogin no` in /etc/ssh/sshd_config before any Include or Match line (the first \
                      value wins), or in the first file of /etc/ssh/sshd_config.d, then reload sshd.",
        references: &["CIS Debian 12 5.1.20", MAN],
        run: |ctx| expect(ctx, "PermitRootLogin", "prohibit-password", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-002",
        title: "SSH password authentication is disabled",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "Passwords can be guessed, sprayed and phished; internet-facing SSH servers see constant password \
                    guessing. Public keys or certificates cannot be guessed.",
        remediation: "Give every user a key, then set `PasswordAuthentication no` in /etc/ssh/sshd_config (before \
                      any Match) and reload sshd.",
        references: &[MAN],
        run: |ctx| expect(ctx, "PasswordAuthentication", "yes", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-003",
        title: "SSH refuses accounts with empty passwords",
        area: Area::Ssh,
        severity: Severity::Important,
        rationale: "With PermitEmptyPasswords enabled, any account whose password is empty can be logged into \
                    remotely without a credential.",
        remediation: "Set `PermitEmptyPasswords no` in /etc/ssh/sshd_config (or remove the line: no is the default) \
                      and reload sshd.",
        references: &["CIS Debian 12 5.1.19", MAN],
        run: |ctx| expect(ctx, "PermitEmptyPasswords", "no", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-004",
        title: "SSH limits authentication attempts per connection to 4",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "A low MaxAuthTries slows password guessing and logs failures sooner; the default allows 6 \
                    attempts per connection.",
        remediation: "Set `MaxAuthTries 4` (or lower) in /etc/ssh/sshd_config and reload sshd.",
        references: &["CIS Debian 12 5.1.16", MAN],
        run: |ctx| expect(ctx, "MaxAuthTries", "6", "4 or less", |v| v.parse::<u32>().is_ok_and(|n| n <= 4)),
    },
    CheckInfo {
        id: "PPC-SSH-005",
        title: "SSH offers no weak ciphers",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "CBC-mode ciphers, 3DES, Blowfish, CAST and RC4 (arcfour) have known weaknesses (plaintext \
                    recovery, small blocks, biased key streams) and let a client negotiate down to them.",
        remediation: "Set an explicit list in /etc/ssh/sshd_config, e.g. `Ciphers \
                      chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr`, \
                      or remove the weak ones with `Ciphers -*-cbc,3des-cbc,arcfour*`.",
        references: &["CIS Debian 12 5.1.6", MAN, "ssh -Q cipher"],
        run: |ctx| algorithms(ctx, "Ciphers", DEFAULT_CIPHERS, WEAK_CIPHERS),
    },
    CheckInfo {
        id: "PPC-SSH-006",
        title: "SSH offers no weak MACs",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "MD5, RIPEMD-160, truncated SHA-1 and 64-bit UMAC tags give weak integrity protection; the \
                    OpenSSH defaults still include the 64-bit UMACs.",
        remediation: "Set an explicit list in /etc/ssh/sshd_config, e.g. `MACs \
                      hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256`.",
        references: &["CIS Debian 12 5.1.15", MAN, "ssh -Q mac"],
        run: |ctx| algorithms(ctx, "MACs", DEFAULT_MACS, WEAK_MACS),
    },
    CheckInfo {
        id: "PPC-SSH-007",
        title: "SSH offers no weak key exchange algorithms",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "Diffie-Hellman with SHA-1, and the 1024-bit group 1, are within reach of well-funded attackers \
                    (Logjam) and allow downgrade of the session keys.",
        remediation: "Set `KexAlgorithms` in /etc/ssh/sshd_config without diffie-hellman-group1-sha1, \
                      diffie-hellman-group14-sha1 and diffie-hellman-group-exchange-sha1, or remove them with \
                      `KexAlgorithms -diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1`.",
        references: &["CIS Debian 12 5.1.12", MAN, "ssh -Q kex"],
        run: |ctx| algorithms(ctx, "KexAlgorithms", DEFAULT_KEX, WEAK_KEX),
    },
    CheckInfo {
        id: "PPC-SSH-008",
        title: "SSH X11 forwarding is disabled",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "X11 forwarding exposes the client's X server to the remote host: a compromised server can \
                    read keystrokes and screen contents of connected clients. Debian's sshd_config enables it.",
        remediation: "Set `X11Forwarding no` (or `DisableForwarding yes`) in /etc/ssh/sshd_config and reload sshd.",
        references: &["CIS Debian 12 5.1.8", MAN],
        run: x11_forwarding,
    },
    CheckInfo {
        id: "PPC-SSH-009",
        title: "SSH logs at level INFO or VERBOSE",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "QUIET, FATAL and ERROR drop login records needed to investigate an incident; DEBUG levels log \
                    private user data.",
        remediation: "Set `LogLevel VERBOSE` (records key fingerprints) or `LogLevel INFO` in /etc/ssh/sshd_config.",
        references: &["CIS Debian 12 5.1.14", MAN],
        run: |ctx| expect(ctx, "LogLevel", "INFO", "INFO or VERBOSE", |v| v == "info" || v == "verbose"),
    },
    CheckInfo {
        id: "PPC-SSH-010",
        title: "SSH host-based authentication is disabled",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "Host-based authentication trusts whole client machines (and their .rhosts/.shosts files): one \
                    compromised host gives access to every account it is trusted for.",
        remediation: "Set `HostbasedAuthentication no` in /etc/ssh/sshd_config (the default).",
        references: &["CIS Debian 12 5.1.10", MAN],
        run: |ctx| expect(ctx, "HostbasedAuthentication", "no", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-011",
        title: "SSH ignores .rhosts and .shosts files",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "User-controlled .rhosts and .shosts files extend trust to other hosts without the \
                    administrator's knowledge.",
        remediation: "Set `IgnoreRhosts yes` in /etc/ssh/sshd_config (the default).",
        references: &["CIS Debian 12 5.1.11", MAN],
        run: |ctx| expect(ctx, "IgnoreRhosts", "yes", "yes", |v| v == "yes"),
    },
    CheckInfo {
        id: "PPC-SSH-012",
        title: "SSH does not let users set environment variables",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "PermitUserEnvironment lets users pass variables such as LD_PRELOAD through \
                    ~/.ssh/environment, bypassing forced commands and restricted shells.",
        remediation: "Set `PermitUserEnvironment no` in /etc/ssh/sshd_config (the default).",
        references: &["CIS Debian 12 5.1.21", MAN],
        run: |ctx| expect(ctx, "PermitUserEnvironment", "no", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-013",
        title: "SSH login grace time is one minute or less",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "Unauthenticated connections hold server resources until LoginGraceTime expires; a long or \
                    unlimited (0) grace time makes connection-exhaustion attacks cheap.",
        remediation: "Set `LoginGraceTime 60` (or less, not 0) in /etc/ssh/sshd_config.",
        references: &["CIS Debian 12 5.1.13", MAN],
        run: |ctx| {
            expect(ctx, "LoginGraceTime", "120", "between 1 and 60 seconds", |v| {
                seconds(v).is_some_and(|s| (1..=60).contains(&s))
            })
        },
    },
    CheckInfo {
        id: "PPC-SSH-014",
        title: "SSH ends unresponsive sessions",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "Without client-alive probes, sessions whose client vanished stay open indefinitely, holding a \
                    logged-in shell that anyone reaching the terminal can use.",
        remediation: "Set `ClientAliveInterval 15` and `ClientAliveCountMax 3` (both above 0) in /etc/ssh/sshd_config.",
        references: &["CIS Debian 12 5.1.7", MAN],
        run: client_alive,
    },
    CheckInfo {
        id: "PPC-SSH-015",
        title: "SSH uses PAM",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "Without PAM, account locking, password expiry, faillock and session limits configured in \
                    /etc/pam.d do not apply to SSH logins.",
        remediation: "Set `UsePAM yes` in /etc/ssh/sshd_config (Debian's shipped file does).",
        references: &["CIS Debian 12 5.1.22", MAN],
        run: |ctx| expect(ctx, "UsePAM", "no", "yes", |v| v == "yes"),
    },
    CheckInfo {
        id: "PPC-SSH-016",
        title: "SSH limits concurrent unauthenticated connections",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "MaxStartups drops unauthenticated connections beyond a threshold; the default 10:30:100 still \
                    lets 100 pending connections tie up the server.",
        remediation: "Set `MaxStartups 10:30:60` (or stricter) in /etc/ssh/sshd_config.",
        references: &["CIS Debian 12 5.1.18", MAN],
        run: |ctx| expect(ctx, "MaxStartups", "10:30:100", "10:30:60 or stricter", max_startups_ok),
    },
    CheckInfo {
        id: "PPC-SSH-017",
        title: "SSH limits sessions per connection to 10",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "Many multiplexed sessions over one connection make resource exhaustion easy and hide activity.",
        remediation: "Set `MaxSessions 10` (or lower) in /etc/ssh/sshd_config.",
        references: &["CIS Debian 12 5.1.17", MAN],
        run: |ctx| expect(ctx, "MaxSessions", "10", "10 or less", |v| v.parse::<u32>().is_ok_and(|n| n <= 10)),
    },
    CheckInfo {
        id: "PPC-SSH-018",
        title: "SSH GSSAPI authentication is disabled",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "GSSAPI (Kerberos) authentication adds attack surface and is rarely needed outside Kerberos \
                    realms.",
        remediation: "Set `GSSAPIAuthentication no` in /etc/ssh/sshd_config unless the host uses Kerberos.",
        references: &["CIS Debian 12 5.1.9", MAN],
        run: |ctx| expect(ctx, "GSSAPIAuthentication", "no", "no", |v| v == "no"),
    },
    CheckInfo {
        id: "PPC-SSH-019",
        title: "SSH server configuration files are root-only",
        area: Area::Ssh,
        severity: Severity::Moderate,
        rationale: "The sshd configuration decides who may log in and how; only root should read or change it.",
        remediation: "Run `chown root:root /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf` and \
                      `chmod 600` on the same files.",
        references: &["CIS Debian 12 5.1.1", MAN],
        run: config_permissions,
    },
    CheckInfo {
        id: "PPC-SSH-020",
        title: "SSH host private keys are readable by root only",
        area: Area::Ssh,
        severity: Severity::Important,
        rationale: "Anyone who reads a host private key can impersonate the server and intercept the credentials of \
                    users who connect to it.",
        remediation: "Run `chown root:root /etc/ssh/ssh_host_*_key` and `chmod 600 /etc/ssh/ssh_host_*_key`.",
        references: &["CIS Debian 12 5.1.2", "sshd(8)"],
        run: private_keys,
    },
    CheckInfo {
        id: "PPC-SSH-021",
        title: "SSH host public keys are not writable by others",
        area: Area::Ssh,
        severity: Severity::Low,
        rationale: "A host public key that others can replace misleads clients and tools that read it from the \
                    server (known_hosts distribution, SSHFP records).",
        remediation: "Run `chown root:root /etc/ssh/ssh_host_*_key.pub` and `chmod 644 /etc/ssh/ssh_host_*_key.pub`.",
        references: &["CIS Debian 12 5.1.3", "sshd(8)"],
        run: public_keys,
    },
];

fn with_sshd(ctx: &Context, f: impl FnOnce(&SshdConfig) -> Result<Outcome, String>) -> Result<Outcome, String> {
    match ctx.sshd()? {
        Some(cfg) => f(cfg),
        None => Ok(Outcome::na(NO_SSHD)),
    }
}

/// Compares one keyword's effective value (lower-cased) with `ok`.
fn expect(
    ctx: &Context,
    keyword: &str,
    default: &str,
    want: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let (value, evidence) = cfg.value(keyword, default);
        Ok(if ok(&value) {
            Outcome::pass(vec![evidence])
        } else {
            Outcome::fail(vec![evidence, format!("expected {keyword} {want}")])
        })
    })
}

fn algorithms(ctx: &Context, keyword: &str, default: &[&str], weak: &[&str]) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let setting = cfg.get(keyword);
        let list = sshd::algorithms(setting.map(|s| s.value.as_str()), default);
        let source = match setting {
            Some(s) => s.evidence(),
            None => cfg.default_evidence(keyword, "(built-in list)"),
        };
        let effective = format!("effective {keyword}: {}", list.join(","));
        let bad: Vec<&str> = list.iter().map(String::as_str).filter(|a| weak.contains(a)).collect();
        Ok(if bad.is_empty() {
            Outcome::pass(vec![source, effective])
        } else {
            Outcome::fail(vec![source, effective, format!("weak: {}", bad.join(", "))])
        })
    })
}

fn x11_forwarding(ctx: &Context) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let (disable, disable_ev) = cfg.value("DisableForwarding", "no");
        let (x11, x11_ev) = cfg.value("X11Forwarding", "no");
        Ok(if disable == "yes" {
            Outcome::pass(vec![disable_ev])
        } else if x11 == "no" {
            Outcome::pass(vec![x11_ev])
        } else {
            Outcome::fail(vec![x11_ev, "expected X11Forwarding no or DisableForwarding yes".into()])
        })
    })
}

fn client_alive(ctx: &Context) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let (interval, interval_ev) = cfg.value("ClientAliveInterval", "0");
        let (count, count_ev) = cfg.value("ClientAliveCountMax", "3");
        let ok = seconds(&interval).is_some_and(|s| s > 0) && count.parse::<u32>().is_ok_and(|n| n > 0);
        let evidence = vec![interval_ev, count_ev];
        Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
    })
}

/// sshd's time format: a number of seconds, or numbers with s, m, h, d or w units ("1m30s").
fn seconds(value: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in value.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return None,
        };
        total = total.checked_add(digits.parse::<u64>().ok()?.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        total = total.checked_add(digits.parse().ok()?)?;
    }
    (!value.is_empty()).then_some(total)
}

/// `start:rate:full` no looser than 10:30:60; a single number N means N:100:N.
fn max_startups_ok(value: &str) -> bool {
    let parts: Vec<Option<u32>> = value.split(':').map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [Some(n)] => *n <= 10,
        [Some(start), Some(rate), Some(full)] => *start <= 10 && *rate <= 30 && *full <= 60,
        _ => false,
    }
}

fn config_permissions(ctx: &Context) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let perm = Perm { max_mode: 0o600, owners: ROOT_ONLY, groups: ROOT_ONLY };
        check_perms(ctx, &cfg.files, perm, || Outcome::na(format!("{} does not exist", sshd::MAIN)))
    })
}

/// Host private keys: those named by HostKey, else the default names, plus any
/// /etc/ssh/ssh_host_*_key file.
fn host_keys(ctx: &Context, cfg: &SshdConfig) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = cfg.all("HostKey").iter().map(|s| s.value.clone()).collect();
    if keys.is_empty() {
        keys = DEFAULT_HOST_KEYS.iter().map(|k| k.to_string()).collect();
    }
    keys.extend(ctx.glob("/etc/ssh/ssh_host_*_key")?);
    keys.sort();
    keys.dedup();
    Ok(keys)
}

fn private_keys(ctx: &Context) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let mut evidence = Vec::new();
        let mut ok = true;
        for key in host_keys(ctx, cfg)? {
            // 0640 is allowed only for the group ssh_keys, which some distributions use for
            // a key-reading helper.
            let strict = Perm { max_mode: 0o600, owners: ROOT_ONLY, groups: &["root", "ssh_keys"] };
            let Some((good, line)) = check_perm(ctx, &key, strict)? else { continue };
            let good = good
                || check_perm(ctx, &key, Perm { max_mode: 0o640, owners: ROOT_ONLY, groups: &["ssh_keys"] })?
                    .is_some_and(|(g, _)| g);
            ok &= good;
            evidence.push(line);
        }
        Ok(match (evidence.is_empty(), ok) {
            (true, _) => Outcome::na("no SSH host private keys exist"),
            (false, true) => Outcome::pass(evidence),
            (false, false) => Outcome::fail(evidence),
        })
    })
}

fn public_keys(ctx: &Context) -> Result<Outcome, String> {
    with_sshd(ctx, |cfg| {
        let keys: Vec<String> = host_keys(ctx, cfg)?.into_iter().map(|k| format!("{k}.pub")).collect();
        let perm = Perm { max_mode: 0o644, owners: ROOT_ONLY, groups: ROOT_ONLY };
        check_perms(ctx, &keys, perm, || Outcome::na("no SSH host public keys exist"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(seconds("120"), Some(120));
        assert_eq!(seconds("1m30s"), Some(90));
        assert_eq!(seconds("2M"), Some(120));
        assert_eq!(seconds("x"), None);
        assert_eq!(seconds(""), None);
        assert!(max_startups_ok("10:30:60") && max_startups_ok("5") && max_startups_ok("4:20:40"));
        assert!(!max_startups_ok("10:30:100") && !max_startups_ok("20") && !max_startups_ok("a:b:c"));
    }
}
