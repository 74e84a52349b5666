//! Account database, password policy, home folder, root PATH and sudo checks.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{SystemTime, UNIX_EPOCH};

use parapet_model::Severity;

use super::capped;
use crate::facts::sudoers::Sudoers;
use crate::facts::users::{Passwd, Shadow};
use crate::{Area, CheckInfo, Context, Outcome};

const NO_PASSWD: &str = "no /etc/passwd";
const NO_SHADOW: &str = "no /etc/shadow";
const NO_LOGIN_DEFS: &str = "no /etc/login.defs";
const NO_SUDO: &str = "sudo is not installed";
/// Longest password lifetime accepted, in days.
const MAX_AGE: i64 = 365;
/// login.defs' default first UID of regular users.
const DEFAULT_UID_MIN: u32 = 1000;
/// Accounts whose shell does one thing and which CIS exempts from the system-account rules.
const SPECIAL: &[&str] = &["root", "sync", "shutdown", "halt", "operator", "nfsnobody"];

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-ACC-001",
        title: "Only root has UID 0",
        area: Area::Accounts,
        severity: Severity::Critical,
        rationale: "Any account with UID 0 is the superuser whatever its name; an extra one is a classic backdoor \
                    and escapes rules written for root.",
        remediation: "Give the extra account its own UID with `usermod -u <uid> <name>` or remove it with `userdel`.",
        references: &["CIS Debian 12 5.4.2.1", "passwd(5)"],
        run: uid_zero,
    },
    CheckInfo {
        id: "PPC-ACC-002",
        title: "No account has an empty password",
        area: Area::Accounts,
        severity: Severity::Critical,
        rationale: "An empty password field lets anyone log in as that account (on the console, with su, and over \
                    any service that allows empty passwords) without a credential.",
        remediation: "Lock the account with `passwd -l <name>` or set a password with `passwd <name>`.",
        references: &["CIS Debian 12 7.2.2", "shadow(5)"],
        run: empty_passwords,
    },
    CheckInfo {
        id: "PPC-ACC-003",
        title: "Passwords are kept in /etc/shadow",
        area: Area::Accounts,
        severity: Severity::Important,
        rationale: "/etc/passwd is readable by every user; a hash kept there can be copied and cracked offline.",
        remediation: "Run `pwconv` to move the hashes into /etc/shadow, or lock the account.",
        references: &["CIS Debian 12 7.2.1", "pwconv(8)", "passwd(5)"],
        run: shadowed,
    },
    CheckInfo {
        id: "PPC-ACC-004",
        title: "New passwords expire within 365 days",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "PASS_MAX_DAYS in /etc/login.defs is the maximum password age given to new accounts; Debian's \
                    99999 means never, so a leaked password stays valid indefinitely.",
        remediation: "Set `PASS_MAX_DAYS 365` (or less) in /etc/login.defs.",
        references: &["CIS Debian 12 5.4.1.1", "login.defs(5)"],
        run: pass_max_days,
    },
    CheckInfo {
        id: "PPC-ACC-005",
        title: "Existing passwords expire within 365 days",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "login.defs applies to new accounts only; the maximum age in /etc/shadow is what applies to the \
                    accounts that exist.",
        remediation: "Run `chage --maxdays 365 <name>` for each account listed.",
        references: &["CIS Debian 12 5.4.1.1", "chage(1)", "shadow(5)"],
        run: shadow_max_days,
    },
    CheckInfo {
        id: "PPC-ACC-006",
        title: "New passwords are hashed with SHA-512 or yescrypt",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "ENCRYPT_METHOD decides how tools that follow login.defs (chpasswd, newusers) hash passwords; \
                    DES and MD5 hashes are cracked quickly.",
        remediation: "Set `ENCRYPT_METHOD YESCRYPT` (or SHA512) in /etc/login.defs.",
        references: &["CIS Debian 12 5.4.1.4", "login.defs(5)"],
        run: encrypt_method,
    },
    CheckInfo {
        id: "PPC-ACC-007",
        title: "Stored password hashes use a strong method",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "Hashes made with DES, MD5 or other legacy methods are cracked quickly if /etc/shadow leaks; they \
                    remain until the password is changed.",
        remediation: "Have each listed user change the password (`passwd <name>`) once a strong method is configured, \
                      or expire it with `passwd -e <name>`.",
        references: &["CIS Debian 12 5.4.1.4", "crypt(5)", "shadow(5)"],
        run: hash_methods,
    },
    CheckInfo {
        id: "PPC-ACC-008",
        title: "No two accounts share a UID",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "Accounts that share a UID share every file and process; the system cannot tell their actions \
                    apart.",
        remediation: "Give each account its own UID with `usermod -u`, then fix ownership of its files.",
        references: &["CIS Debian 12 7.2.5", "passwd(5)"],
        run: duplicate_uids,
    },
    CheckInfo {
        id: "PPC-ACC-009",
        title: "No two groups share a GID",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "Groups that share a GID grant each other's file access.",
        remediation: "Give each group its own GID with `groupmod -g`, then fix group ownership of its files.",
        references: &["CIS Debian 12 7.2.6", "group(5)"],
        run: duplicate_gids,
    },
    CheckInfo {
        id: "PPC-ACC-010",
        title: "User and group names are unique",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "When a name appears twice, tools resolve it to whichever entry comes first, so permissions \
                    and logins may apply to a different account than intended.",
        remediation: "Rename or remove the duplicate entries with `usermod -l` or `groupmod -n`.",
        references: &["CIS Debian 12 7.2.7", "CIS Debian 12 7.2.8", "passwd(5)", "group(5)"],
        run: duplicate_names,
    },
    CheckInfo {
        id: "PPC-ACC-011",
        title: "Every account's primary group exists",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "A primary GID missing from /etc/group is a leftover of a removed group; a group created later \
                    with that GID would silently receive the account's files.",
        remediation: "Create the missing group with `groupadd -g <gid> <name>` or change the account's group with \
                      `usermod -g`.",
        references: &["CIS Debian 12 7.2.3", "passwd(5)"],
        run: primary_groups,
    },
    CheckInfo {
        id: "PPC-ACC-012",
        title: "The shadow group has no members",
        area: Area::Accounts,
        severity: Severity::Important,
        rationale: "Members of the shadow group can read /etc/shadow and crack every password hash offline.",
        remediation: "Remove the members with `gpasswd -d <user> shadow` and change the primary group of any \
                      account whose primary group is shadow.",
        references: &["CIS Debian 12 7.2.4", "group(5)"],
        run: shadow_group,
    },
    CheckInfo {
        id: "PPC-ACC-013",
        title: "Only root has GID 0 as its primary group",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "Files created by an account with primary GID 0 belong to the root group, and group root can \
                    write many system files.",
        remediation: "Change the account's primary group with `usermod -g <group> <name>`.",
        references: &["CIS Debian 12 5.4.2.2", "passwd(5)"],
        run: gid_zero,
    },
    CheckInfo {
        id: "PPC-ACC-014",
        title: "System accounts have no login shell",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "Service accounts (UID below UID_MIN) are not meant for people; a login shell lets whoever \
                    obtains their credentials or runs as the service get an interactive session.",
        remediation: "Run `usermod -s /usr/sbin/nologin <name>` for each account listed.",
        references: &["CIS Debian 12 5.4.2.7", "nologin(8)", "login.defs(5)"],
        run: system_shells,
    },
    CheckInfo {
        id: "PPC-ACC-015",
        title: "Interactive users' home folders exist and are private",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "A missing home folder lands the user in /; a home folder owned by someone else, writable by \
                    its group or readable by others exposes or lets others plant dotfiles and keys.",
        remediation: "Create missing folders (`mkhomedir_helper <user>`), `chown <user> <home>` and \
                      `chmod 750 <home>` (or stricter).",
        references: &["CIS Debian 12 7.2.9", "passwd(5)"],
        run: home_folders,
    },
    CheckInfo {
        id: "PPC-ACC-016",
        title: "root's PATH holds only root-owned, absolute, non-writable folders",
        area: Area::Accounts,
        severity: Severity::Important,
        rationale: "If root's PATH contains `.`, an empty entry, a relative or missing folder, or a folder others can \
                    write, another user can plant a program that root then runs.",
        remediation: "Fix ENV_SUPATH in /etc/login.defs and PATH in /etc/environment; make each folder owned by root \
                      and not group- or world-writable.",
        references: &["CIS Debian 12 5.4.2.5", "login.defs(5)", "pam_env.conf(5)"],
        run: root_path,
    },
    CheckInfo {
        id: "PPC-ACC-017",
        title: "sudo always asks for a password",
        area: Area::Accounts,
        severity: Severity::Moderate,
        rationale: "NOPASSWD and !authenticate turn any code running as those users (a malicious package, a browser \
                    exploit) into root without a further barrier.",
        remediation: "Remove NOPASSWD tags and `Defaults !authenticate` from /etc/sudoers and /etc/sudoers.d (edit \
                      with visudo).",
        references: &["CIS Debian 12 5.2.4", "CIS Debian 12 5.2.5", "sudoers(5)"],
        run: sudo_password,
    },
    CheckInfo {
        id: "PPC-ACC-018",
        title: "sudo runs commands in a pseudo-terminal",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "Without use_pty, a command run with sudo can push input into the invoking user's terminal \
                    after it exits (TIOCSTI) and keep running in the background.",
        remediation: "Add `Defaults use_pty` to /etc/sudoers with visudo.",
        references: &["CIS Debian 12 5.2.2", "sudoers(5)"],
        run: sudo_use_pty,
    },
    CheckInfo {
        id: "PPC-ACC-019",
        title: "sudo credentials are cached for 15 minutes at most",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "While sudo's cached credentials last, anything running as the user gets root without a \
                    password; a negative timestamp_timeout never expires them.",
        remediation: "Set `Defaults timestamp_timeout=15` (or less, not negative) in /etc/sudoers, or remove a \
                      longer setting.",
        references: &["CIS Debian 12 5.2.6", "sudoers(5)"],
        run: sudo_timeout,
    },
    CheckInfo {
        id: "PPC-ACC-020",
        title: "No password change date lies in the future",
        area: Area::Accounts,
        severity: Severity::Low,
        rationale: "A last-change date in the future defeats password expiry for that account, and often means \
                    the clock or /etc/shadow was tampered with.",
        remediation: "Check the account, then set the date with `chage --lastday $(date +%F) <name>`.",
        references: &["CIS Debian 12 5.4.1.6", "chage(1)", "shadow(5)"],
        run: future_changes,
    },
];

