//! What a host runs and exposes now, which roles that suggests, and what is exposed beyond them:
//! the wizard's starting point, and `parapet harden analyze`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use crate::host::{Host, HostError};
use crate::net::{self, Listener};
use crate::roles::{Port, Protocol, RoleBook};

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub listeners: Vec<Exposure>,
    /// The known units present on the host (role units and services no role needs).
    pub units: Vec<UnitUse>,
    pub firewall: Firewall,
    pub suggested_roles: Vec<Suggestion>,
    /// Listeners reachable from the network and known services enabled that no suggested role
    /// explains.
    pub beyond_roles: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    #[serde(flatten)]
    pub listener: Listener,
    pub reachable: bool,
    pub program: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitUse {
    pub unit: String,
    pub state: String,
    /// `None` when systemd does not run this host (a root folder).
    pub running: Option<bool>,
    pub role: Option<String>,
    pub unneeded: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Firewall {
    /// Read from the kernel (`nft -j list ruleset`); false for a root folder or without nft.
    pub read: bool,
    pub tables: Vec<String>,
    /// Base chains on the input hook: `inet filter input (policy accept)`.
    pub input_chains: Vec<String>,
    pub parapet_table: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub role: String,
    pub title: String,
    pub because: Vec<String>,
}

/// Reads the host: its socket tables (`ROOT/proc/net`), unit files, running units and ruleset.
pub fn analyze(host: &Host, book: &RoleBook) -> Result<Analysis, HostError> {
    let mut problems = Vec::new();
    let proc = host.root.join("proc");
    let mut listeners = Vec::new();
    let mut read_any = false;
    for (file, protocol, v6) in [
        ("tcp", Protocol::Tcp, false),
        ("tcp6", Protocol::Tcp, true),
        ("udp", Protocol::Udp, false),
        ("udp6", Protocol::Udp, true),
    ] {
        match std::fs::read_to_string(proc.join("net").join(file)) {
            Ok(text) => {
                read_any = true;
                let (found, bad) = net::parse(&text, protocol, v6);
                listeners.extend(found);
                problems.extend(bad.into_iter().map(|b| format!("/proc/net/{file}: {b}")));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("/proc/net/{file}: {e}")),
        }
    }
    if !read_any {
        problems.push(format!("no socket tables under {}: listening sockets unknown", proc.join("net").display()));
    }
    listeners.sort();
    listeners.dedup_by(|a, b| a.port == b.port && a.address == b.address);
    let owners = socket_owners(&proc, &listeners.iter().map(|l| l.inode).collect());

    let unit_files = host.known_unit_files(book)?;
    let running = host.running_units()?;
    let firewall = if host.live_firewall { read_firewall(host, &mut problems) } else { Firewall::default() };

    let mut role_of_unit: BTreeMap<&str, &str> = BTreeMap::new();
    let mut role_of_port: BTreeMap<Port, Vec<&str>> = BTreeMap::new();
    for role in book.roles() {
        for unit in &role.units {
            role_of_unit.entry(unit).or_insert(&role.name);
        }
        for port in &role.ports {
            role_of_port.entry(*port).or_default().push(&role.name);
        }
    }
    let unneeded: BTreeMap<&str, &str> = book.services().iter().map(|s| (s.unit.as_str(), s.why.as_str())).collect();

    let mut because: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut units = Vec::new();
    for unit in book.known_units() {
        let Some(state) = unit_files.get(unit) else { continue };
        let is_running = running.as_ref().map(|r| r.iter().any(|u| u == unit));
        let role = role_of_unit.get(unit).copied();
        if let Some(role) = role
            && (state.starts_with("enabled") || is_running == Some(true))
        {
            because
                .entry(role)
                .or_default()
                .push(format!("{unit} is {}", if is_running == Some(true) { "running" } else { state }));
        }
        units.push(UnitUse {
            unit: unit.to_owned(),
            state: state.clone(),
            running: is_running,
            role: role.map(str::to_owned),
            unneeded: unneeded.get(unit).map(|w| (*w).to_owned()),
        });
    }
    for listener in listeners.iter().filter(|l| !l.is_loopback()) {
        if let Some(roles) = role_of_port.get(&listener.port) {
            // A port two roles share (80 for web and reverse-proxy) suggests the one its units
            // already suggest, else the first.
            let role = roles.iter().find(|r| because.contains_key(*r)).unwrap_or(&roles[0]);
            because.entry(role).or_default().push(format!("listening on {}", listener.port));
        }
    }
    let suggested: BTreeSet<&str> = because.keys().copied().collect();
    let mut beyond = Vec::new();
    let exposures: Vec<Exposure> = listeners
        .into_iter()
        .map(|listener| {
            let role = role_of_port
                .get(&listener.port)
                .and_then(|roles| roles.iter().find(|r| suggested.contains(*r)).or(roles.first()))
                .map(|r| (*r).to_owned());
            let program = owners.get(&listener.inode).cloned();
            let reachable = !listener.is_loopback();
            if reachable && role.as_deref().is_none_or(|r| !suggested.contains(r)) {
                let who = program.as_deref().map_or(String::new(), |p| format!(" ({p})"));
                beyond.push(format!(
                    "{} on {} is reachable from the network{who}, and no role needs it",
                    listener.port, listener.address
                ));
            }
            Exposure { listener, reachable, program, role }
        })
        .collect();
    for unit in &units {
        if let Some(why) = &unit.unneeded
            && unit.state.starts_with("enabled")
        {
            beyond.push(format!("{} is enabled: {why}", unit.unit));
        }
    }
    let suggested_roles = because
        .into_iter()
        .map(|(role, mut because)| {
            because.dedup();
            Suggestion {
                role: role.to_owned(),
                title: book.get(role).map(|r| r.title.clone()).unwrap_or_default(),
                because,
            }
        })
        .collect();
    Ok(Analysis { listeners: exposures, units, firewall, suggested_roles, beyond_roles: beyond, problems })
}

fn read_firewall(host: &Host, problems: &mut Vec<String>) -> Firewall {
    let json = match host.nft(&["-j", "list", "ruleset"], None) {
        Ok(json) => json,
        Err(e) => {
            problems.push(format!("firewall not read: {e}"));
            return Firewall::default();
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&json) {
        Ok(value) => value,
        Err(e) => {
            problems.push(format!("firewall not read: nft -j printed no JSON ({e})"));
            return Firewall::default();
        }
    };
    let mut firewall = Firewall { read: true, ..Firewall::default() };
    let items = value.get("nftables").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    for item in &items {
        if let Some(table) = item.get("table") {
            let name = format!("{} {}", text(table, "family"), text(table, "name"));
            firewall.parapet_table |= name == crate::firewall::TABLE;
            firewall.tables.push(name);
        }
        if let Some(chain) = item.get("chain")
            && text(chain, "hook") == "input"
        {
            firewall.input_chains.push(format!(
                "{} {} {} (policy {})",
                text(chain, "family"),
                text(chain, "table"),
                text(chain, "name"),
                text(chain, "policy")
            ));
        }
    }
    firewall
}

/// The program owning each socket inode, from the `/proc/PID/fd` links of every process.
pub fn socket_owners(proc: &Path, inodes: &BTreeSet<u64>) -> HashMap<u64, String> {
    let mut owners = HashMap::new();
    if inodes.is_empty() {
        return owners;
    }
    let Ok(processes) = std::fs::read_dir(proc) else { return owners };
    for process in processes.flatten() {
        let pid = process.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else { continue };
            let link = link.to_string_lossy();
            let Some(inode) = link.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) else { continue };
            let Ok(inode) = inode.parse::<u64>() else { continue };
            if inodes.contains(&inode) && !owners.contains_key(&inode) {
                let comm = std::fs::read_to_string(process.path().join("comm")).unwrap_or_default();
                owners.insert(inode, format!("{} (pid {pid})", comm.trim()));
            }
        }
    }
    owners
}
