//! Network kernel parameters and sockets listening on every address.

use std::collections::HashMap;

use parapet_model::Severity;

use super::capped;
use super::sysctl::{Rule, check};
use crate::{Area, CheckInfo, Context, Outcome};

const SYSCTL: &str = "sysctl.d(5)";
const IP_DOC: &str = "Linux Documentation/networking/ip-sysctl.rst";

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-NET-001",
        title: "IP forwarding is disabled",
        area: Area::Network,
        severity: Severity::Moderate,
        rationale: "A host that forwards packets can be used to reach networks behind it; only routers (and \
                    container hosts that need it) should forward.",
        remediation: "Set `net.ipv4.ip_forward = 0` and `net.ipv6.conf.all.forwarding = 0` in a file in \
                      /etc/sysctl.d and run `sysctl --system`, unless the host is a router.",
        references: &["CIS Debian 12 3.3.1", SYSCTL, IP_DOC],
        run: |ctx| check(ctx, &[("net.ipv4.ip_forward", Rule::Eq(0)), ("net.ipv6.conf.all.forwarding", Rule::Eq(0))]),
    },
    CheckInfo {
        id: "PPC-NET-002",
        title: "ICMP redirects are not sent",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Only routers send redirects; a compromised host could use them to reroute its neighbours' traffic.",
        remediation: "Set `net.ipv4.conf.all.send_redirects = 0` and `net.ipv4.conf.default.send_redirects = 0` in \
                      /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.2", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[
                    ("net.ipv4.conf.all.send_redirects", Rule::Eq(0)),
                    ("net.ipv4.conf.default.send_redirects", Rule::Eq(0)),
                ],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-003",
        title: "Bogus ICMP error responses are ignored",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Logging bogus responses to broadcast frames lets anyone fill the logs.",
        remediation: "Set `net.ipv4.icmp_ignore_bogus_error_responses = 1` in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.3", SYSCTL, IP_DOC],
        run: |ctx| check(ctx, &[("net.ipv4.icmp_ignore_bogus_error_responses", Rule::Eq(1))]),
    },
    CheckInfo {
        id: "PPC-NET-004",
        title: "Broadcast ICMP echo requests are ignored",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Answering broadcast pings makes the host an amplifier in Smurf attacks.",
        remediation: "Set `net.ipv4.icmp_echo_ignore_broadcasts = 1` in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.4", SYSCTL, IP_DOC],
        run: |ctx| check(ctx, &[("net.ipv4.icmp_echo_ignore_broadcasts", Rule::Eq(1))]),
    },
    CheckInfo {
        id: "PPC-NET-005",
        title: "IPv4 ICMP redirects are not accepted",
        area: Area::Network,
        severity: Severity::Moderate,
        rationale: "An attacker on the local network can send redirects that route the host's traffic through a \
                    machine they control.",
        remediation: "Set `net.ipv4.conf.all.accept_redirects = 0` and `net.ipv4.conf.default.accept_redirects = 0` \
                      in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.5", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[
                    ("net.ipv4.conf.all.accept_redirects", Rule::Eq(0)),
                    ("net.ipv4.conf.default.accept_redirects", Rule::Eq(0)),
                ],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-006",
        title: "Secure ICMP redirects are not accepted",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Secure redirects come from listed gateways, whose addresses are easy to spoof on a local network.",
        remediation: "Set `net.ipv4.conf.all.secure_redirects = 0` and `net.ipv4.conf.default.secure_redirects = 0` \
                      in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.6", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[
                    ("net.ipv4.conf.all.secure_redirects", Rule::Eq(0)),
                    ("net.ipv4.conf.default.secure_redirects", Rule::Eq(0)),
                ],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-007",
        title: "Reverse path filtering is enabled",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Strict reverse path filtering drops packets whose source address could not be answered on the \
                    interface they arrived on, a cheap defence against spoofing.",
        remediation: "Set `net.ipv4.conf.all.rp_filter = 1` and `net.ipv4.conf.default.rp_filter = 1` in \
                      /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.7", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[("net.ipv4.conf.all.rp_filter", Rule::Eq(1)), ("net.ipv4.conf.default.rp_filter", Rule::Eq(1))],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-008",
        title: "Source-routed packets are not accepted",
        area: Area::Network,
        severity: Severity::Moderate,
        rationale: "Source routing lets the sender choose the path of a packet, for example to reach internal \
                    addresses through this host.",
        remediation: "Set `accept_source_route = 0` for net.ipv4.conf.all, net.ipv4.conf.default, \
                      net.ipv6.conf.all and net.ipv6.conf.default in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.8", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[
                    ("net.ipv4.conf.all.accept_source_route", Rule::Eq(0)),
                    ("net.ipv4.conf.default.accept_source_route", Rule::Eq(0)),
                    ("net.ipv6.conf.all.accept_source_route", Rule::Eq(0)),
                    ("net.ipv6.conf.default.accept_source_route", Rule::Eq(0)),
                ],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-009",
        title: "Packets with impossible addresses are logged",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Logging martian packets shows spoofing attempts and misrouted traffic.",
        remediation: "Set `net.ipv4.conf.all.log_martians = 1` and `net.ipv4.conf.default.log_martians = 1` in \
                      /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.9", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[("net.ipv4.conf.all.log_martians", Rule::Eq(1)), ("net.ipv4.conf.default.log_martians", Rule::Eq(1))],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-010",
        title: "TCP SYN cookies are enabled",
        area: Area::Network,
        severity: Severity::Moderate,
        rationale: "SYN cookies keep the host reachable during a SYN flood, when the backlog of half-open \
                    connections is full.",
        remediation: "Set `net.ipv4.tcp_syncookies = 1` in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.10", SYSCTL, IP_DOC],
        run: |ctx| check(ctx, &[("net.ipv4.tcp_syncookies", Rule::Eq(1))]),
    },
    CheckInfo {
        id: "PPC-NET-011",
        title: "IPv6 router advertisements are not accepted",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "Anyone on the local network can send router advertisements and become the host's IPv6 default \
                    gateway; hosts with static configuration should ignore them.",
        remediation: "Set `net.ipv6.conf.all.accept_ra = 0` and `net.ipv6.conf.default.accept_ra = 0` in \
                      /etc/sysctl.d and run `sysctl --system` (not on hosts configured by SLAAC).",
        references: &["CIS Debian 12 3.3.11", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[("net.ipv6.conf.all.accept_ra", Rule::Eq(0)), ("net.ipv6.conf.default.accept_ra", Rule::Eq(0))],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-012",
        title: "IPv6 ICMP redirects are not accepted",
        area: Area::Network,
        severity: Severity::Moderate,
        rationale: "An attacker on the local network can send IPv6 redirects that route the host's traffic through a \
                    machine they control.",
        remediation: "Set `net.ipv6.conf.all.accept_redirects = 0` and `net.ipv6.conf.default.accept_redirects = 0` \
                      in /etc/sysctl.d and run `sysctl --system`.",
        references: &["CIS Debian 12 3.3.5", SYSCTL, IP_DOC],
        run: |ctx| {
            check(
                ctx,
                &[
                    ("net.ipv6.conf.all.accept_redirects", Rule::Eq(0)),
                    ("net.ipv6.conf.default.accept_redirects", Rule::Eq(0)),
                ],
            )
        },
    },
    CheckInfo {
        id: "PPC-NET-013",
        title: "No service listens on all addresses",
        area: Area::Network,
        severity: Severity::Low,
        rationale: "A service bound to 0.0.0.0 or :: is reachable on every interface, including ones added later \
                    and public ones; each should listen only where it is needed, behind the firewall.",
        remediation: "Bind each listed service to the addresses it serves (e.g. ListenAddress for sshd, \
                      listen_addresses for PostgreSQL) or remove it; review the list against the services the host \
                      is meant to offer.",
        references: &["CIS Debian 12 2.1.22", "ss(8)", "proc(5)"],
        run: listeners,
    },
];