fn uid_zero(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let zero: Vec<&Passwd> = users.iter().filter(|u| u.uid == 0).collect();
    let evidence: Vec<String> = zero.iter().map(|u| u.evidence()).collect();
    Ok(if zero.iter().all(|u| u.name == "root") {
        Outcome::pass(if evidence.is_empty() { vec!["no account has UID 0".into()] } else { evidence })
    } else {
        Outcome::fail(zero.iter().filter(|u| u.name != "root").map(|u| u.evidence()).collect())
    })
}

fn empty_passwords(ctx: &Context) -> Result<Outcome, String> {
    let users = ctx.passwd()?;
    let shadow = ctx.shadow()?;
    if users.is_none() && shadow.is_none() {
        return Ok(Outcome::na(NO_PASSWD));
    }
    let mut findings = Vec::new();
    for u in users.unwrap_or_default().iter().filter(|u| u.password.is_empty()) {
        findings.push(format!("/etc/passwd:{}: {} has an empty password field", u.line, u.name));
    }
    for s in shadow.unwrap_or_default().iter().filter(|s| s.hash.is_empty()) {
        findings.push(format!("/etc/shadow:{}: {} has an empty password field", s.line, s.name));
    }
    Ok(Outcome::fail_if_any(findings, "no empty password field in /etc/passwd or /etc/shadow"))
}

