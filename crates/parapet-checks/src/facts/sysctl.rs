//! Configured kernel parameters, read as systemd-sysctl and `sysctl --system` apply them at boot.
//!
//! Files named `*.conf` come from `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`,
//! `/usr/lib/sysctl.d` and `/lib/sysctl.d`; a name in an earlier folder hides the same name in a
//! later one (so `/etc` overrides `/usr/lib`, and a link to `/dev/null` masks it). The files are
//! applied in order of their names, then `/etc/sysctl.conf`; a later assignment overrides an
//! earlier one. An exact key beats a glob (`net.ipv4.conf.*.rp_filter`) wherever they are.

use std::collections::HashMap;

use super::glob;
use crate::context::{Context, join};

const DIRS: [&str; 5] =
    ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"];
const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// One assignment: the value and where it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub key: String,
    pub value: String,
    pub file: String,
    pub line: usize,
}

impl Assignment {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

#[derive(Debug, Default)]
pub struct SysctlConfig {
    exact: HashMap<String, Assignment>,
    globs: Vec<Assignment>,
    /// Files read, in the order applied.
    pub files: Vec<String>,
}

impl SysctlConfig {
    /// The configured value of `key` (dotted form), if any file sets it.
    pub fn get(&self, key: &str) -> Option<&Assignment> {
        self.exact.get(key).or_else(|| self.globs.iter().rev().find(|a| glob::matches(&a.key, key)))
    }

    fn apply(&mut self, file: &str, text: &str) {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else { continue };
            let key = normalize(key.trim().trim_start_matches('-'));
            let a = Assignment { key: key.clone(), value: value.trim().to_owned(), file: file.to_owned(), line: i + 1 };
            if glob::has_magic(&key) {
                self.globs.push(a);
            } else {
                self.exact.insert(key, a);
            }
        }
    }
}

/// Keys may be written with `/` separators, in which case `.` is part of a name (a VLAN
/// interface such as `eth0.100`); the dotted form swaps the two.
pub fn normalize(key: &str) -> String {
    let first = key.find(['.', '/']);
    if first.is_some_and(|i| key.as_bytes()[i] == b'/') {
        key.chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect()
    } else {
        key.to_owned()
    }
}

pub fn load(ctx: &Context) -> Result<SysctlConfig, String> {
    let mut by_name: HashMap<String, String> = HashMap::new();
    for dir in DIRS {
        for name in ctx.list_dir(dir)?.unwrap_or_default() {
            if name.ends_with(".conf") && !by_name.contains_key(&name) {
                by_name.insert(name.clone(), join(dir, &name));
            }
        }
    }
    let mut names: Vec<&String> = by_name.keys().collect();
    names.sort();
    let mut cfg = SysctlConfig::default();
    let mut read_main = false;
    for name in names {
        let path = &by_name[name];
        if let Some(link) = ctx.read_link(path)? {
            if link == "/dev/null" {
                continue;
            }
            // Debian links /etc/sysctl.d/99-sysctl.conf to ../sysctl.conf; apply it once, here.
            if ctx.same_file(path, SYSCTL_CONF)? {
                read_main = true;
                if let Some(text) = ctx.read(SYSCTL_CONF)? {
                    cfg.files.push(SYSCTL_CONF.to_owned());
                    cfg.apply(SYSCTL_CONF, &text);
                }
                continue;
            }
        }
        if let Some(text) = ctx.read(path)? {
            cfg.files.push(path.clone());
            cfg.apply(path, &text);
        }
    }
    if !read_main && let Some(text) = ctx.read(SYSCTL_CONF)? {
        cfg.files.push(SYSCTL_CONF.to_owned());
        cfg.apply(SYSCTL_CONF, &text);
    }
    Ok(cfg)
}

/// The path of `key` under /proc/sys on the running host.
pub fn proc_path(key: &str) -> String {
    let mut out = String::from("/proc/sys/");
    out.extend(key.chars().map(|c| match c {
        '.' => '/',
        '/' => '.',
        c => c,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_precedence() {
        assert_eq!(normalize("net/ipv4/conf/eth0.100/rp_filter"), "net.ipv4.conf.eth0/100.rp_filter");
        assert_eq!(normalize("kernel.kptr_restrict"), "kernel.kptr_restrict");
        assert_eq!(proc_path("net.ipv4.conf.eth0/100.rp_filter"), "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
        let mut cfg = SysctlConfig::default();
        cfg.apply("/etc/sysctl.d/10.conf", "net.ipv4.conf.all.rp_filter = 1\n-net.ipv4.conf.*.rp_filter=2\n; c\n");
        cfg.apply("/etc/sysctl.d/20.conf", "kernel/kptr_restrict=1\nnet.ipv4.conf.*.rp_filter = 0\n");
        assert_eq!(cfg.get("kernel.kptr_restrict").unwrap().location(), "/etc/sysctl.d/20.conf:1");
        assert_eq!(cfg.get("net.ipv4.conf.all.rp_filter").unwrap().value, "1");
        assert_eq!(cfg.get("net.ipv4.conf.default.rp_filter").unwrap().value, "0");
        assert!(cfg.get("fs.suid_dumpable").is_none());
    }
}
