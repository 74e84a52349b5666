//! The role knowledge base: `roles/*.toml`, embedded at build time and checked when read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The role files, one per role, in the repository's `roles/` folder.
const ROLE_FILES: &[(&str, &str)] = &[
    ("ssh", include_str!("../roles/ssh.toml")),
    ("web", include_str!("../roles/web.toml")),
    ("reverse-proxy", include_str!("../roles/reverse-proxy.toml")),
    ("postgresql", include_str!("../roles/postgresql.toml")),
    ("mysql", include_str!("../roles/mysql.toml")),
    ("smtp", include_str!("../roles/smtp.toml")),
    ("imap", include_str!("../roles/imap.toml")),
    ("dns", include_str!("../roles/dns.toml")),
    ("ntp", include_str!("../roles/ntp.toml")),
    ("nfs", include_str!("../roles/nfs.toml")),
    ("smb", include_str!("../roles/smb.toml")),
    ("container-host", include_str!("../roles/container-host.toml")),
    ("parapet-server", include_str!("../roles/parapet-server.toml")),
    ("parapet-agent", include_str!("../roles/parapet-agent.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub port: u16,
    pub protocol: Protocol,
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol.as_str())
    }
}

/// One role, as its file says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    pub title: String,
    pub description: String,
    /// The systemd units that provide it: any of them present means the role may be played.
    pub units: Vec<String>,
    /// Ports it listens on.
    pub ports: Vec<Port>,
    /// Reachable from the policy's admin networks only (SSH, databases, file shares).
    #[serde(default)]
    pub admin_only: bool,
    /// What it reaches out to, as `tcp:PORT`, `udp:PORT` or `tcp:any`.
    #[serde(default)]
    pub outbound: Vec<String>,
    #[serde(default)]
    pub sysctl: BTreeMap<String, String>,
    #[serde(default)]
    pub sshd: BTreeMap<String, String>,
}

/// The network services no role needs (`services.toml`).
const SERVICES_FILE: &str = include_str!("../services.toml");

/// A network service that no role needs, stopped unless a policy keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub unit: String,
    pub why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    service: Vec<Service>,
}

/// Every known role, by name, and the services no role needs.
#[derive(Debug, Clone)]
pub struct RoleBook {
    roles: BTreeMap<String, Role>,
    services: Vec<Service>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("roles/{file}.toml: {message}")]
pub struct RoleError {
    pub file: String,
    pub message: String,
}

impl RoleBook {
    /// The roles shipped with Parapet.
    pub fn builtin() -> RoleBook {
        let mut book =
            RoleBook::read(ROLE_FILES.iter().copied()).expect("the shipped role files are valid (a test reads them)");
        let services: ServicesFile = toml::from_str(SERVICES_FILE).expect("services.toml is valid (a test reads it)");
        book.services = services.service;
        book
    }

    /// Reads role files (name, TOML text); the file's name must be the role's.
    pub fn read<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<RoleBook, RoleError> {
        let mut roles = BTreeMap::new();
        for (file, text) in files {
            let error = |message: String| RoleError { file: file.to_owned(), message };
            let role: Role = toml::from_str(text).map_err(|e| error(e.message().to_owned()))?;
            if role.name != file {
                return Err(error(format!("names the role {:?}; a role file is named after its role", role.name)));
            }
            let mut seen = std::collections::BTreeSet::new();
            for port in &role.ports {
                if port.port == 0 || !seen.insert(*port) {
                    return Err(error(format!("port {port} is 0 or listed twice")));
                }
            }
            for need in &role.outbound {
                let valid = need.split_once(':').is_some_and(|(p, port)| {
                    matches!(p, "tcp" | "udp") && (port == "any" || port.parse::<u16>().is_ok_and(|n| n > 0))
                });
                if !valid {
                    return Err(error(format!("outbound {need:?} is not tcp:PORT, udp:PORT or tcp:any")));
                }
            }
            if role.units.iter().any(|u| !u.contains('.')) {
                return Err(error("a unit is named without its type (such as nginx.service)".into()));
            }
            roles.insert(role.name.clone(), role);
        }
        Ok(RoleBook { roles, services: Vec::new() })
    }

    /// The network services no role needs.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Every unit the book knows of: those roles provide, and the services no role needs.
    pub fn known_units(&self) -> std::collections::BTreeSet<&str> {
        let roles = self.roles.values().flat_map(|r| r.units.iter().map(String::as_str));
        roles.chain(self.services.iter().map(|s| s.unit.as_str())).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_roles_are_valid_and_named_after_their_files() {
        let book = RoleBook::read(ROLE_FILES.iter().copied()).unwrap();
        assert_eq!(book.names().count(), ROLE_FILES.len());
        let ssh = book.get("ssh").unwrap();
        assert!(ssh.admin_only);
        assert_eq!(ssh.ports, [Port { port: 22, protocol: Protocol::Tcp }]);
        assert_eq!(book.get("parapet-agent").unwrap().ports, []);
        let services = RoleBook::builtin();
        assert!(services.services().iter().any(|s| s.unit == "cups.service"));
        assert!(
            services.services().iter().all(|s| s.unit.contains('.') && !book.known_units().contains(s.unit.as_str()))
        );
        // Every role file in the folder is listed.
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("roles");
        let mut on_disk: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".toml").to_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = book.names().collect();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn bad_role_files_are_refused_naming_the_file() {
        for (file, text, message) in [
            (
                "web",
                "name = \"www\"\ntitle = \"t\"\ndescription = \"d\"\nunits = []\nports = []\n",
                "named after its role",
            ),
            (
                "web",
                "name = \"web\"\ntitle = \"t\"\ndescription = \"d\"\nunits = []\nports = [{ port = 80, protocol = \"tcp\" }, { port = 80, protocol = \"tcp\" }]\n",
                "80/tcp is 0 or listed twice",
            ),
            (
                "web",
                "name = \"web\"\ntitle = \"t\"\ndescription = \"d\"\nunits = []\nports = [{ port = 80, protocol = \"sctp\" }]\n",
                "sctp",
            ),
            (
                "web",
                "name = \"web\"\ntitle = \"t\"\ndescription = \"d\"\nunits = [\"nginx\"]\nports = []\n",
                "without its type",
            ),
            (
                "web",
                "name = \"web\"\ntitle = \"t\"\ndescription = \"d\"\nunits = []\nports = []\noutbound = [\"icmp:1\"]\n",
                "outbound \"icmp:1\"",
            ),
        ] {
            let error = RoleBook::read([(file, text)]).unwrap_err();
            assert!(error.to_string().starts_with("roles/web.toml: ") && error.message.contains(message), "{error}");
        }
    }
}
