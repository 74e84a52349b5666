//! A hardening policy: the roles a host plays, the networks its admin-only services are reached
//! from, and anything else allowed in. Written by the wizard as TOML, kept in version control,
//! assigned to groups of hosts; checked against the role book before anything applies it.
//!
//! ```toml
//! version = 1
//! roles = ["web", "ssh"]
//! admin_networks = ["10.0.0.0/8", "fd00::/8"]
//! [[allow]]
//! port = 9100
//! protocol = "tcp"
//! from = ["10.1.2.3/32"]
//! ```

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::roles::{Port, Protocol, RoleBook};

/// Kernel settings every policy applies; a role may override them (a container host forwards).
const BASE_SYSCTL: &[(&str, &str)] = &[
    ("net.ipv4.ip_forward", "0"),
    ("net.ipv4.conf.all.accept_redirects", "0"),
    ("net.ipv4.conf.all.send_redirects", "0"),
    ("net.ipv4.conf.all.accept_source_route", "0"),
    ("net.ipv4.conf.all.log_martians", "1"),
    ("net.ipv4.icmp_echo_ignore_broadcasts", "1"),
    ("net.ipv6.conf.all.accept_redirects", "0"),
];

/// The policy format this version reads and writes.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_networks: Vec<IpNet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
    /// Units kept although no role names them (a monitoring agent, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_units: Vec<String>,
    /// What happens to the known network services no chosen role needs.
    #[serde(default, skip_serializing_if = "UnitAction::is_default")]
    pub unneeded_units: UnitAction,
}

/// Disabled units no longer start at boot; masked ones cannot be started at all, not even by
/// another unit or a socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitAction {
    #[default]
    Disable,
    Mask,
}

impl UnitAction {
    fn is_default(&self) -> bool {
        *self == UnitAction::Disable
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnitAction::Disable => "disable",
            UnitAction::Mask => "mask",
        }
    }
}

/// One more port let in: from anywhere, or from the networks given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    pub port: u16,
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<IpNet>,
}

