//! Ownership and permission checks.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

pub const CASES: &[Case] = &[
    case("PPC-PRM-001", Pass, "/etc/passwd: mode 0644, owner root (0), group root (0)", |_| {}),
    case(
        "PPC-PRM-001",
        Fail,
        "/etc/passwd: mode 0666, owner root (0), group root (0) (mode allows 0022 beyond 0644)",
        |f| {
            f.chmod("/etc/passwd", 0o666);
        },
    ),
    case("PPC-PRM-001", Pass, "/etc/passwd: mode 0600", |f| {
        f.chmod("/etc/passwd", 0o600);
    }),
    case("PPC-PRM-002", Pass, "/etc/passwd-: mode 0644", |_| {}),
    case(
        "PPC-PRM-002",
        Fail,
        "/etc/passwd-: mode 0644, owner alice (1000), group root (0) (owner must be root)",
        |f| {
            f.chown("/etc/passwd-", 1000, 0);
        },
    ),
    case("PPC-PRM-002", Na, "/etc/passwd-: does not exist", |f| {
        f.remove("/etc/passwd-");
    }),
    case("PPC-PRM-003", Pass, "/etc/group: mode 0644", |_| {}),
    case("PPC-PRM-003", Fail, "(group must be root)", |f| {
        f.chown("/etc/group", 0, 1000);
    }),
    case("PPC-PRM-004", Pass, "/etc/group-: mode 0644", |_| {}),
    case("PPC-PRM-004", Fail, "/etc/group-: mode 0664", |f| {
        f.chmod("/etc/group-", 0o664);
    }),
    case("PPC-PRM-005", Pass, "/etc/shadow: mode 0640, owner root (0), group shadow (42)", |_| {}),
    case(
        "PPC-PRM-005",
        Fail,
        "/etc/shadow: mode 0644, owner root (0), group shadow (42) (mode allows 0004 beyond 0640)",
        |f| {
            f.chmod("/etc/shadow", 0o644);
        },
    ),
    case("PPC-PRM-005", Fail, "group alice (1000)", |f| {
        f.chown("/etc/shadow", 0, 1000);
    }),
    case("PPC-PRM-006", Pass, "/etc/shadow-: mode 0640", |_| {}),
    case("PPC-PRM-006", Fail, "/etc/shadow-: mode 0644", |f| {
        f.chmod("/etc/shadow-", 0o644);
    }),
    case("PPC-PRM-007", Pass, "/etc/gshadow: mode 0640", |_| {}),
    case("PPC-PRM-007", Fail, "/etc/gshadow: mode 0660", |f| {
        f.chmod("/etc/gshadow", 0o660);
    }),
    case("PPC-PRM-008", Pass, "/etc/gshadow-: mode 0640", |_| {}),
    case("PPC-PRM-008", Fail, "/etc/gshadow-: mode 0640, owner alice (1000)", |f| {
        f.chown("/etc/gshadow-", 1000, 42);
    }),
    case("PPC-PRM-009", Na, "no cron daemon installed", |f| {
        f.write("/etc/crontab", "# m h dom mon dow user command\n");
    }),
    case("PPC-PRM-009", Pass, "/etc/crontab: mode 0600", |f| {
        f.install(&["cron"]);
        f.write_mode("/etc/crontab", "\n", 0o600);
    }),
    case("PPC-PRM-009", Fail, "/etc/crontab: mode 0644", |f| {
        f.install(&["cron"]);
        f.write("/etc/crontab", "\n");
    }),
    case("PPC-PRM-010", Pass, "/etc/cron.daily: mode 0700", |f| {
        f.install(&["cron"]);
        f.mkdir("/etc/cron.daily", 0o700).mkdir("/etc/cron.d", 0o700);
    }),
    case(
        "PPC-PRM-010",
        Fail,
        "/etc/cron.d: mode 0755, owner root (0), group root (0) (mode allows 0055 beyond 0700)",
        |f| {
            f.install(&["cron"]);
            f.mkdir("/etc/cron.daily", 0o700).mkdir("/etc/cron.d", 0o755);
        },
    ),
    case("PPC-PRM-011", Pass, "/etc/issue: mode 0644", |f| {
        f.write("/etc/issue", "Authorised use only\n").write("/etc/motd", "\n");
    }),
    case("PPC-PRM-011", Fail, "/etc/motd: mode 0666", |f| {
        f.write_mode("/etc/motd", "\n", 0o666);
    }),
    case("PPC-PRM-011", Na, "/etc/motd, /etc/issue, /etc/issue.net: does not exist", |_| {}),
    case("PPC-PRM-012", Pass, "/etc/shells: mode 0644", |_| {}),
    case("PPC-PRM-012", Fail, "/etc/shells: mode 0644, owner alice (1000)", |f| {
        f.chown("/etc/shells", 1000, 1000);
    }),
    case("PPC-PRM-013", Na, "/etc/security/opasswd", |_| {}),
    case("PPC-PRM-013", Pass, "/etc/security/opasswd: mode 0600", |f| {
        f.write_mode("/etc/security/opasswd", "", 0o600);
    }),
    case("PPC-PRM-013", Fail, "/etc/security/opasswd: mode 0644", |f| {
        f.write_mode("/etc/security/opasswd", "", 0o644);
    }),
];

#[test]
fn cases() {
    check(CASES);
}