fn shadowed(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let findings = users
        .iter()
        .filter(|u| u.password != "x")
        .map(|u| {
            let what = if u.password.is_empty() { "is empty" } else { "is not x" };
            format!("/etc/passwd:{}: password field of {} {what}", u.line, u.name)
        })
        .collect();
    Ok(Outcome::fail_if_any(findings, "every /etc/passwd entry has x in its password field"))
}

fn pass_max_days(ctx: &Context) -> Result<Outcome, String> {
    if ctx.read("/etc/login.defs")?.is_none() {
        return Ok(Outcome::na(NO_LOGIN_DEFS));
    }
    let Some(v) = ctx.login_defs()?.get("PASS_MAX_DAYS") else {
        return Ok(Outcome::fail(vec!["/etc/login.defs: PASS_MAX_DAYS not set (passwords never expire)".into()]));
    };
    let evidence = format!("/etc/login.defs:{}: PASS_MAX_DAYS {}", v.line, v.value);
    Ok(match v.value.parse::<i64>() {
        Ok(days) if (1..=MAX_AGE).contains(&days) => Outcome::pass(vec![evidence]),
        _ => Outcome::fail(vec![evidence, format!("expected 1 to {MAX_AGE}")]),
    })
}

fn with_passwords<'a>(ctx: &'a Context) -> Result<Option<Vec<&'a Shadow>>, String> {
    Ok(ctx.shadow()?.map(|entries| entries.iter().filter(|s| s.has_password()).collect()))
}

