//! Login banner checks.

use parapet_checks::Status::{Fail, Pass};

use crate::fixture::{Case, case, check};

pub const CASES: &[Case] = &[
    case("PPC-BNR-001", Pass, "/etc/motd: no OS name (debian)", |f| {
        f.write("/etc/motd", "Authorised use only. Activity is logged.\n");
    }),
    case(
        "PPC-BNR-001",
        Fail,
        "/etc/motd:2: The programs included with the Debian GNU/Linux system are free software;",
        |f| {
            f.write("/etc/motd", "\nThe programs included with the Debian GNU/Linux system are free software;\n");
        },
    ),
    case("PPC-BNR-001", Fail, "/etc/update-motd.d/10-uname:2: uname -snrvm (executable, shown at login)", |f| {
        f.write_mode("/etc/update-motd.d/10-uname", "#!/bin/sh\nuname -snrvm\n", 0o755);
    }),
    case("PPC-BNR-001", Pass, "/etc/motd does not exist", |f| {
        f.write_mode("/etc/update-motd.d/10-uname", "#!/bin/sh\nuname -snrvm\n", 0o644);
    }),
    case("PPC-BNR-002", Fail, "/etc/issue:1: Debian GNU/Linux 12 \\n \\l", |f| {
        f.write("/etc/issue", "Debian GNU/Linux 12 \\n \\l\n\n");
    }),
    case("PPC-BNR-002", Fail, "/etc/issue:1: Kernel \\r on \\m", |f| {
        f.write("/etc/issue", "Kernel \\r on \\m\n");
    }),
    case("PPC-BNR-002", Pass, "/etc/issue: no OS name", |f| {
        f.write("/etc/issue", "Authorised use only.\n");
    }),
    case("PPC-BNR-003", Pass, "/etc/issue.net does not exist", |_| {}),
    case("PPC-BNR-003", Fail, "/etc/issue.net:1: Debian GNU/Linux 12", |f| {
        f.write("/etc/issue.net", "Debian GNU/Linux 12\n");
    }),
];

#[test]
fn cases() {
    check(CASES);
}
