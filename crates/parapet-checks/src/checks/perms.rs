//! Ownership and permissions of the account databases, cron files and banners.

use parapet_model::Severity;

use super::{Perm, ROOT_ONLY, check_perms, installed_among};
use crate::{Area, CheckInfo, Context, Outcome};

const PUBLIC: Perm = Perm { max_mode: 0o644, owners: ROOT_ONLY, groups: ROOT_ONLY };
const SECRET: Perm = Perm { max_mode: 0o640, owners: ROOT_ONLY, groups: &["root", "shadow"] };
const ROOT_FILE: Perm = Perm { max_mode: 0o600, owners: ROOT_ONLY, groups: ROOT_ONLY };
const ROOT_DIR: Perm = Perm { max_mode: 0o700, owners: ROOT_ONLY, groups: ROOT_ONLY };
const CRON_DIRS: &[&str] = &[
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/etc/cron.yearly",
    "/etc/cron.d",
];
const BANNERS: &[&str] = &["/etc/motd", "/etc/issue", "/etc/issue.net"];
const CRON_DAEMONS: &[&str] = &["cron", "cronie", "systemd-cron", "bcron", "anacron", "busybox-cron"];

const PUBLIC_WHY: &str = "Every program that maps names to IDs reads this file, so it must stay readable, but anyone \
                          who can write it can create a UID 0 account or change group memberships.";
const PUBLIC_FIX: &str = "Run `chown root:root <file>` and `chmod u-x,go-wx <file>` (0644).";
const SECRET_WHY: &str = "This file holds password hashes (or group passwords); anyone who can read it can crack \
                          them offline, and anyone who can write it can set any password.";
