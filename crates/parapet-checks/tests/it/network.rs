//! Network kernel parameters on a root folder, and the live-only listener check.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, case, check};

pub const CASES: &[Case] = &[
    case("PPC-NET-001", Pass, "net.ipv4.ip_forward = 0 (not configured; kernel default)", |_| {}),
    case("PPC-NET-001", Fail, "/etc/sysctl.d/99-docker.conf:1: net.ipv4.ip_forward = 1; expected 0", |f| {
        f.write("/etc/sysctl.d/99-docker.conf", "net.ipv4.ip_forward = 1\n");
    }),
    case("PPC-NET-001", Fail, "net.ipv6.conf.all.forwarding = 1", |f| {
        f.write("/etc/sysctl.d/10-v6.conf", "net.ipv6.conf.all.forwarding=1\n");
    }),
    case(
        "PPC-NET-002",
        Fail,
        "net.ipv4.conf.all.send_redirects = 1 (not configured; kernel default); expected 0",
        |_| {},
    ),
    case("PPC-NET-002", Pass, "/etc/sysctl.d/60-net.conf:2: net.ipv4.conf.default.send_redirects = 0", |f| {
        f.write(
            "/etc/sysctl.d/60-net.conf",
            "net.ipv4.conf.all.send_redirects = 0\nnet.ipv4.conf.default.send_redirects = 0\n",
        );
    }),
    case("PPC-NET-003", Pass, "net.ipv4.icmp_ignore_bogus_error_responses = 1 (not configured", |_| {}),
    case("PPC-NET-003", Fail, "net.ipv4.icmp_ignore_bogus_error_responses = 0", |f| {
        f.write("/etc/sysctl.conf", "net.ipv4.icmp_ignore_bogus_error_responses = 0\n");
    }),
    case("PPC-NET-004", Pass, "net.ipv4.icmp_echo_ignore_broadcasts = 1 (not configured", |_| {}),
    case("PPC-NET-004", Fail, "net.ipv4.icmp_echo_ignore_broadcasts = 0", |f| {
        f.write("/etc/sysctl.conf", "net.ipv4.icmp_echo_ignore_broadcasts = 0\n");
    }),
    case(
        "PPC-NET-005",
        Fail,
        "net.ipv4.conf.all.accept_redirects = 1 (not configured; kernel default); expected 0",
        |_| {},
    ),
    case("PPC-NET-005", Pass, "/etc/sysctl.d/60-net.conf:1: net.ipv4.conf.all.accept_redirects = 0", |f| {
        f.write(
            "/etc/sysctl.d/60-net.conf",
            "net.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.conf.default.accept_redirects = 0\n",
        );
    }),
    case("PPC-NET-006", Fail, "net.ipv4.conf.default.secure_redirects = 1", |_| {}),
    case("PPC-NET-006", Pass, "net.ipv4.conf.default.secure_redirects = 0", |f| {
        f.write(
            "/etc/sysctl.d/60-net.conf",
            "net.ipv4.conf.all.secure_redirects = 0\nnet.ipv4.conf.default.secure_redirects = 0\n",
        );
    }),
    case("PPC-NET-007", Fail, "net.ipv4.conf.all.rp_filter = 0 (not configured; kernel default); expected 1", |_| {}),
    // systemd-sysctl globs: one line sets every interface.
    case("PPC-NET-007", Pass, "/etc/sysctl.d/60-rp.conf:1: net.ipv4.conf.default.rp_filter = 1", |f| {
        f.write("/etc/sysctl.d/60-rp.conf", "net.ipv4.conf.*.rp_filter = 1\n");
    }),
    // An exact key wins over a glob, even an earlier one.
    case("PPC-NET-007", Fail, "/etc/sysctl.d/10-rp.conf:1: net.ipv4.conf.all.rp_filter = 2", |f| {
        f.write("/etc/sysctl.d/10-rp.conf", "net.ipv4.conf.all.rp_filter = 2\n");
        f.write("/etc/sysctl.d/60-rp.conf", "net.ipv4.conf.*.rp_filter = 1\n");
    }),
    case(
        "PPC-NET-008",
        Fail,
        "net.ipv4.conf.default.accept_source_route = 1 (not configured; kernel default); expected 0",
        |_| {},
    ),
    case("PPC-NET-008", Pass, "net.ipv6.conf.default.accept_source_route = 0", |f| {
        f.write("/etc/sysctl.d/60-net.conf", "net.ipv4.conf.default.accept_source_route = 0\n");
    }),
    case("PPC-NET-009", Fail, "net.ipv4.conf.all.log_martians = 0 (not configured", |_| {}),
    case("PPC-NET-009", Pass, "net.ipv4.conf.all.log_martians = 1", |f| {
        f.write(
            "/etc/sysctl.d/60-net.conf",
            "net.ipv4.conf.all.log_martians = 1\nnet.ipv4.conf.default.log_martians = 1\n",
        );
    }),
    case("PPC-NET-010", Pass, "net.ipv4.tcp_syncookies = 1 (not configured", |_| {}),
    case("PPC-NET-010", Fail, "net.ipv4.tcp_syncookies = 0", |f| {
        f.write("/etc/sysctl.d/60-net.conf", "net.ipv4.tcp_syncookies = 0\n");
    }),
    case("PPC-NET-011", Fail, "net.ipv6.conf.all.accept_ra = 1 (not configured", |_| {}),
    case("PPC-NET-011", Pass, "net.ipv6.conf.default.accept_ra = 0", |f| {
        f.write("/etc/sysctl.d/60-v6.conf", "net.ipv6.conf.all.accept_ra = 0\nnet.ipv6.conf.default.accept_ra = 0\n");
    }),
    case("PPC-NET-012", Fail, "net.ipv6.conf.all.accept_redirects = 1 (not configured", |_| {}),
    case("PPC-NET-012", Pass, "/etc/sysctl.d/60-v6.conf:2: net.ipv6.conf.default.accept_redirects = 0", |f| {
        f.write(
            "/etc/sysctl.d/60-v6.conf",
            "net/ipv6/conf/all/accept_redirects = 0\nnet/ipv6/conf/default/accept_redirects = 0\n",
        );
    }),
    case("PPC-NET-013", Na, "needs the live host", |_| {}),
];

#[test]
fn cases() {
    check(CASES);
}