fn shadow_max_days(ctx: &Context) -> Result<Outcome, String> {
    let Some(entries) = with_passwords(ctx)? else { return Ok(Outcome::na(NO_SHADOW)) };
    if entries.is_empty() {
        return Ok(Outcome::pass(vec!["/etc/shadow: no account has a usable password".into()]));
    }
    let mut findings = Vec::new();
    let mut fine = Vec::new();
    for s in entries {
        match s.max_days {
            Some(d) if (1..=MAX_AGE).contains(&d) => {
                fine.push(format!("/etc/shadow:{}: {} expires after {d} days", s.line, s.name))
            }
            Some(d) => findings.push(format!("/etc/shadow:{}: {} has maximum password age {d} days", s.line, s.name)),
            None => findings.push(format!("/etc/shadow:{}: {} has no maximum password age", s.line, s.name)),
        }
    }
    Ok(if findings.is_empty() { Outcome::pass(capped(fine, 0)) } else { Outcome::fail(capped(findings, 0)) })
}

fn encrypt_method(ctx: &Context) -> Result<Outcome, String> {
    if ctx.read("/etc/login.defs")?.is_none() {
        return Ok(Outcome::na(NO_LOGIN_DEFS));
    }
    let Some(v) = ctx.login_defs()?.get("ENCRYPT_METHOD") else {
        return Ok(Outcome::fail(vec!["/etc/login.defs: ENCRYPT_METHOD not set (DES unless MD5_CRYPT_ENAB)".into()]));
    };
    let evidence = format!("/etc/login.defs:{}: ENCRYPT_METHOD {}", v.line, v.value);
    Ok(if matches!(v.value.to_ascii_uppercase().as_str(), "SHA512" | "YESCRYPT") {
        Outcome::pass(vec![evidence])
    } else {
        Outcome::fail(vec![evidence, "expected SHA512 or YESCRYPT".into()])
    })
}

/// The crypt(5) method of a hash and whether it is strong.
fn hash_method(hash: &str) -> (&'static str, bool) {
    let prefix = |p: &str| hash.starts_with(p);
    if prefix("$y$") || prefix("$gy$") {
        ("yescrypt", true)
    } else if prefix("$7$") {
        ("scrypt", true)
    } else if prefix("$2b$") || prefix("$2y$") || prefix("$2a$") {
        ("bcrypt", true)
    } else if prefix("$6$") {
        ("SHA-512", true)
    } else if prefix("$5$") {
        ("SHA-256", true)
    } else if prefix("$1$") {
        ("MD5", false)
    } else if prefix("$md5") {
        ("Sun MD5", false)
    } else if prefix("$sha1$") {
        ("SHA-1", false)
    } else if prefix("$3$") {
        ("NT hash", false)
    } else if prefix("_") {
        ("BSDi DES", false)
    } else if hash.len() == 13 && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/') {
        ("DES", false)
    } else {
        ("unknown method", false)
    }
}

