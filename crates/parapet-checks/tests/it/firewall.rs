//! Firewall checks: nftables, iptables-persistent and ufw as configured on disk.

use parapet_checks::Status::{Fail, NotApplicable as Na, Pass};

use crate::fixture::{Case, Fixture, case, check};

/// Debian's shipped /etc/nftables.conf: an input chain without a policy, so accept.
const DEBIAN_NFT: &str = "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter;\n\t}\n\tchain output {\n\t\ttype filter hook output priority filter;\n\t}\n}\n";

const HARDENED_NFT: &str = "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority filter; policy drop;\n    ct state established,related accept\n    iif lo accept\n    tcp dport 22 accept\n  }\n}\n";

fn nftables(f: &Fixture, conf: &str) {
    f.install(&["nftables"]);
    f.write("/etc/nftables.conf", conf);
    f.symlink("/etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service");
}

fn ufw(f: &Fixture, enabled: &str, policy: &str) {
    f.install(&["ufw"]);
    f.write("/etc/ufw/ufw.conf", &format!("# ufw.conf\nENABLED={enabled}\nLOGLEVEL=low\n"));
    f.write(
        "/etc/default/ufw",
        &format!("IPV6=yes\nDEFAULT_INPUT_POLICY=\"{policy}\"\nDEFAULT_OUTPUT_POLICY=\"ACCEPT\"\n"),
    );
}

/// An SSH-only policy applied to the fixture with `parapet harden`'s own apply (the firewall of
/// a root folder is written, not loaded).
fn hardened(f: &Fixture) {
    use parapet_harden::{ApplyOptions, Host, Policy, RoleBook, SystemClock, apply::apply};
    let book = RoleBook::builtin();
    let policy = Policy::read("version = 1\nroles = [\"ssh\"]\nadmin_networks = [\"10.0.0.0/8\"]\n", &book).unwrap();
    apply(&Host::new(&f.root(), Some(false)), &book, &policy, &ApplyOptions::default(), &SystemClock).unwrap();
}

pub const CASES: &[Case] = &[
    case("PPC-FW-001", Fail, "nftables: nftables is not installed", |_| {}),
    case(
        "PPC-FW-001",
        Pass,
        "nftables: /etc/nftables.conf:4: chain input in table inet filter: hook input, policy drop",
        |f| {
            nftables(f, HARDENED_NFT);
        },
    ),
    case(
        "PPC-FW-001",
        Fail,
        "nftables: /etc/nftables.conf:6: chain input in table inet filter: hook input, policy accept",
        |f| {
            nftables(f, DEBIAN_NFT);
        },
    ),
    case("PPC-FW-001", Fail, "nftables: default-deny rules exist but are not loaded at boot", |f| {
        f.install(&["nftables"]);
        f.write("/etc/nftables.conf", HARDENED_NFT);
    }),
    case(
        "PPC-FW-001",
        Pass,
        "nftables: /etc/nftables.d/input.nft:2: chain inbound in table inet fw: hook input, policy drop",
        |f| {
            nftables(f, "flush ruleset\ninclude \"/etc/nftables.d/*.nft\"\n");
            f.write(
                "/etc/nftables.d/input.nft",
                "table inet fw {\n  chain inbound {\n    type filter hook input priority 0\n    policy drop\n  }\n}\n",
            );
        },
    ),
    // An ip6-only drop chain leaves IPv4 open.
    case("PPC-FW-001", Fail, "chain in in table ip6 f6: hook input, policy drop", |f| {
        nftables(f, "table ip6 f6 { chain in { type filter hook input priority 0; policy drop; } }\n");
    }),
    case("PPC-FW-001", Pass, "ufw: /etc/default/ufw:2: DEFAULT_INPUT_POLICY=\"DROP\"", |f| {
        ufw(f, "yes", "DROP");
    }),
    case("PPC-FW-001", Fail, "ufw: /etc/ufw/ufw.conf:2: ENABLED=no", |f| {
        ufw(f, "no", "DROP");
    }),
    case("PPC-FW-001", Fail, "ufw: /etc/default/ufw:2: DEFAULT_INPUT_POLICY=\"ACCEPT\"", |f| {
        ufw(f, "yes", "ACCEPT");
    }),
    case("PPC-FW-001", Pass, "iptables-persistent: /etc/iptables/rules.v4:2: filter table INPUT policy DROP", |f| {
        f.install(&["iptables-persistent", "netfilter-persistent"]);
        f.write(
            "/etc/iptables/rules.v4",
            "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n",
        );
        f.enable("netfilter-persistent.service");
    }),
    case("PPC-FW-001", Fail, "iptables-persistent: /etc/iptables/rules.v4:2: filter table INPUT policy ACCEPT", |f| {
        f.install(&["iptables-persistent", "netfilter-persistent"]);
        f.write("/etc/iptables/rules.v4", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n");
        f.enable("netfilter-persistent.service");
    }),
    // Removed but not purged: the conffiles remain, the firewall does not.
    case("PPC-FW-001", Fail, "ufw: ufw is not installed", |f| {
        f.write("/etc/ufw/ufw.conf", "ENABLED=yes\n");
        f.write("/etc/default/ufw", "DEFAULT_INPUT_POLICY=\"DROP\"\n");
    }),
    case("PPC-FW-002", Fail, "no firewall tool loads rules at boot", |_| {}),
    case("PPC-FW-002", Pass, "in use: nftables", |f| {
        nftables(f, HARDENED_NFT);
    }),
    case("PPC-FW-002", Fail, "in use: nftables, ufw", |f| {
        nftables(f, HARDENED_NFT);
        ufw(f, "yes", "DROP");
    }),
    case("PPC-FW-002", Pass, "in use: ufw", |f| {
        f.install(&["nftables"]);
        f.write("/etc/nftables.conf", HARDENED_NFT);
        f.symlink("/etc/systemd/system/nftables.service", "/dev/null");
        f.symlink("/etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service");
        ufw(f, "yes", "DROP");
    }),
    case("PPC-FW-003", Na, "no security configuration policy was applied here", |_| {}),
    case("PPC-FW-003", Pass, "(roles: ssh) holds: no drift (the firewall of a root folder is not read)", hardened),
    case(
        "PPC-FW-003",
        Fail,
        "drift: file /etc/sysctl.d/90-parapet-harden.conf: the policy says as the policy writes it, found changed",
        |f| {
            hardened(f);
            f.write("/etc/sysctl.d/90-parapet-harden.conf", "net.ipv4.ip_forward = 1\n");
        },
    ),
    case("PPC-FW-003", Fail, "drift: file /etc/parapet/harden.nft", |f| {
        hardened(f);
        f.remove("/etc/parapet/harden.nft");
    }),
];

#[test]
fn cases() {
    check(CASES);
}
