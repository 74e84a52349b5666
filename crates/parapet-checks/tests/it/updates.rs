//! Automatic updates and repository signature checks.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

const AUTO_UPGRADES: &str = "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n";

pub const CASES: &[Case] = &[
    case("PPC-UPD-001", Fail, "/var/lib/dpkg/status: unattended-upgrades is not installed", |_| {}),
    case("PPC-UPD-001", Pass, "unattended-upgrades install ok installed", |f| {
        f.install(&["unattended-upgrades"]);
    }),
    case("PPC-UPD-001", Na, "no dpkg database", |f| {
        f.remove("/var/lib/dpkg/status");
    }),
    case("PPC-UPD-001", Fail, "unattended-upgrades is not installed", |f| {
        f.append("/var/lib/dpkg/status", "Package: unattended-upgrades\nStatus: deinstall ok config-files\n\n");
    }),
    case("PPC-UPD-002", Fail, "APT::Periodic::Unattended-Upgrade not set", |_| {}),
    case("PPC-UPD-002", Pass, "/etc/apt/apt.conf.d/20auto-upgrades:2: APT::Periodic::Unattended-Upgrade \"1\"", |f| {
        f.write("/etc/apt/apt.conf.d/20auto-upgrades", AUTO_UPGRADES);
    }),
    case("PPC-UPD-002", Pass, "/etc/apt/apt.conf.d/10periodic:3: APT::Periodic::Unattended-Upgrade \"always\"", |f| {
        f.write(
            "/etc/apt/apt.conf.d/10periodic",
            "APT::Periodic {\n  Update-Package-Lists \"1\";\n  Unattended-Upgrade \"always\"; // daily\n};\n",
        );
    }),
    case("PPC-UPD-002", Fail, "/etc/apt/apt.conf.d/99off:1: APT::Periodic::Unattended-Upgrade \"0\" (disabled)", |f| {
        f.write("/etc/apt/apt.conf.d/20auto-upgrades", AUTO_UPGRADES);
        f.write("/etc/apt/apt.conf.d/99off", "APT::Periodic::Unattended-Upgrade \"0\";\n");
    }),
    // apt ignores files with another extension than .conf, such as dpkg's backups.
    case("PPC-UPD-002", Fail, "APT::Periodic::Unattended-Upgrade not set", |f| {
        f.write("/etc/apt/apt.conf.d/20auto-upgrades.dpkg-old", AUTO_UPGRADES);
    }),
    case(
        "PPC-UPD-002",
        Fail,
        "/etc/apt/apt.conf:1: APT::Periodic::Enable \"0\" (disables every periodic APT job)",
        |f| {
            f.write("/etc/apt/apt.conf.d/20auto-upgrades", AUTO_UPGRADES);
            f.write("/etc/apt/apt.conf", "APT::Periodic::Enable \"0\";\n");
        },
    ),
    case("PPC-UPD-003", Pass, "no trusted=yes", |f| {
        f.write(
            "/etc/apt/sources.list",
            "deb http://deb.debian.org/debian bookworm main\n# deb [trusted=yes] http://x/ y main\n",
        );
        f.write("/etc/apt/sources.list.d/old.list.disabled", "deb [trusted=yes] http://x/ y main\n");
    }),
    case("PPC-UPD-003", Fail, "/etc/apt/sources.list.d/internal.list:1: trusted=yes", |f| {
        f.write(
            "/etc/apt/sources.list.d/internal.list",
            "deb [arch=amd64 trusted=yes] http://repo.internal/ stable main\n",
        );
    }),
    case("PPC-UPD-003", Fail, "/etc/apt/sources.list.d/x.sources:4: Allow-Insecure: yes", |f| {
        f.write("/etc/apt/sources.list.d/x.sources", "Types: deb\nURIs: http://x/\nSuites: y\nAllow-Insecure: yes\n");
    }),
    case("PPC-UPD-003", Fail, "/etc/apt/apt.conf.d/99insecure:1: Acquire::AllowInsecureRepositories \"true\"", |f| {
        f.write("/etc/apt/apt.conf.d/99insecure", "Acquire::AllowInsecureRepositories \"true\";\n");
    }),
    case("PPC-UPD-003", Na, "no /etc/apt", |f| {
        f.remove("/etc/apt");
    }),
];

#[test]
fn cases() {
    check(CASES);
}