fn hash_methods(ctx: &Context) -> Result<Outcome, String> {
    let Some(entries) = with_passwords(ctx)? else { return Ok(Outcome::na(NO_SHADOW)) };
    if entries.is_empty() {
        return Ok(Outcome::pass(vec!["/etc/shadow: no account has a usable password".into()]));
    }
    let mut weak = Vec::new();
    let mut strong = Vec::new();
    for s in entries {
        let (method, ok) = hash_method(&s.hash);
        let line = format!("/etc/shadow:{}: {} uses {method}", s.line, s.name);
        if ok { strong.push(line) } else { weak.push(line) }
    }
    Ok(if weak.is_empty() { Outcome::pass(capped(strong, 0)) } else { Outcome::fail(capped(weak, 0)) })
}

fn duplicate_uids(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let mut by_uid: BTreeMap<u32, Vec<&Passwd>> = BTreeMap::new();
    for u in users {
        by_uid.entry(u.uid).or_default().push(u);
    }
    let findings = by_uid
        .iter()
        .filter(|(_, us)| us.len() > 1)
        .map(|(uid, us)| {
            let names: Vec<String> = us.iter().map(|u| format!("{} (/etc/passwd:{})", u.name, u.line)).collect();
            format!("UID {uid}: {}", names.join(", "))
        })
        .collect();
    Ok(Outcome::fail_if_any(findings, format!("{} accounts, each with its own UID", users.len())))
}

fn duplicate_gids(ctx: &Context) -> Result<Outcome, String> {
    let Some(groups) = ctx.group()? else { return Ok(Outcome::na("no /etc/group")) };
    let mut by_gid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for g in groups {
        by_gid.entry(g.gid).or_default().push(format!("{} (/etc/group:{})", g.name, g.line));
    }
    let findings =
        by_gid.iter().filter(|(_, gs)| gs.len() > 1).map(|(gid, gs)| format!("GID {gid}: {}", gs.join(", "))).collect();
    Ok(Outcome::fail_if_any(findings, format!("{} groups, each with its own GID", groups.len())))
}

fn duplicate_names(ctx: &Context) -> Result<Outcome, String> {
    let users = ctx.passwd()?;
    let groups = ctx.group()?;
    if users.is_none() && groups.is_none() {
        return Ok(Outcome::na(NO_PASSWD));
    }
    let mut findings = Vec::new();
    let mut seen: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for u in users.unwrap_or_default() {
        seen.entry(("/etc/passwd", &u.name)).or_default().push(u.line);
    }
    for g in groups.unwrap_or_default() {
        seen.entry(("/etc/group", &g.name)).or_default().push(g.line);
    }
    for ((file, name), lines) in seen.iter().filter(|(_, l)| l.len() > 1) {
        let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        findings.push(format!("{file}: {name} appears on lines {}", lines.join(", ")));
    }
    Ok(Outcome::fail_if_any(findings, "every user and group name appears once"))
}

fn primary_groups(ctx: &Context) -> Result<Outcome, String> {
    let (Some(users), Some(groups)) = (ctx.passwd()?, ctx.group()?) else {
        return Ok(Outcome::na("no /etc/passwd or /etc/group"));
    };
    let findings = users
        .iter()
        .filter(|u| !groups.iter().any(|g| g.gid == u.gid))
        .map(|u| format!("/etc/passwd:{}: {} has primary GID {}, which is not in /etc/group", u.line, u.name, u.gid))
        .collect();
    Ok(Outcome::fail_if_any(findings, "every primary GID in /etc/passwd exists in /etc/group"))
}

fn shadow_group(ctx: &Context) -> Result<Outcome, String> {
    let Some(groups) = ctx.group()? else { return Ok(Outcome::na("no /etc/group")) };
    let Some(shadow) = groups.iter().find(|g| g.name == "shadow") else {
        return Ok(Outcome::na("no shadow group in /etc/group"));
    };
    let mut findings = Vec::new();
    if !shadow.members.is_empty() {
        findings.push(shadow.evidence());
    }
    for u in ctx.passwd()?.unwrap_or_default().iter().filter(|u| u.gid == shadow.gid) {
        findings.push(format!("{} (primary group shadow)", u.evidence()));
    }
    Ok(Outcome::fail_if_any(findings, shadow.evidence()))
}

