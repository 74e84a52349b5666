//! Which services start at boot, read from the files `systemctl enable` and `mask` write (no
//! systemd needed, so it works on a root folder): `*.wants/` and `*.requires/` links in the unit
//! folders, links to `/dev/null` in `/etc` and `/run`, and SysV `rc?.d/S*` links.

use std::collections::HashMap;

use crate::context::{Context, join};

const UNIT_DIRS: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];
/// Folders where a link to /dev/null masks a unit (the vendor folders cannot).
const MASK_DIRS: [&str; 2] = ["/etc/systemd/system", "/run/systemd/system"];
const RUNLEVELS: [&str; 4] = ["/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d"];

#[derive(Debug, Default)]
pub struct Units {
    wanted: HashMap<String, Vec<String>>,
    masked: HashMap<String, String>,
    sysv: HashMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enablement {
    /// Started at boot; the link that says so.
    Enabled(String),
    /// Masked; the link to /dev/null.
    Masked(String),
    Disabled,
}

impl Units {
    /// Whether any of `units` (a service and its aliases) or the SysV script `sysv` starts at boot.
    pub fn state(&self, units: &[&str], sysv: Option<&str>) -> Enablement {
        if let Some(link) = units.iter().find_map(|u| self.masked.get(*u)) {
            return Enablement::Masked(link.clone());
        }
        if let Some(links) = units.iter().find_map(|u| self.wanted.get(*u)) {
            return Enablement::Enabled(links[0].clone());
        }
        if let Some(link) = sysv.and_then(|s| self.sysv.get(s)) {
            return Enablement::Enabled(link.clone());
        }
        Enablement::Disabled
    }
}

pub fn load(ctx: &Context) -> Result<Units, String> {
    let mut units = Units::default();
    for dir in UNIT_DIRS {
        if dir.starts_with("/run") && !ctx.live() {
            continue;
        }
        for name in ctx.list_dir(dir)?.unwrap_or_default() {
            let path = join(dir, &name);
            if name.ends_with(".wants") || name.ends_with(".requires") {
                for unit in ctx.list_dir(&path)?.unwrap_or_default() {
                    units.wanted.entry(unit.clone()).or_default().push(join(&path, &unit));
                }
            } else if MASK_DIRS.contains(&dir) && ctx.read_link(&path)?.as_deref() == Some("/dev/null") {
                units.masked.entry(name).or_insert(format!("{path} -> /dev/null"));
            }
        }
    }
    for dir in RUNLEVELS {
        for name in ctx.list_dir(dir)?.unwrap_or_default() {
            if let Some(rest) = name.strip_prefix('S') {
                let script = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                units.sysv.entry(script.to_owned()).or_insert(join(dir, &name));
            }
        }
    }
    Ok(units)
}
