//! Time synchronisation, audit daemon and legacy service checks.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

pub const CASES: &[Case] = &[
    case("PPC-SVC-001", Fail, "no time synchronisation daemon installed", |_| {}),
    case(
        "PPC-SVC-001",
        Pass,
        "systemd-timesyncd installed and enabled: /etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service",
        |f| {
            f.install(&["systemd-timesyncd"]);
            f.symlink(
                "/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service",
                "/lib/systemd/system/systemd-timesyncd.service",
            );
        },
    ),
    case("PPC-SVC-001", Fail, "chrony installed but not enabled", |f| {
        f.install(&["chrony"]);
    }),
    case("PPC-SVC-001", Fail, "more than one enabled: systemd-timesyncd, chrony", |f| {
        f.install(&["systemd-timesyncd", "chrony"]);
        f.enable("systemd-timesyncd.service").enable("chrony.service");
    }),
    case("PPC-SVC-001", Pass, "chrony installed and enabled: /etc/rc2.d/S01chrony", |f| {
        f.install(&["chrony"]);
        f.symlink("/etc/rc2.d/S01chrony", "../init.d/chrony");
    }),
    case("PPC-SVC-002", Fail, "auditd is not installed", |_| {}),
    case(
        "PPC-SVC-002",
        Pass,
        "auditd installed and enabled: /etc/systemd/system/multi-user.target.wants/auditd.service",
        |f| {
            f.install(&["auditd"]);
            f.enable("auditd.service");
        },
    ),
    case("PPC-SVC-002", Fail, "auditd installed but masked: /etc/systemd/system/auditd.service -> /dev/null", |f| {
        f.install(&["auditd"]);
        f.enable("auditd.service");
        f.symlink("/etc/systemd/system/auditd.service", "/dev/null");
    }),
    case("PPC-SVC-003", Pass, "no telnet, rsh, talk or TFTP server", |_| {}),
    case("PPC-SVC-003", Fail, "/var/lib/dpkg/status: telnetd is installed", |f| {
        f.install(&["telnetd"]);
    }),
    case("PPC-SVC-003", Na, "no dpkg database", |f| {
        f.remove("/var/lib/dpkg/status");
    }),
    case("PPC-SVC-004", Pass, "no inetd or xinetd", |_| {}),
    case("PPC-SVC-004", Fail, "/var/lib/dpkg/status: openbsd-inetd is installed", |f| {
        f.install(&["openbsd-inetd"]);
    }),
    case("PPC-SVC-005", Pass, "no telnet, rsh, talk, ftp or NIS client", |_| {}),
    case("PPC-SVC-005", Fail, "/var/lib/dpkg/status: rsh-client is installed", |f| {
        f.install(&["rsh-client"]);
    }),
    case("PPC-SVC-006", Pass, "prelink is not installed", |_| {}),
    case("PPC-SVC-006", Fail, "/var/lib/dpkg/status: prelink is installed", |f| {
        f.install(&["prelink"]);
    }),
];

#[test]
fn cases() {
    check(CASES);
}