fn gid_zero(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let findings =
        users.iter().filter(|u| u.gid == 0 && !SPECIAL.contains(&u.name.as_str())).map(Passwd::evidence).collect();
    Ok(Outcome::fail_if_any(
        findings,
        "only root (and the CIS-exempt sync, shutdown, halt, operator) have primary GID 0",
    ))
}

/// Login shells listed in /etc/shells (nologin excluded); `None` when the file does not exist.
fn valid_shells(ctx: &Context) -> Result<Option<Vec<String>>, String> {
    Ok(ctx.read("/etc/shells")?.map(|text| {
        text.lines()
            .map(str::trim)
            .filter(|l| l.starts_with('/') && !l.ends_with("nologin"))
            .map(str::to_owned)
            .collect()
    }))
}

fn is_login_shell(shell: &str, valid: &Option<Vec<String>>) -> bool {
    match valid {
        Some(list) => list.iter().any(|s| s == shell),
        None => !(shell.is_empty() || shell.ends_with("nologin") || shell.ends_with("/false")),
    }
}

fn uid_min(ctx: &Context) -> Result<u32, String> {
    Ok(ctx.login_defs()?.get("UID_MIN").and_then(|v| v.value.parse().ok()).unwrap_or(DEFAULT_UID_MIN))
}

fn system_shells(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let shells = valid_shells(ctx)?;
    let uid_min = uid_min(ctx)?;
    let findings = users
        .iter()
        .filter(|u| (u.uid < uid_min || u.uid == 65534) && !SPECIAL.contains(&u.name.as_str()))
        .filter(|u| is_login_shell(&u.shell, &shells))
        .map(|u| format!("{} (login shell {})", u.evidence(), u.shell))
        .collect();
    Ok(Outcome::fail_if_any(findings, format!("no account below UID {uid_min} other than root has a login shell")))
}

