//! Kernel parameters on a root folder: systemd-sysctl precedence, kernel defaults, core limits.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

pub const CASES: &[Case] = &[
    case("PPC-KRN-001", Pass, "kernel.randomize_va_space = 2 (not configured; kernel default)", |_| {}),
    case("PPC-KRN-001", Fail, "/etc/sysctl.d/10-aslr.conf:2: kernel.randomize_va_space = 0; expected 2", |f| {
        f.write("/etc/sysctl.d/10-aslr.conf", "# off for a benchmark\nkernel.randomize_va_space = 0\n");
    }),
    // A file in /etc hides the file of the same name in /usr/lib.
    case("PPC-KRN-001", Pass, "/etc/sysctl.d/50-x.conf:1: kernel.randomize_va_space = 2", |f| {
        f.write("/usr/lib/sysctl.d/50-x.conf", "kernel.randomize_va_space = 0\n");
        f.write("/etc/sysctl.d/50-x.conf", "kernel.randomize_va_space = 2\n");
    }),
    // Files apply in name order whatever their folder: /usr/lib's 20-b comes after /etc's 10-a.
    case("PPC-KRN-001", Fail, "/usr/lib/sysctl.d/20-b.conf:1: kernel.randomize_va_space = 1", |f| {
        f.write("/etc/sysctl.d/10-a.conf", "kernel.randomize_va_space = 2\n");
        f.write("/usr/lib/sysctl.d/20-b.conf", "kernel.randomize_va_space = 1\n");
    }),
    case("PPC-KRN-001", Fail, "/run/sysctl.d/30-r.conf:1: kernel.randomize_va_space = 1", |f| {
        f.write("/run/sysctl.d/30-r.conf", "kernel.randomize_va_space = 1\n");
    }),
    // /etc/sysctl.conf comes last.
    case("PPC-KRN-001", Pass, "/etc/sysctl.conf:1: kernel.randomize_va_space = 2", |f| {
        f.write("/etc/sysctl.d/99-zz.conf", "kernel.randomize_va_space = 0\n");
        f.write("/etc/sysctl.conf", "kernel.randomize_va_space = 2\n");
    }),
    // Debian's 99-sysctl.conf link to ../sysctl.conf puts it in name order instead.
    case("PPC-KRN-001", Fail, "/etc/sysctl.d/99-zz.conf:1: kernel.randomize_va_space = 0", |f| {
        f.write("/etc/sysctl.conf", "kernel.randomize_va_space = 2\n");
        f.symlink("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf");
        f.write("/etc/sysctl.d/99-zz.conf", "kernel.randomize_va_space = 0\n");
    }),
    // A link to /dev/null in /etc masks the vendor file.
    case("PPC-KRN-001", Pass, "kernel.randomize_va_space = 2 (not configured; kernel default)", |f| {
        f.write("/usr/lib/sysctl.d/50-x.conf", "kernel.randomize_va_space = 0\n");
        f.symlink("/etc/sysctl.d/50-x.conf", "/dev/null");
    }),
    // An absolute link inside the root resolves inside it: this root's /lib -> /usr/lib must not
    // reach the host's /usr/lib/sysctl.d.
    case("PPC-KRN-008", Pass, "fs.protected_hardlinks = 1 (not configured; Debian kernel default)", |f| {
        f.mkdir("/usr/lib", 0o755);
        f.symlink("/lib", "/usr/lib");
    }),
    case("PPC-KRN-001", Fail, "/usr/lib/sysctl.d/60-l.conf:1: kernel.randomize_va_space = 0", |f| {
        f.symlink("/lib", "/usr/lib");
        f.write("/usr/lib/sysctl.d/60-l.conf", "kernel.randomize_va_space = 0\n");
    }),
    case(
        "PPC-KRN-002",
        Fail,
        "kernel.yama.ptrace_scope = 0 (not configured; Debian kernel default); expected 1 or more",
        |_| {},
    ),
    case("PPC-KRN-002", Pass, "/etc/sysctl.d/10-ptrace.conf:1: kernel.yama.ptrace_scope = 2", |f| {
        f.write("/etc/sysctl.d/10-ptrace.conf", "kernel.yama.ptrace_scope = 2\n");
    }),
    case("PPC-KRN-003", Pass, "fs.suid_dumpable = 0 (not configured; kernel default)", |_| {}),
    case("PPC-KRN-003", Fail, "fs.suid_dumpable = 2", |f| {
        f.write("/etc/sysctl.d/10-dump.conf", "fs.suid_dumpable=2\n");
    }),
    case("PPC-KRN-004", Na, "pam_limits not configured", |_| {}),
    case("PPC-KRN-004", Fail, "no `* hard core 0`", |f| {
        f.write("/etc/security/limits.conf", "#*               hard    core            0\n*    soft    core    0\n");
    }),
    case("PPC-KRN-004", Pass, "/etc/security/limits.d/10-core.conf:1: *  hard  core  0", |f| {
        f.write("/etc/security/limits.conf", "# empty\n");
        f.write("/etc/security/limits.d/10-core.conf", "*  hard  core  0\n");
    }),
    case("PPC-KRN-004", Fail, "/etc/security/limits.d/20-dev.conf:1: * - core unlimited (expected 0)", |f| {
        f.write("/etc/security/limits.conf", "* hard core 0\n");
        f.write("/etc/security/limits.d/20-dev.conf", "* - core unlimited\n");
    }),
    case("PPC-KRN-004", Fail, "Storage not set (default external)", |f| {
        f.install(&["systemd-coredump"]);
        f.write("/etc/security/limits.conf", "* hard core 0\n");
    }),
    case("PPC-KRN-004", Pass, "/etc/systemd/coredump.conf.d/off.conf:2: ProcessSizeMax=0", |f| {
        f.install(&["systemd-coredump"]);
        f.write("/etc/security/limits.conf", "* hard core 0\n");
        f.write("/etc/systemd/coredump.conf", "[Coredump]\n#Storage=external\nStorage=none\n");
        f.write("/etc/systemd/coredump.conf.d/off.conf", "[Coredump]\nProcessSizeMax=0\n");
    }),
    case("PPC-KRN-005", Fail, "kernel.kptr_restrict = 0 (not configured; kernel default); expected 1 or more", |_| {}),
    case("PPC-KRN-005", Pass, "/etc/sysctl.d/10-k.conf:1: kernel.kptr_restrict = 2", |f| {
        f.write("/etc/sysctl.d/10-k.conf", "kernel/kptr_restrict = 2\n");
    }),
    case("PPC-KRN-006", Pass, "kernel.dmesg_restrict = 1 (not configured; Debian kernel default", |_| {}),
    case("PPC-KRN-006", Fail, "kernel.dmesg_restrict = 0", |f| {
        f.write("/etc/sysctl.d/10-d.conf", "kernel.dmesg_restrict = 0\n");
    }),
    case("PPC-KRN-007", Pass, "kernel.unprivileged_bpf_disabled = 2 (not configured; Debian kernel default", |_| {}),
    case("PPC-KRN-007", Fail, "kernel.unprivileged_bpf_disabled = 0", |f| {
        f.write("/etc/sysctl.d/10-b.conf", "-kernel.unprivileged_bpf_disabled = 0\n");
    }),
    case("PPC-KRN-008", Pass, "fs.protected_hardlinks = 1 (not configured; Debian kernel default)", |_| {}),
    case("PPC-KRN-008", Fail, "/usr/lib/sysctl.d/99-protect-links.conf:1: fs.protected_hardlinks = 0", |f| {
        f.write("/usr/lib/sysctl.d/99-protect-links.conf", "fs.protected_hardlinks = 0\n");
    }),
    case("PPC-KRN-009", Pass, "/usr/lib/sysctl.d/99-protect-links.conf:1: fs.protected_symlinks = 1", |f| {
        f.write("/usr/lib/sysctl.d/99-protect-links.conf", "fs.protected_symlinks = 1\n");
    }),
    case("PPC-KRN-009", Fail, "fs.protected_symlinks = 0", |f| {
        f.write("/etc/sysctl.d/10-s.conf", "fs.protected_symlinks = 0\n");
    }),
];

#[test]
fn cases() {
    check(CASES);
}