const SOCKET_TABLES: [(&str, &str); 4] =
    [("/proc/net/tcp", "tcp"), ("/proc/net/tcp6", "tcp6"), ("/proc/net/udp", "udp"), ("/proc/net/udp6", "udp6")];
#[derive(Debug, PartialEq, Eq)]
struct Listener {
    proto: &'static str,
    port: u16,
    inode: u64,
}

/// Sockets bound to the wildcard address in one /proc/net table (read by the hardening
/// wizard's parser; a line it cannot read is skipped here).
fn wildcard_listeners(text: &str, proto: &'static str) -> Vec<Listener> {
    let protocol = if proto.starts_with("tcp") { parapet_harden::Protocol::Tcp } else { parapet_harden::Protocol::Udp };
    let (listeners, _) = parapet_harden::net::parse(text, protocol, proto.ends_with('6'));
    listeners
        .into_iter()
        .filter(|l| l.address.is_unspecified())
        .map(|l| Listener { proto, port: l.port.port, inode: l.inode })
        .collect()
}

/// The program owning each socket inode, from the /proc/<pid>/fd links of every process.
fn socket_owners(inodes: &[u64]) -> HashMap<u64, String> {
    parapet_harden::analyze::socket_owners(std::path::Path::new("/proc"), &inodes.iter().copied().collect())
}

fn listeners(ctx: &Context) -> Result<Outcome, String> {
    if !ctx.live() {
        return Ok(Outcome::na("needs the live host: listening sockets are not recorded in a root folder"));
    }
    let mut found = Vec::new();
    let mut read_any = false;
    for (path, proto) in SOCKET_TABLES {
        if let Some(text) = ctx.read_proc(path)? {
            read_any = true;
            found.extend(wildcard_listeners(&text, proto));
        }
    }
    if !read_any {
        return Ok(Outcome::na("no /proc/net socket tables"));
    }
    found.sort_by_key(|l| (l.proto, l.port));
    found.dedup_by_key(|l| (l.proto, l.port));
    let inodes: Vec<u64> = found.iter().map(|l| l.inode).collect();
    let owners = if found.is_empty() { HashMap::new() } else { socket_owners(&inodes) };
    let lines = found
        .iter()
        .map(|l| {
            let addr = if l.proto.ends_with('6') { format!("[::]:{}", l.port) } else { format!("0.0.0.0:{}", l.port) };
            let who = owners.get(&l.inode).map_or_else(|| format!("socket inode {}", l.inode), Clone::clone);
            format!("{} {addr}: {who}", l.proto)
        })
        .collect::<Vec<_>>();
    let total = lines.len();
    Ok(if lines.is_empty() {
        Outcome::pass(vec![
            "no TCP listener or UDP socket bound to 0.0.0.0 or :: (/proc/net/tcp, tcp6, udp, udp6)".into(),
        ])
    } else {
        Outcome::fail(capped(lines, total))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
                   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0\n\
                   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 2345 1 0 100 0 0 10 0\n\
                   2: 00000000:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3456 1 0 100 0 0 10 0\n";
        assert_eq!(wildcard_listeners(tcp, "tcp"), [Listener { proto: "tcp", port: 22, inode: 1234 }]);
        let udp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                    1: 00000000000000000000000000000000:0202 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0 0\n";
        assert_eq!(wildcard_listeners(udp6, "udp6"), [Listener { proto: "udp6", port: 514, inode: 99 }]);
    }
}