fn home_folders(ctx: &Context) -> Result<Outcome, String> {
    let Some(users) = ctx.passwd()? else { return Ok(Outcome::na(NO_PASSWD)) };
    let shells = valid_shells(ctx)?;
    let interactive: Vec<&Passwd> = users.iter().filter(|u| is_login_shell(&u.shell, &shells)).collect();
    if interactive.is_empty() {
        return Ok(Outcome::na("no account has a login shell"));
    }
    let mut findings = Vec::new();
    let mut fine = Vec::new();
    for u in interactive {
        let Some(meta) = ctx.metadata(&u.home)? else {
            findings.push(format!("{}: home folder {} does not exist", u.name, u.home));
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        let mut problems = Vec::new();
        if !meta.is_dir() {
            problems.push("not a folder".to_string());
        }
        if meta.uid() != u.uid {
            problems.push(format!("owned by {}", ctx.user_name(meta.uid())));
        }
        if mode & 0o027 != 0 {
            problems.push(format!("mode {mode:04o} allows more than 0750"));
        }
        let line = format!("{}: {} mode {mode:04o}, owner {}", u.name, u.home, ctx.user_name(meta.uid()));
        if problems.is_empty() { fine.push(line) } else { findings.push(format!("{line} ({})", problems.join("; "))) }
    }
    Ok(if findings.is_empty() { Outcome::pass(capped(fine, 0)) } else { Outcome::fail(capped(findings, 0)) })
}

fn root_path(ctx: &Context) -> Result<Outcome, String> {
    let mut sources = Vec::new();
    if let Some(v) = ctx.login_defs()?.get("ENV_SUPATH") {
        let path = v.value.strip_prefix("PATH=").unwrap_or(&v.value).to_owned();
        sources.push((format!("/etc/login.defs:{}: ENV_SUPATH {}", v.line, v.value), path));
    }
    if let Some(text) = ctx.read("/etc/environment")? {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(value) = line.strip_prefix("PATH=") {
                sources.push((format!("/etc/environment:{}: {line}", i + 1), value.trim_matches('"').to_owned()));
            }
        }
    }
    if sources.is_empty() {
        return Ok(Outcome::na("no PATH for root configured in /etc/login.defs (ENV_SUPATH) or /etc/environment"));
    }
    let mut evidence = Vec::new();
    let mut ok = true;
    for (source, path) in sources {
        evidence.push(source);
        let parts: Vec<&str> = path.split(':').collect();
        for part in parts {
            let problem = if part.is_empty() {
                Some("empty entry (means the current folder)".to_string())
            } else if part == "." || !part.starts_with('/') {
                Some(format!("{part}: relative folder"))
            } else {
                match ctx.metadata(part)? {
                    None => Some(format!("{part}: does not exist")),
                    Some(m) if !m.is_dir() => Some(format!("{part}: not a folder")),
                    Some(m) if m.uid() != 0 => Some(format!("{part}: owned by {}", ctx.user_name(m.uid()))),
                    Some(m) if m.permissions().mode() & 0o022 != 0 => Some(format!(
                        "{part}: mode {:04o} is group- or world-writable",
                        m.permissions().mode() & 0o7777
                    )),
                    Some(_) => None,
                }
            };
            if let Some(p) = problem {
                ok = false;
                evidence.push(p);
            }
        }
    }
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

fn with_sudo(ctx: &Context, f: impl FnOnce(&Sudoers) -> Outcome) -> Result<Outcome, String> {
    Ok(match ctx.sudoers()? {
        Some(s) => f(s),
        None => Outcome::na(NO_SUDO),
    })
}

fn sudo_password(ctx: &Context) -> Result<Outcome, String> {
    with_sudo(ctx, |s| {
        let findings: Vec<String> = s.nopasswd.iter().chain(&s.no_authenticate).map(|l| l.evidence()).collect();
        Outcome::fail_if_any(findings, format!("no NOPASSWD or !authenticate in {}", s.files.join(", ")))
    })
}

fn sudo_use_pty(ctx: &Context) -> Result<Outcome, String> {
    with_sudo(ctx, |s| match &s.use_pty {
        Some((true, line)) => Outcome::pass(vec![line.evidence()]),
        Some((false, line)) => Outcome::fail(vec![line.evidence()]),
        None => Outcome::fail(vec![format!("no `Defaults use_pty` in {}", s.files.join(", "))]),
    })
}

fn sudo_timeout(ctx: &Context) -> Result<Outcome, String> {
    with_sudo(ctx, |s| match &s.timestamp_timeout {
        None => Outcome::pass(vec!["timestamp_timeout not set (sudo default: 15 minutes)".into()]),
        Some((value, line)) => match value.parse::<f64>() {
            Ok(minutes) if (0.0..=15.0).contains(&minutes) => Outcome::pass(vec![line.evidence()]),
            _ => Outcome::fail(vec![line.evidence(), "expected 0 to 15 minutes".into()]),
        },
    })
}

fn future_changes(ctx: &Context) -> Result<Outcome, String> {
    let Some(entries) = ctx.shadow()? else { return Ok(Outcome::na(NO_SHADOW)) };
    let today = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86400) as i64;
    let findings = entries
        .iter()
        .filter(|s| s.last_change.is_some_and(|d| d > today))
        .map(|s| {
            format!(
                "/etc/shadow:{}: {} last changed on day {} (today is day {today})",
                s.line,
                s.name,
                s.last_change.unwrap_or(0)
            )
        })
        .collect();
    Ok(Outcome::fail_if_any(findings, format!("no last-change date in /etc/shadow is after today (day {today})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_kinds() {
        for (hash, method, ok) in [
            ("$y$j9T$salt$hash", "yescrypt", true),
            ("$6$salt$hash", "SHA-512", true),
            ("$1$salt$hash", "MD5", false),
            ("abcdefghijklm", "DES", false),
            ("weird", "unknown method", false),
        ] {
            assert_eq!(hash_method(hash), (method, ok), "{hash}");
        }
    }
}