/// A port the policy opens, from where (none: anywhere), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opening {
    pub port: Port,
    pub from: Option<Vec<IpNet>>,
    pub because: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// Reads and checks a policy file's text.
    pub fn read(text: &str, book: &RoleBook) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            // The line the error is on names the key, which the message alone may not.
            let at = e.span().map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count();
                let shown: String = text.lines().nth(line).unwrap_or("").trim().chars().take(80).collect();
                format!("line {} ({shown}): ", line + 1)
            });
            PolicyError(format!("not a policy: {}{}", at.unwrap_or_default(), e.message()))
        })?;
        policy.check(book)?;
        Ok(policy)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a policy serializes")
    }

    /// The SHA-256 of the policy in its canonical form ([`Policy::to_toml`]), lower-case hex:
    /// two texts that say the same (comments, order of keys) have one digest, which is how a
    /// server knows whether a host runs the policy it was given.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.to_toml().as_bytes()))
    }

    /// The units a host under this policy keeps: its roles' units, the kept ones, and the
    /// agent and the policy's own firewall unit, which must never stop themselves.
    pub fn needed_units<'a>(&'a self, book: &'a RoleBook) -> std::collections::BTreeSet<&'a str> {
        let roles =
            self.roles.iter().filter_map(|name| book.get(name)).flat_map(|r| r.units.iter().map(String::as_str));
        roles
            .chain(self.keep_units.iter().map(String::as_str))
            .chain(["parapet-agent.service", crate::host::BOOT_UNIT])
            .collect()
    }

    /// Kernel settings and sshd options of the chosen roles, merged (a later role wins).
    pub fn settings(&self, book: &RoleBook) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut sysctl: BTreeMap<String, String> =
            BASE_SYSCTL.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut sshd = BTreeMap::new();
        for role in self.roles.iter().filter_map(|name| book.get(name)) {
            sysctl.extend(role.sysctl.clone());
            sshd.extend(role.sshd.clone());
        }
        (sysctl, sshd)
    }

    /// The rules a policy keeps: a known version, known roles named once, admin networks for
    /// admin-only roles, each port opened once or with one scope.
    pub fn check(&self, book: &RoleBook) -> Result<(), PolicyError> {
        if self.version != VERSION {
            return Err(PolicyError(format!("version {} is not one this version reads ({VERSION})", self.version)));
        }
        if self.roles.is_empty() {
            return Err(PolicyError("the policy names no role: everything would be closed and stopped".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in &self.roles {
            let Some(role) = book.get(name) else {
                let known: Vec<&str> = book.names().collect();
                return Err(PolicyError(format!("unknown role {name:?}: known roles are {}", known.join(", "))));
            };
            if !seen.insert(name) {
                return Err(PolicyError(format!("role {name:?} is named twice")));
            }
            if role.admin_only && self.admin_networks.is_empty() {
                return Err(PolicyError(format!(
                    "role {name} is reached from the admin networks only: give admin_networks (such as 10.0.0.0/8)"
                )));
            }
        }
        for unit in &self.keep_units {
            if !unit.contains('.') || unit.contains('/') {
                return Err(PolicyError(format!(
                    "keep_units: {unit:?} is not a unit name (such as node-exporter.service)"
                )));
            }
        }
        self.openings(book).map(|_| ())
    }

    /// Every port the policy opens, sorted; a port opened twice (by two allow entries, or by a
    /// role and an entry) is refused, unless two roles open it alike (web and reverse-proxy
    /// both take 80 from anywhere).
    pub fn openings(&self, book: &RoleBook) -> Result<Vec<Opening>, PolicyError> {
        let mut openings: BTreeMap<Port, Opening> = BTreeMap::new();
        for name in &self.roles {
            let Some(role) = book.get(name) else { continue };
            let from = role.admin_only.then(|| self.admin_networks.clone());
            for port in &role.ports {
                match openings.get(port) {
                    Some(existing) if existing.from == from => {}
                    Some(existing) => {
                        return Err(PolicyError(format!(
                            "port {port} is opened by {} and by role {name} to different networks",
                            existing.because
                        )));
                    }
                    None => {
                        openings.insert(
                            *port,
                            Opening { port: *port, from: from.clone(), because: format!("role {name}") },
                        );
                    }
                }
            }
        }
        for allow in &self.allow {
            if allow.port == 0 {
                return Err(PolicyError("allow: port 0 is not a port".into()));
            }
            let port = Port { port: allow.port, protocol: allow.protocol };
            if let Some(existing) = openings.get(&port) {
                return Err(PolicyError(format!(
                    "port {port} is given twice: by {} and by an allow entry",
                    existing.because
                )));
            }
            let from = (!allow.from.is_empty()).then(|| allow.from.clone());
            openings.insert(port, Opening { port, from, because: "an allow entry".into() });
        }
        Ok(openings.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> RoleBook {
        RoleBook::builtin()
    }

    #[test]
    fn a_web_and_ssh_policy_opens_its_ports_to_the_right_networks() {
        let text = "version = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.0.0.0/8\", \"fd00::/8\"]\n\
                    [[allow]]\nport = 9100\nprotocol = \"tcp\"\nfrom = [\"10.1.2.3/32\"]\n";
        let policy = Policy::read(text, &book()).unwrap();
        let openings: Vec<String> = policy
            .openings(&book())
            .unwrap()
            .iter()
            .map(|o| {
                let from = o.from.as_ref().map_or("anywhere".to_owned(), |nets| {
                    nets.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
                });
                format!("{} from {from} ({})", o.port, o.because)
            })
            .collect();
        assert_eq!(
            openings,
            [
                "22/tcp from 10.0.0.0/8 fd00::/8 (role ssh)",
                "80/tcp from anywhere (role web)",
                "443/tcp from anywhere (role web)",
                "443/udp from anywhere (role web)",
                "9100/tcp from 10.1.2.3/32 (an allow entry)",
            ]
        );
        // Written and read back, it is the same policy.
        assert_eq!(Policy::read(&policy.to_toml(), &book()).unwrap(), policy);
        // Two roles opening a port alike are fine.
        assert!(Policy::read("version = 1\nroles = [\"web\", \"reverse-proxy\"]\n", &book()).is_ok());
    }

    #[test]
    fn bad_policies_are_refused_naming_what_is_wrong() {
        for (text, message) in [
            ("version = 2\nroles = [\"web\"]\n", "version 2"),
            ("version = 1\nroles = []\n", "names no role"),
            (
                "version = 1\nroles = [\"webserver\"]\n",
                "unknown role \"webserver\": known roles are container-host, dns,",
            ),
            ("version = 1\nroles = [\"web\", \"web\"]\n", "role \"web\" is named twice"),
            ("version = 1\nroles = [\"ssh\"]\n", "give admin_networks"),
            ("version = 1\nroles = [\"web\"]\nadmin_networks = [\"10.0.0.0/33\"]\n", "not a policy"),
            (
                "version = 1\nroles = [\"web\"]\n[[allow]]\nport = 80\nprotocol = \"tcp\"\n",
                "port 80/tcp is given twice: by role web and by an allow entry",
            ),
            (
                "version = 1\nroles = [\"web\"]\n[[allow]]\nport = 8080\nprotocol = \"tcp\"\n[[allow]]\nport = 8080\nprotocol = \"tcp\"\n",
                "port 8080/tcp is given twice: by an allow entry and by an allow entry",
            ),
            ("version = 1\nroles = [\"web\"]\n[[allow]]\nport = 0\nprotocol = \"tcp\"\n", "port 0"),
            ("version = 1\nroles = [\"web\"]\nkeep_units = [\"../x\"]\n", "not a unit name"),
            ("version = 1\nroles = [\"web\"]\nfirewall = \"off\"\n", "unknown field `firewall`"),
        ] {
            let error = Policy::read(text, &book()).unwrap_err();
            assert!(error.0.contains(message), "{text}\n→ {error}");
        }
    }
}
