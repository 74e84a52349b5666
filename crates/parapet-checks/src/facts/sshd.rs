//! The effective global configuration of the OpenSSH server, as `sshd -T` without `-C` sees it.
//!
//! sshd reads `/etc/ssh/sshd_config`, expanding `Include` (globs, sorted; relative paths are
//! under `/etc/ssh`) where it appears. For most keywords the first value read wins. Lines after
//! a `Match` apply only to matching connections, so they never set the global value; the block
//! runs to the next `Match` or the end of the file it is in (an included file's block ends with
//! that file). `Match all` matches every connection, including sshd's own global evaluation, so
//! its lines do count; an `Include` inside a conditional block is conditional as a whole.

use std::collections::HashMap;

use crate::context::Context;

pub const MAIN: &str = "/etc/ssh/sshd_config";
const SSH_DIR: &str = "/etc/ssh";
/// sshd's limit on nested `Include`s.
const MAX_DEPTH: usize = 16;

/// One keyword line that set a global value.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: String,
    pub file: String,
    pub line: usize,
    pub text: String,
}

impl Setting {
    pub fn evidence(&self) -> String {
        format!("{}:{}: {}", self.file, self.line, self.text)
    }
}

#[derive(Debug, Default)]
pub struct SshdConfig {
    first: HashMap<String, Setting>,
    every: HashMap<String, Vec<Setting>>,
    /// Every configuration file read, the main one first.
    pub files: Vec<String>,
    pub main_missing: bool,
}

impl SshdConfig {
    /// The global value of `keyword` (case-insensitive): the first one read.
    pub fn get(&self, keyword: &str) -> Option<&Setting> {
        self.first.get(&keyword.to_ascii_lowercase())
    }

    /// Every global occurrence, for keywords that accumulate (`HostKey`).
    pub fn all(&self, keyword: &str) -> &[Setting] {
        self.every.get(&keyword.to_ascii_lowercase()).map_or(&[], Vec::as_slice)
    }

    /// The effective value (lower-cased) and the evidence for it, `default` when it is not set.
    pub fn value(&self, keyword: &str, default: &str) -> (String, String) {
        match self.get(keyword) {
            Some(s) => (s.value.to_ascii_lowercase(), s.evidence()),
            None => (default.to_ascii_lowercase(), self.default_evidence(keyword, default)),
        }
    }

    pub fn default_evidence(&self, keyword: &str, default: &str) -> String {
        if self.main_missing {
            format!("{keyword} {default} (sshd default: {MAIN} does not exist)")
        } else {
            format!("{keyword} {default} (sshd default: not set globally in {MAIN} or its includes)")
        }
    }
}

/// The effective configuration, `None` when no OpenSSH server is installed.
pub fn load(ctx: &Context) -> Result<Option<SshdConfig>, String> {
    let installed =
        ctx.installed("openssh-server")? == Some(true) || ctx.exists("/usr/sbin/sshd")? || ctx.exists("/sbin/sshd")?;
    if !installed {
        return Ok(None);
    }
    let mut cfg = SshdConfig::default();
    match ctx.read(MAIN)? {
        Some(text) => parse_file(ctx, MAIN, &text, 0, &mut cfg)?,
        None => cfg.main_missing = true,
    }
    Ok(Some(cfg))
}

fn parse_file(ctx: &Context, path: &str, text: &str, depth: usize, cfg: &mut SshdConfig) -> Result<(), String> {
    cfg.files.push(path.to_owned());
    let mut global = true;
    for (i, raw) in text.lines().enumerate() {
        let Some((keyword, args)) = split_line(raw) else { continue };
        let keyword = keyword.to_ascii_lowercase();
        match keyword.as_str() {
            "match" => global = args.len() == 1 && args[0].eq_ignore_ascii_case("all"),
            "include" if global => {
                if depth >= MAX_DEPTH {
                    return Err(format!("{path}:{}: Include nested more than {MAX_DEPTH} levels", i + 1));
                }
                for arg in &args {
                    let pattern = if arg.starts_with('/') { arg.clone() } else { format!("{SSH_DIR}/{arg}") };
                    for file in ctx.glob(&pattern)? {
                        if let Some(text) = ctx.read(&file)? {
                            parse_file(ctx, &file, &text, depth + 1, cfg)?;
                        }
                    }
                }
            }
            _ if global => {
                let setting =
                    Setting { value: args.join(" "), file: path.to_owned(), line: i + 1, text: raw.trim().to_owned() };
                cfg.every.entry(keyword.clone()).or_default().push(setting.clone());
                cfg.first.entry(keyword).or_insert(setting);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The keyword and arguments of a line, `None` for blank and comment lines. The keyword ends at
/// white space or `=`; arguments may be double-quoted and an argument starting with `#` begins
/// a trailing comment.
fn split_line(raw: &str) -> Option<(String, Vec<String>)> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(line.len());
    let keyword = line[..end].to_owned();
    let rest = line[end..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        if c == '"' {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                arg.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
    Some((keyword, args))
}

/// The algorithm list sshd uses for `Ciphers`, `MACs` or `KexAlgorithms` given the configured
/// value: a plain list replaces the default, `+list` appends to it, `-list` removes the
/// (wildcard) patterns from it and `^list` puts the list first.
pub fn algorithms(configured: Option<&str>, default: &[&str]) -> Vec<String> {
    let default: Vec<String> = default.iter().map(|s| s.to_string()).collect();
    let Some(value) = configured else { return default };
    let split = |s: &str| s.split(',').filter(|a| !a.is_empty()).map(|a| a.to_ascii_lowercase()).collect::<Vec<_>>();
    if let Some(add) = value.strip_prefix('+') {
        let mut out = default;
        for a in split(add) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out
    } else if let Some(remove) = value.strip_prefix('-') {
        let patterns = split(remove);
        default.into_iter().filter(|a| !patterns.iter().any(|p| super::glob::matches(p, a))).collect()
    } else if let Some(first) = value.strip_prefix('^') {
        let mut out = split(first);
        let rest: Vec<String> = default.into_iter().filter(|a| !out.contains(a)).collect();
        out.extend(rest);
        out
    } else {
        split(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let s = |l: &str| split_line(l).map(|(k, a)| (k, a.join("|")));
        assert_eq!(s("PermitRootLogin yes"), Some(("PermitRootLogin".into(), "yes".into())));
        assert_eq!(s("  PermitRootLogin=no # why"), Some(("PermitRootLogin".into(), "no".into())));
        assert_eq!(s("Banner \"/etc/my banner\""), Some(("Banner".into(), "/etc/my banner".into())));
        assert_eq!(
            s("Match User a,b Address 10.0.0.0/8"),
            Some(("Match".into(), "User|a,b|Address|10.0.0.0/8".into()))
        );
        assert_eq!(s("# PermitRootLogin yes"), None);
        assert_eq!(s("   "), None);
    }

    #[test]
    fn algorithm_lists() {
        let d = ["a-ctr", "b-gcm", "c-cbc"];
        assert_eq!(algorithms(None, &d), ["a-ctr", "b-gcm", "c-cbc"]);
        assert_eq!(algorithms(Some("x,y"), &d), ["x", "y"]);
        assert_eq!(algorithms(Some("+x,a-ctr"), &d), ["a-ctr", "b-gcm", "c-cbc", "x"]);
        assert_eq!(algorithms(Some("-*-cbc"), &d), ["a-ctr", "b-gcm"]);
        assert_eq!(algorithms(Some("^c-cbc"), &d), ["c-cbc", "a-ctr", "b-gcm"]);
    }
}
