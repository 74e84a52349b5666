//! The account databases (`/etc/passwd`, `/etc/group`, `/etc/shadow`), `/etc/login.defs` and
//! shell-variable files such as os-release.

use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Passwd {
    pub name: String,
    /// The password field: `x` when the password lives in /etc/shadow.
    pub password: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
    pub line: usize,
    /// The line as written, with a password hash (should one be there) masked.
    pub raw: String,
}

impl Passwd {
    pub fn evidence(&self) -> String {
        format!("/etc/passwd:{}: {}", self.line, self.raw)
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
    pub line: usize,
    pub raw: String,
}

impl Group {
    pub fn evidence(&self) -> String {
        format!("/etc/group:{}: {}", self.line, self.raw)
    }
}

/// One /etc/shadow entry. The hash is kept for classification only and never shown in evidence.
#[derive(Debug, Clone)]
pub struct Shadow {
    pub name: String,
    pub hash: String,
    /// Days since 1970-01-01 of the last password change; 0 forces a change at next login.
    pub last_change: Option<i64>,
    pub max_days: Option<i64>,
    pub line: usize,
}

impl Shadow {
    /// Whether the entry holds a usable password hash (not locked, not empty).
    pub fn has_password(&self) -> bool {
        !self.hash.is_empty() && !self.hash.starts_with('!') && !self.hash.starts_with('*')
    }
}

/// Data lines of an account database: `(line number, fields)`. NIS `+`/`-` lines are skipped.
fn records(text: &str) -> impl Iterator<Item = (usize, &str, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
            None
        } else {
            Some((i + 1, line, line.split(':').collect()))
        }
    })
}

/// The line with its second field replaced when it holds a hash rather than a placeholder, so
/// evidence never shows one.
fn masked(raw: &str, fields: &[&str]) -> String {
    match fields.get(1) {
        Some(p) if !matches!(*p, "x" | "*" | "!" | "!!" | "") => {
            let mut f = fields.to_vec();
            f[1] = "<hash>";
            f.join(":")
        }
        _ => raw.to_owned(),
    }
}

pub fn parse_passwd(text: &str) -> Vec<Passwd> {
    records(text)
        .filter_map(|(line, raw, f)| {
            if f.len() < 7 {
                return None;
            }
            Some(Passwd {
                name: f[0].to_owned(),
                password: f[1].to_owned(),
                uid: f[2].trim().parse().ok()?,
                gid: f[3].trim().parse().ok()?,
                home: f[5].to_owned(),
                shell: f[6].to_owned(),
                line,
                raw: masked(raw, &f),
            })
        })
        .collect()
}

pub fn parse_group(text: &str) -> Vec<Group> {
    records(text)
        .filter_map(|(line, raw, f)| {
            if f.len() < 4 {
                return None;
            }
            Some(Group {
                name: f[0].to_owned(),
                gid: f[2].trim().parse().ok()?,
                members: f[3].split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect(),
                line,
                raw: masked(raw, &f),
            })
        })
        .collect()
}

pub fn parse_shadow(text: &str) -> Vec<Shadow> {
    records(text)
        .filter_map(|(line, _, f)| {
            if f.len() < 2 {
                return None;
            }
            let num = |i: usize| f.get(i).and_then(|v| v.trim().parse::<i64>().ok());
            Some(Shadow { name: f[0].to_owned(), hash: f[1].to_owned(), last_change: num(2), max_days: num(4), line })
        })
        .collect()
}

/// A configuration value with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: String,
    pub line: usize,
}

pub type KeyValues = HashMap<String, Value>;

/// `KEY value` lines as in login.defs; a later line overrides an earlier one.
pub fn parse_login_defs(text: &str) -> KeyValues {
    let mut out = KeyValues::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(2, char::is_whitespace);
        let key = parts.next().unwrap_or_default();
        let value = parts.next().unwrap_or_default().trim();
        out.insert(key.to_owned(), Value { value: unquote(value).to_owned(), line: i + 1 });
    }
    out
}

/// `KEY=value` lines as in os-release, /etc/default/* and ufw.conf; quotes are removed.
pub fn parse_shell_vars(text: &str) -> KeyValues {
    let mut out = KeyValues::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        if let Some((key, value)) = line.split_once('=') {
            let value = value.split(" #").next().unwrap_or_default().trim();
            out.insert(key.trim().to_owned(), Value { value: unquote(value).to_owned(), line: i + 1 });
        }
    }
    out
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases() {
        let users = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# c\n+nis\nbad:x:y:0::/:/bin/sh\nbob:x:1000:1000:,,,:/home/bob:/bin/bash\n",
        );
        assert_eq!(users.len(), 2);
        assert_eq!((users[1].name.as_str(), users[1].uid, users[1].line), ("bob", 1000, 5));
        let hashed = parse_passwd("old:$1$salt$hash:0:0::/:/bin/sh\n");
        assert_eq!(hashed[0].evidence(), "/etc/passwd:1: old:<hash>:0:0::/:/bin/sh");
        let groups = parse_group("root:x:0:\nshadow:x:42:alice, bob\n");
        assert_eq!(groups[1].members, ["alice", "bob"]);
        let shadow = parse_shadow("root:*:19000:0:99999:7:::\nbob:$6$s$h:19500::90:::\nx::::\n");
        assert!(!shadow[0].has_password());
        assert_eq!((shadow[1].last_change, shadow[1].max_days), (Some(19500), Some(90)));
        assert!(shadow[2].hash.is_empty());
        let defs = parse_login_defs("PASS_MAX_DAYS\t99999\n#PASS_MAX_DAYS 1\nPASS_MAX_DAYS 90\n");
        assert_eq!(defs["PASS_MAX_DAYS"], Value { value: "90".into(), line: 3 });
        let vars = parse_shell_vars("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12\"\nENABLED=yes # on\n");
        assert_eq!(vars["PRETTY_NAME"].value, "Debian GNU/Linux 12");
        assert_eq!(vars["ENABLED"].value, "yes");
    }
}
