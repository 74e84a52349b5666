//! How `/tmp` is mounted: configured by `/etc/fstab` or a `tmp.mount` unit, and on the live host
//! as mounted now (`/proc/self/mounts`).
//!
//! Precedence follows systemd: a unit in `/etc/systemd/system` beats the fstab generator, which
//! beats a vendor unit in `/usr/lib/systemd/system`; a link to /dev/null in /etc masks the unit.

use crate::context::Context;

const FSTAB: &str = "/etc/fstab";
const UNIT: &str = "tmp.mount";
const ETC_UNITS: &str = "/etc/systemd/system";
const VENDOR_UNITS: [&str; 2] = ["/usr/lib/systemd/system", "/lib/systemd/system"];

/// One way /tmp gets its own file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub fstype: String,
    pub options: Vec<String>,
    /// Where this comes from: `file:line: text`.
    pub evidence: String,
}

impl Mount {
    pub fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

#[derive(Debug, Default)]
pub struct TmpMount {
    /// The mount that decides: the live one on the running host, else the configured one.
    pub mount: Option<Mount>,
    /// Other facts worth showing: the configuration next to a live mount, a masked unit.
    pub notes: Vec<String>,
}

pub fn load_tmp(ctx: &Context) -> Result<TmpMount, String> {
    let mut out = TmpMount::default();
    let configured = configured(ctx, &mut out.notes)?;
    if ctx.live() {
        let live = match ctx.read_proc("/proc/self/mounts")? {
            Some(text) => parse_proc_mounts(&text),
            None => None,
        };
        match (&live, &configured) {
            (Some(_), Some(c)) => out.notes.push(format!("configured: {}", c.evidence)),
            (None, Some(c)) => out.notes.push(format!("configured but not mounted now: {}", c.evidence)),
            _ => {}
        }
        out.mount = live;
    } else {
        out.mount = configured;
    }
    Ok(out)
}

fn configured(ctx: &Context, notes: &mut Vec<String>) -> Result<Option<Mount>, String> {
    let etc_unit = format!("{ETC_UNITS}/{UNIT}");
    if ctx.read_link(&etc_unit)?.as_deref() == Some("/dev/null") {
        notes.push(format!("{etc_unit} is masked (links to /dev/null)"));
        return match ctx.read(FSTAB)? {
            Some(text) => Ok(parse_fstab(FSTAB, &text)),
            None => Ok(None),
        };
    }
    if let Some(text) = ctx.read(&etc_unit)? {
        return Ok(Some(parse_unit(ctx, &etc_unit, &text)?));
    }
    if let Some(text) = ctx.read(FSTAB)?
        && let Some(m) = parse_fstab(FSTAB, &text)
    {
        return Ok(Some(m));
    }
    for dir in VENDOR_UNITS {
        let path = format!("{dir}/{UNIT}");
        if let Some(text) = ctx.read(&path)? {
            return Ok(Some(parse_unit(ctx, &path, &text)?));
        }
    }
    Ok(None)
}

/// The last fstab entry for /tmp (a later one mounts over an earlier one).
fn parse_fstab(file: &str, text: &str) -> Option<Mount> {
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 3 && unescape(f[1]).trim_end_matches('/') == "/tmp" {
            found = Some(Mount {
                fstype: f[2].to_owned(),
                options: options(f.get(3).copied().unwrap_or("defaults")),
                evidence: format!("{file}:{}: {line}", i + 1),
            });
        }
    }
    found
}

/// A mount unit's `[Mount]` section, with drop-ins from `/etc/systemd/system/tmp.mount.d`.
fn parse_unit(ctx: &Context, path: &str, text: &str) -> Result<Mount, String> {
    let mut m =
        Mount { fstype: String::new(), options: Vec::new(), evidence: format!("{path}: [Mount] without Options=") };
    let mut apply = |file: &str, text: &str| {
        let mut in_mount = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.starts_with('[') {
                in_mount = line == "[Mount]";
            } else if in_mount && let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "Type" => m.fstype = v.trim().to_owned(),
                    "Options" => {
                        m.options = options(&v.trim().replace("%%", "%"));
                        m.evidence = format!("{file}:{}: {line}", i + 1);
                    }
                    _ => {}
                }
            }
        }
    };
    apply(path, text);
    for dropin in ctx.files_in(&format!("{ETC_UNITS}/{UNIT}.d"), "*.conf")? {
        if let Some(text) = ctx.read(&dropin)? {
            apply(&dropin, &text);
        }
    }
    Ok(m)
}

fn parse_proc_mounts(text: &str) -> Option<Mount> {
    let mut found = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 4 && unescape(f[1]) == "/tmp" {
            found = Some(Mount {
                fstype: f[2].to_owned(),
                options: options(f[3]),
                evidence: format!("/proc/self/mounts: {line} (mounted now)"),
            });
        }
    }
    found
}

fn options(s: &str) -> Vec<String> {
    s.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect()
}

/// fstab and /proc/self/mounts write a space in a path as `\040`.
fn unescape(s: &str) -> String {
    s.replace("\\040", " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstab_and_proc() {
        let m =
            parse_fstab("/etc/fstab", "# c\nUUID=1 / ext4 defaults 0 1\ntmpfs /tmp/ tmpfs nosuid,nodev 0 0\n").unwrap();
        assert_eq!((m.fstype.as_str(), m.has("nodev"), m.has("noexec")), ("tmpfs", true, false));
        assert_eq!(m.evidence, "/etc/fstab:3: tmpfs /tmp/ tmpfs nosuid,nodev 0 0");
        assert!(parse_fstab("/etc/fstab", "#tmpfs /tmp tmpfs defaults 0 0\n").is_none());
        let p = parse_proc_mounts("/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n").unwrap();
        assert!(p.has("noexec"));
    }
}
