//! Account, password policy, home folder, root PATH and sudo checks.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, PASSWD, case, check};

const SUDOERS: &str = "Defaults\tenv_reset\nDefaults\tuse_pty\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n";

pub const CASES: &[Case] = &[
    case("PPC-ACC-001", Pass, "/etc/passwd:1: root:x:0:0:root:/root:/bin/bash", |_| {}),
    case("PPC-ACC-001", Fail, "/etc/passwd:7: toor:<hash>:0:0::/root:/bin/sh", |f| {
        f.append("/etc/passwd", "toor:$1$salt$hash:0:0::/root:/bin/sh\n");
    }),
    case("PPC-ACC-001", Na, "no /etc/passwd", |f| {
        f.remove("/etc/passwd");
    }),
    case("PPC-ACC-002", Pass, "no empty password field", |_| {}),
    case("PPC-ACC-002", Fail, "/etc/shadow:7: bob has an empty password field", |f| {
        f.append("/etc/shadow", "bob::19000:0:90:7:::\n");
    }),
    case("PPC-ACC-002", Fail, "/etc/passwd:7: eve has an empty password field", |f| {
        f.append("/etc/passwd", "eve::1001:1001::/home/eve:/bin/sh\n");
    }),
    case("PPC-ACC-003", Pass, "every /etc/passwd entry has x", |_| {}),
    case("PPC-ACC-003", Fail, "/etc/passwd:7: password field of old is not x", |f| {
        f.append("/etc/passwd", "old:$1$salt$hash:1001:1000::/home/old:/bin/sh\n");
    }),
    case("PPC-ACC-004", Pass, "/etc/login.defs:3: PASS_MAX_DAYS 365", |_| {}),
    case("PPC-ACC-004", Fail, "/etc/login.defs:8: PASS_MAX_DAYS 99999", |f| {
        f.append("/etc/login.defs", "# later lines win\nPASS_MAX_DAYS 99999\n");
    }),
    case("PPC-ACC-004", Fail, "PASS_MAX_DAYS not set", |f| {
        f.write("/etc/login.defs", "UID_MIN 1000\n");
    }),
    case("PPC-ACC-004", Na, "no /etc/login.defs", |f| {
        f.remove("/etc/login.defs");
    }),
    case("PPC-ACC-005", Pass, "/etc/shadow:6: alice expires after 90 days", |_| {}),
    case("PPC-ACC-005", Fail, "/etc/shadow:6: alice has maximum password age 99999 days", |f| {
        f.write("/etc/shadow", "root:*:19000::::::\nx:*:1::::::\ny:*:1::::::\nz:*:1::::::\nw:*:1::::::\nalice:$y$j9T$s$h:19000:0:99999:7:::\n");
    }),
    case("PPC-ACC-005", Fail, "root has no maximum password age", |f| {
        f.write("/etc/shadow", "root:$6$salt$hash:19000::::::\n");
    }),
    case("PPC-ACC-006", Pass, "ENCRYPT_METHOD YESCRYPT", |_| {}),
    case("PPC-ACC-006", Fail, "/etc/login.defs:7: ENCRYPT_METHOD MD5", |f| {
        f.append("/etc/login.defs", "ENCRYPT_METHOD MD5\n");
    }),
    case("PPC-ACC-007", Pass, "/etc/shadow:6: alice uses yescrypt", |_| {}),
    case("PPC-ACC-007", Fail, "/etc/shadow:1: root uses MD5", |f| {
        f.write("/etc/shadow", "root:$1$salt$hash:19000:0:90:7:::\nalice:$6$salt$hash:19000:0:90:7:::\n");
    }),
    case("PPC-ACC-008", Pass, "6 accounts, each with its own UID", |_| {}),
    case("PPC-ACC-008", Fail, "UID 1000: alice (/etc/passwd:6), bob (/etc/passwd:7)", |f| {
        f.append("/etc/passwd", "bob:x:1000:1000::/home/bob:/bin/bash\n");
    }),
    case("PPC-ACC-009", Pass, "6 groups, each with its own GID", |_| {}),
    case("PPC-ACC-009", Fail, "GID 1000: alice (/etc/group:6), staff2 (/etc/group:7)", |f| {
        f.append("/etc/group", "staff2:x:1000:\n");
    }),
    case("PPC-ACC-010", Pass, "every user and group name appears once", |_| {}),
    case("PPC-ACC-010", Fail, "/etc/passwd: alice appears on lines 6, 7", |f| {
        f.append("/etc/passwd", "alice:x:1001:1000::/home/alice2:/bin/bash\n");
    }),
    case("PPC-ACC-010", Fail, "/etc/group: bin appears on lines 3, 7", |f| {
        f.append("/etc/group", "bin:x:77:\n");
    }),
    case("PPC-ACC-011", Pass, "every primary GID", |_| {}),
    case("PPC-ACC-011", Fail, "/etc/passwd:7: carol has primary GID 4242, which is not in /etc/group", |f| {
        f.append("/etc/passwd", "carol:x:1001:4242::/home/carol:/usr/sbin/nologin\n");
    }),
    case("PPC-ACC-012", Pass, "/etc/group:4: shadow:x:42:", |_| {}),
    case("PPC-ACC-012", Fail, "/etc/group:4: shadow:x:42:alice", |f| {
        f.write("/etc/group", &crate::fixture::GROUP.replace("shadow:x:42:", "shadow:x:42:alice"));
    }),
    case("PPC-ACC-012", Fail, "(primary group shadow)", |f| {
        f.append("/etc/passwd", "reader:x:1001:42::/home/reader:/usr/sbin/nologin\n");
    }),
    case("PPC-ACC-013", Pass, "only root", |_| {}),
    case("PPC-ACC-013", Fail, "/etc/passwd:7: dave:x:1001:0::/home/dave:/bin/bash", |f| {
        f.append("/etc/passwd", "dave:x:1001:0::/home/dave:/bin/bash\n");
    }),
    case("PPC-ACC-014", Pass, "no account below UID 1000 other than root has a login shell", |_| {}),
    case("PPC-ACC-014", Fail, "daemon:x:1:1:daemon:/usr/sbin:/bin/sh (login shell /bin/sh)", |f| {
        f.write("/etc/passwd", &PASSWD.replace("/usr/sbin:/usr/sbin/nologin", "/usr/sbin:/bin/sh"));
    }),
    case("PPC-ACC-015", Pass, "alice: /home/alice mode 0750, owner alice (1000)", |_| {}),
    case(
        "PPC-ACC-015",
        Fail,
        "alice: /home/alice mode 0755, owner alice (1000) (mode 0755 allows more than 0750)",
        |f| {
            f.chmod("/home/alice", 0o755);
        },
    ),
    case("PPC-ACC-015", Fail, "owned by root (0)", |f| {
        f.chown("/home/alice", 0, 0);
    }),
    case("PPC-ACC-015", Fail, "alice: home folder /home/alice does not exist", |f| {
        f.remove("/home/alice");
    }),
    case("PPC-ACC-016", Pass, "ENV_SUPATH PATH=/usr/local/sbin", |_| {}),
    case("PPC-ACC-016", Fail, "empty entry", |f| {
        f.append("/etc/login.defs", "ENV_SUPATH PATH=/usr/sbin::/usr/bin\n");
    }),
    case("PPC-ACC-016", Fail, "/opt/tools: mode 0777 is group- or world-writable", |f| {
        f.mkdir("/opt/tools", 0o777);
        f.write("/etc/environment", "PATH=\"/usr/bin:/opt/tools\"\n");
    }),
    case("PPC-ACC-016", Fail, "/opt/missing: does not exist", |f| {
        f.write("/etc/environment", "PATH=/usr/bin:/opt/missing:.\n");
    }),
    case("PPC-ACC-017", Na, "sudo is not installed", |_| {}),
    case("PPC-ACC-017", Pass, "no NOPASSWD or !authenticate in /etc/sudoers", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", SUDOERS, 0o440);
        f.write_mode("/etc/sudoers.d/README.txt", "ci ALL=(ALL) NOPASSWD: ALL\n", 0o440);
        f.write_mode("/etc/sudoers.d/old~", "ci ALL=(ALL) NOPASSWD: ALL\n", 0o440);
    }),
    case("PPC-ACC-017", Fail, "/etc/sudoers.d/ci:2: ci ALL=(ALL) NOPASSWD: ALL", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", SUDOERS, 0o440);
        f.write_mode("/etc/sudoers.d/ci", "# CI runner\nci ALL=(ALL) NOPASSWD: ALL\n", 0o440);
    }),
    case("PPC-ACC-017", Fail, "/etc/sudoers:5: Defaults:ops !authenticate", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", &format!("{SUDOERS}Defaults:ops !authenticate\n"), 0o440);
    }),
    case("PPC-ACC-018", Pass, "/etc/sudoers:2: Defaults\tuse_pty", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", SUDOERS, 0o440);
    }),
    case("PPC-ACC-018", Fail, "no `Defaults use_pty`", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", "root ALL=(ALL:ALL) ALL\n", 0o440);
    }),
    case("PPC-ACC-018", Fail, "/etc/sudoers.d/z:1: Defaults !use_pty", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", SUDOERS, 0o440);
        f.write_mode("/etc/sudoers.d/z", "Defaults !use_pty\n", 0o440);
    }),
    case("PPC-ACC-019", Pass, "sudo default: 15 minutes", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", SUDOERS, 0o440);
    }),
    case("PPC-ACC-019", Fail, "/etc/sudoers:5: Defaults env_reset, timestamp_timeout=60", |f| {
        f.install(&["sudo"]);
        f.write_mode("/etc/sudoers", &format!("{SUDOERS}Defaults env_reset, timestamp_timeout=60\n"), 0o440);
    }),
    case("PPC-ACC-020", Pass, "no last-change date in /etc/shadow is after today", |_| {}),
    case("PPC-ACC-020", Fail, "/etc/shadow:7: future last changed on day 99999", |f| {
        f.append("/etc/shadow", "future:$y$j9T$s$h:99999:0:90:7:::\n");
    }),
];

#[test]
fn cases() {
    check(CASES);
}

#[test]
fn hashes_never_reach_evidence() {
    let f = crate::fixture::Fixture::debian();
    f.append("/etc/passwd", "old:$1$salt$secrethash:0:0::/root:/bin/sh\n");
    f.write("/etc/shadow", "root:$1$salt$secrethash:99999:0:99999:7:::\n");
    let results = parapet_checks::run(&f.target());
    for r in results {
        for e in &r.evidence {
            assert!(!e.contains("secrethash"), "{} leaks a hash: {e}", r.info.id);
        }
    }
}