const SECRET_FIX: &str = "Run `chown root:shadow <file>` and `chmod u-x,g-wx,o-rwx <file>` (0640).";

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-PRM-001",
        title: "/etc/passwd is owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Important,
        rationale: PUBLIC_WHY,
        remediation: PUBLIC_FIX,
        references: &["CIS Debian 12 7.1.1", "passwd(5)"],
        run: |ctx| file(ctx, "/etc/passwd", PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-002",
        title: "/etc/passwd- is owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "The backup copy shadow-utils keeps of /etc/passwd deserves the same protection as the file.",
        remediation: PUBLIC_FIX,
        references: &["CIS Debian 12 7.1.2", "passwd(5)"],
        run: |ctx| file(ctx, "/etc/passwd-", PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-003",
        title: "/etc/group is owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Important,
        rationale: PUBLIC_WHY,
        remediation: PUBLIC_FIX,
        references: &["CIS Debian 12 7.1.3", "group(5)"],
        run: |ctx| file(ctx, "/etc/group", PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-004",
        title: "/etc/group- is owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "The backup copy shadow-utils keeps of /etc/group deserves the same protection as the file.",
        remediation: PUBLIC_FIX,
        references: &["CIS Debian 12 7.1.4", "group(5)"],
        run: |ctx| file(ctx, "/etc/group-", PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-005",
        title: "/etc/shadow is readable by root and the shadow group only",
        area: Area::Permissions,
        severity: Severity::Important,
        rationale: SECRET_WHY,
        remediation: SECRET_FIX,
        references: &["CIS Debian 12 7.1.5", "shadow(5)"],
        run: |ctx| file(ctx, "/etc/shadow", SECRET),
    },
    CheckInfo {
        id: "PPC-PRM-006",
        title: "/etc/shadow- is readable by root and the shadow group only",
        area: Area::Permissions,
        severity: Severity::Important,
        rationale: "The backup copy of /etc/shadow holds the previous password hashes, often still valid.",
        remediation: SECRET_FIX,
        references: &["CIS Debian 12 7.1.6", "shadow(5)"],
        run: |ctx| file(ctx, "/etc/shadow-", SECRET),
    },
    CheckInfo {
        id: "PPC-PRM-007",
        title: "/etc/gshadow is readable by root and the shadow group only",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: SECRET_WHY,
        remediation: SECRET_FIX,
        references: &["CIS Debian 12 7.1.7", "gshadow(5)"],
        run: |ctx| file(ctx, "/etc/gshadow", SECRET),
    },
    CheckInfo {
        id: "PPC-PRM-008",
        title: "/etc/gshadow- is readable by root and the shadow group only",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "The backup copy of /etc/gshadow holds the previous group password hashes.",
        remediation: SECRET_FIX,
        references: &["CIS Debian 12 7.1.8", "gshadow(5)"],
        run: |ctx| file(ctx, "/etc/gshadow-", SECRET),
    },
    CheckInfo {
        id: "PPC-PRM-009",
        title: "/etc/crontab is accessible to root only",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "The system crontab runs commands as root; others should neither change it nor learn what runs \
                    when.",
        remediation: "Run `chown root:root /etc/crontab` and `chmod og-rwx /etc/crontab` (0600).",
        references: &["CIS Debian 12 2.4.1.2", "crontab(5)"],
        run: |ctx| cron(ctx, &["/etc/crontab"], ROOT_FILE),
    },
    CheckInfo {
        id: "PPC-PRM-010",
        title: "The cron folders are accessible to root only",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "Scripts in /etc/cron.{hourly,daily,weekly,monthly,yearly} and jobs in /etc/cron.d run as root; \
                    anyone who can add a file there gets root.",
        remediation: "Run `chown root:root` and `chmod og-rwx` (0700) on /etc/cron.hourly, /etc/cron.daily, \
                      /etc/cron.weekly, /etc/cron.monthly, /etc/cron.yearly and /etc/cron.d.",
        references: &[
            "CIS Debian 12 2.4.1.3",
            "CIS Debian 12 2.4.1.4",
            "CIS Debian 12 2.4.1.5",
            "CIS Debian 12 2.4.1.6",
            "CIS Debian 12 2.4.1.7",
            "cron(8)",
        ],
        run: |ctx| cron(ctx, CRON_DIRS, ROOT_DIR),
    },
    CheckInfo {
        id: "PPC-PRM-011",
        title: "Login banners are owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Low,
        rationale: "/etc/motd, /etc/issue and /etc/issue.net are shown to every user at login; whoever can write \
                    them can show misleading instructions.",
        remediation: "Run `chown root:root` and `chmod u-x,go-wx` (0644) on /etc/motd, /etc/issue and /etc/issue.net.",
        references: &["CIS Debian 12 1.6.4", "CIS Debian 12 1.6.5", "CIS Debian 12 1.6.6", "motd(5)", "issue(5)"],
        run: |ctx| files(ctx, BANNERS, PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-012",
        title: "/etc/shells is owned by root and not writable by others",
        area: Area::Permissions,
        severity: Severity::Low,
        rationale: "/etc/shells decides which shells users may choose with chsh and which accounts count as able to \
                    log in (FTP, su); writing it lets a user make any program a login shell.",
        remediation: "Run `chown root:root /etc/shells` and `chmod 644 /etc/shells`.",
        references: &["CIS Debian 12 7.1.9", "shells(5)"],
        run: |ctx| file(ctx, "/etc/shells", PUBLIC),
    },
    CheckInfo {
        id: "PPC-PRM-013",
        title: "/etc/security/opasswd is accessible to root only",
        area: Area::Permissions,
        severity: Severity::Moderate,
        rationale: "pam_pwhistory and pam_unix keep users' old password hashes there; they are often close to the \
                    current password and can be cracked offline.",
        remediation: "Run `chown root:root /etc/security/opasswd` and `chmod 600 /etc/security/opasswd`.",
        references: &["CIS Debian 12 7.1.10", "pam_pwhistory(8)"],
        run: |ctx| files(ctx, &["/etc/security/opasswd", "/etc/security/opasswd.old"], ROOT_FILE),
    },
];

/// Cron files matter only where a cron daemon runs them; other packages (apt, dpkg, man-db)
/// drop scripts into /etc/cron.daily whether or not one is installed.
fn cron(ctx: &Context, paths: &[&str], perm: Perm) -> Result<Outcome, String> {
    if installed_among(ctx, CRON_DAEMONS)?.is_some_and(|found| found.is_empty()) {
        return Ok(Outcome::na(format!("no cron daemon installed ({})", CRON_DAEMONS.join(", "))));
    }
    files(ctx, paths, perm)
}

fn file(ctx: &Context, path: &str, perm: Perm) -> Result<Outcome, String> {
    files(ctx, &[path], perm)
}

fn files(ctx: &Context, paths: &[&str], perm: Perm) -> Result<Outcome, String> {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let missing = paths.join(", ");
    check_perms(ctx, &paths, perm, || Outcome::na(format!("{missing}: does not exist")))
}
