//! The shared file-system walk and /tmp mount checks.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, Fixture, case, check};

pub const CASES: &[Case] = &[
    case("PPC-FS-001", Pass, "no world-writable folder without the sticky bit", |f| {
        f.mkdir("/tmp", 0o1777);
    }),
    case("PPC-FS-001", Fail, "/srv/drop: mode 0777, owner 0, group 0", |f| {
        f.mkdir("/srv/drop", 0o777);
    }),
    // /proc, /sys, /dev and /run of the root are not walked.
    case("PPC-FS-001", Pass, "no world-writable folder", |f| {
        f.mkdir("/proc/1/open", 0o777).mkdir("/run/lock/x", 0o777).mkdir("/dev/shm/x", 0o777);
    }),
    // Symbolic links are not followed, to the host or anywhere else.
    case("PPC-FS-001", Pass, "no world-writable folder", |f| {
        f.mkdir("/data", 0o755);
        f.symlink("/data/host-tmp", "/tmp");
        f.symlink("/data/open", "/srv/open");
        f.mkdir("/srv", 0o755);
    }),
    case("PPC-FS-002", Pass, "no world-writable regular file", |_| {}),
    case("PPC-FS-002", Fail, "/var/log/app.log: mode 0666", |f| {
        f.write_mode("/var/log/app.log", "", 0o666);
    }),
    case("PPC-FS-003", Pass, "every file's UID and GID exist", |_| {}),
    case("PPC-FS-003", Fail, "/srv/orphan: UID 4242 has no user, GID 4343 has no group", |f| {
        f.write("/srv/orphan", "");
        f.chown("/srv/orphan", 4242, 4343);
    }),
    case("PPC-FS-003", Fail, "/home/alice/x: GID 5000 has no group", |f| {
        f.write("/home/alice/x", "");
        f.chown("/home/alice/x", 1000, 5000);
    }),
    case("PPC-FS-003", Na, "no /etc/passwd or /etc/group", |f| {
        f.remove("/etc/group");
    }),
    case("PPC-FS-004", Pass, "/usr/bin/passwd: setuid, mode 4755, owner root (0), group root (0)", |f| {
        f.write_mode("/usr/bin/passwd", "", 0o4755);
        f.write_mode("/usr/lib/x86_64-linux-gnu/utempter/utempter", "", 0o2755);
    }),
    case("PPC-FS-004", Fail, "/usr/local/bin/rootshell: setuid, mode 4755, owner root (0), group root (0)", |f| {
        f.write_mode("/usr/bin/passwd", "", 0o4755);
        f.write_mode("/usr/local/bin/rootshell", "", 0o4755);
    }),
    case("PPC-FS-004", Fail, "/opt/app/helper: setgid, mode 2750", |f| {
        f.write_mode("/opt/app/helper", "", 0o2750);
    }),
    case("PPC-FS-005", Fail, "/tmp is not configured as a mount", |_| {}),
    case("PPC-FS-005", Pass, "/etc/fstab:2: tmpfs /tmp tmpfs defaults,rw,nosuid,nodev,noexec 0 0 (tmpfs)", |f| {
        f.write(
            "/etc/fstab",
            "UUID=x / ext4 errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults,rw,nosuid,nodev,noexec 0 0\n",
        );
    }),
    case("PPC-FS-005", Fail, "/etc/systemd/system/tmp.mount is masked", |f| {
        f.write("/usr/lib/systemd/system/tmp.mount", "[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\n");
        f.symlink("/etc/systemd/system/tmp.mount", "/dev/null");
    }),
    case("PPC-FS-006", Pass, "/etc/fstab:1: tmpfs /tmp tmpfs nodev 0 0", |f| {
        f.write("/etc/fstab", "tmpfs /tmp tmpfs nodev 0 0\n");
    }),
    case("PPC-FS-006", Fail, "/tmp is not a separate file system, so it cannot have nodev", |_| {}),
    case(
        "PPC-FS-007",
        Pass,
        "/usr/lib/systemd/system/tmp.mount:6: Options=mode=1777,strictatime,nosuid,nodev,size=50%%",
        |f| {
            f.write("/usr/lib/systemd/system/tmp.mount", TMP_MOUNT);
        },
    ),
    case("PPC-FS-007", Fail, "nosuid missing from options nodev", |f| {
        f.write("/etc/fstab", "tmpfs /tmp tmpfs nodev 0 0\n");
    }),
    case("PPC-FS-008", Fail, "noexec missing from options mode=1777,strictatime,nosuid,nodev,size=50%", |f| {
        f.write("/usr/lib/systemd/system/tmp.mount", TMP_MOUNT);
    }),
    // A unit in /etc wins over fstab; its drop-ins change Options.
    case(
        "PPC-FS-008",
        Pass,
        "/etc/systemd/system/tmp.mount.d/noexec.conf:2: Options=mode=1777,nosuid,nodev,noexec",
        |f| {
            f.write("/etc/fstab", "tmpfs /tmp tmpfs defaults 0 0\n");
            f.write("/etc/systemd/system/tmp.mount", TMP_MOUNT);
            f.write("/etc/systemd/system/tmp.mount.d/noexec.conf", "[Mount]\nOptions=mode=1777,nosuid,nodev,noexec\n");
        },
    ),
];

/// systemd's tmp.mount as Debian 13 ships it.
const TMP_MOUNT: &str = "[Unit]\nDescription=Temporary Directory /tmp\n\n[Mount]\nWhat=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev,size=50%%,nr_inodes=1m\nWhere=/tmp\nType=tmpfs\n";

#[test]
fn cases() {
    check(CASES);
}

#[test]
fn one_walk_serves_three_checks() {
    let f = Fixture::debian();
    f.mkdir("/srv/drop", 0o777);
    f.write("/srv/orphan", "");
    f.chown("/srv/orphan", 4242, 4242);
    f.write_mode("/srv/suid", "", 0o4755);
    let results = parapet_checks::run_selected(&f.target(), &["PPC-FS-001", "PPC-FS-003", "PPC-FS-004"]).unwrap();
    let statuses: Vec<_> = results.iter().map(|r| (r.info.id, r.status)).collect();
    assert_eq!(statuses, [("PPC-FS-001", Fail), ("PPC-FS-003", Fail), ("PPC-FS-004", Fail)]);
}

#[test]
fn long_lists_are_capped() {
    let f = Fixture::debian();
    for i in 0..60 {
        f.write_mode(&format!("/srv/w/{i:02}"), "", 0o666);
    }
    let r = f.run("PPC-FS-002");
    assert_eq!(r.status, Fail);
    assert_eq!(r.evidence.len(), 51, "{:#?}", r.evidence);
    assert_eq!(r.evidence[0], "/srv/w/00: mode 0666, owner 0, group 0");
    assert_eq!(r.evidence[50], "… and 10 more");
}
