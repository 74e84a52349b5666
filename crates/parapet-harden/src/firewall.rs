//! The firewall a policy implies: one nftables table of Parapet's own, `inet parapet_harden`,
//! whose input chain drops what the policy does not open. Other tables are left alone: a packet
//! must be accepted by every base chain on the input hook, so ours denies by default whatever
//! else is loaded.

use std::fmt::Write;

use ipnet::IpNet;

use crate::policy::Opening;
use crate::roles::Protocol;

/// The table's family and name, as `nft` spells them.
pub const TABLE: &str = "inet parapet_harden";

/// The table's definition in nft's language, for `nft -f`: loopback, established and related
/// traffic and ICMP (which IPv6 needs for neighbour discovery and both for path MTU) let in, then
/// each opening, then the chain's policy drops the rest, over IPv4 and IPv6 alike.
pub fn render(openings: &[Opening]) -> String {
    let mut rules = vec![
        "iif \"lo\" accept".to_owned(),
        "ct state established,related accept".to_owned(),
        "ct state invalid drop".to_owned(),
        "meta l4proto icmp accept".to_owned(),
        "meta l4proto ipv6-icmp accept".to_owned(),
    ];
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        let open: Vec<String> = openings
            .iter()
            .filter(|o| o.port.protocol == protocol && o.from.is_none())
            .map(|o| o.port.port.to_string())
            .collect();
        match open.as_slice() {
            [] => {}
            [one] => rules.push(format!("{} dport {one} accept", protocol.as_str())),
            many => rules.push(format!("{} dport {{ {} }} accept", protocol.as_str(), many.join(", "))),
        }
    }
    for opening in openings {
        let Some(networks) = &opening.from else { continue };
        let (v4, v6): (Vec<&IpNet>, Vec<&IpNet>) = networks.iter().partition(|n| matches!(n, IpNet::V4(_)));
        for (family, nets) in [("ip", v4), ("ip6", v6)] {
            if nets.is_empty() {
                continue;
            }
            let nets: Vec<String> = nets.iter().map(|n| n.trunc().to_string()).collect();
            let source = if nets.len() == 1 { nets[0].clone() } else { format!("{{ {} }}", nets.join(", ")) };
            rules.push(format!(
                "{family} saddr {source} {} dport {} accept",
                opening.port.protocol.as_str(),
                opening.port.port
            ));
        }
    }
    let mut text =
        format!("table {TABLE} {{\n\tchain input {{\n\t\ttype filter hook input priority filter; policy drop;\n");
    for rule in rules {
        let _ = writeln!(text, "\t\t{rule}");
    }
    text.push_str("\t}\n}\n");
    text
}

/// The script that replaces the table in one transaction: declaring it first makes the delete
/// valid when it does not exist yet.
pub fn replace_script(table: &str) -> String {
    format!("table {TABLE}\ndelete table {TABLE}\n{table}")
}

/// The script that puts back a whole ruleset as `nft list ruleset` printed it.
pub fn restore_script(ruleset: &str) -> String {
    format!("flush ruleset\n{ruleset}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, RoleBook};

    #[test]
    fn a_web_and_ssh_policy_renders_one_default_deny_table() {
        let book = RoleBook::builtin();
        let policy = Policy::read(
            "version = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.0.0.0/8\", \"192.168.1.7/24\", \"fd00::/8\"]\n\
             [[allow]]\nport = 9100\nprotocol = \"tcp\"\nfrom = [\"10.1.2.3/32\"]\n\
             [[allow]]\nport = 51820\nprotocol = \"udp\"\n",
            &book,
        )
        .unwrap();
        let expected = "table inet parapet_harden {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tiif \"lo\" accept
\t\tct state established,related accept
\t\tct state invalid drop
\t\tmeta l4proto icmp accept
\t\tmeta l4proto ipv6-icmp accept
\t\ttcp dport { 80, 443 } accept
\t\tudp dport { 443, 51820 } accept
\t\tip saddr { 10.0.0.0/8, 192.168.1.0/24 } tcp dport 22 accept
\t\tip6 saddr fd00::/8 tcp dport 22 accept
\t\tip saddr 10.1.2.3/32 tcp dport 9100 accept
\t}
}
";
        assert_eq!(render(&policy.openings(&book).unwrap()), expected);
    }
}
