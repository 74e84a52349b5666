//! APT's configuration (`/etc/apt/apt.conf.d/*`, `/etc/apt/apt.conf`) and repository lists
//! (`/etc/apt/sources.list`, `/etc/apt/sources.list.d/*.list` and `*.sources`).
//!
//! apt.conf.d files are read in name order, skipping names with characters other than letters,
//! digits, `-`, `_` and `.` and names with an extension other than `.conf`; apt.conf comes last.
//! A later value overrides an earlier one; keys are case-insensitive.

use std::collections::HashMap;

use crate::context::{Context, join};

const PARTS: &str = "/etc/apt/apt.conf.d";
const MAIN: &str = "/etc/apt/apt.conf";
const SOURCES: &str = "/etc/apt/sources.list";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptValue {
    pub key: String,
    pub value: String,
    pub file: String,
    pub line: usize,
}

impl AptValue {
    pub fn evidence(&self) -> String {
        format!("{}:{}: {} \"{}\"", self.file, self.line, self.key, self.value)
    }
}

/// A repository entry with an option that turns off signature checking or allows downgrades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsecureSource {
    pub file: String,
    pub line: usize,
    pub option: String,
}

#[derive(Debug, Default)]
pub struct AptConfig {
    values: HashMap<String, AptValue>,
    pub insecure_sources: Vec<InsecureSource>,
}

impl AptConfig {
    pub fn get(&self, key: &str) -> Option<&AptValue> {
        self.values.get(&key.to_ascii_lowercase())
    }

    fn parse_conf(&mut self, file: &str, text: &str) {
        let mut scopes: Vec<String> = Vec::new();
        let mut key: Option<(String, usize)> = None;
        let mut value: Option<String> = None;
        let mut directive: Option<String> = None;
        for (tok, line) in tokens(text) {
            match tok {
                Tok::Word(w) if w.starts_with('#') => directive = Some(w.to_ascii_lowercase()),
                Tok::Word(w) | Tok::Str(w) if directive.is_some() => {
                    if directive.as_deref() == Some("#clear") {
                        let gone = full_key(&scopes, &w).to_ascii_lowercase();
                        self.values.retain(|k, _| k != &gone && !k.starts_with(&format!("{gone}::")));
                    }
                }
                Tok::Word(w) if key.is_none() => key = Some((w, line)),
                Tok::Word(w) | Tok::Str(w) => {
                    if key.is_some() {
                        value = Some(w);
                    }
                }
                Tok::Open => {
                    scopes.push(key.take().map(|k| k.0).unwrap_or_default());
                    value = None;
                }
                Tok::Close => {
                    scopes.pop();
                    key = None;
                    value = None;
                }
                Tok::Semi => {
                    if let (Some((k, line)), Some(v)) = (key.take(), value.take()) {
                        let full = full_key(&scopes, &k);
                        self.values.insert(
                            full.to_ascii_lowercase(),
                            AptValue { key: full, value: v, file: file.to_owned(), line },
                        );
                    }
                    directive = None;
                }
            }
        }
    }

    fn parse_one_line_sources(&mut self, file: &str, text: &str) {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if !(line.starts_with("deb ") || line.starts_with("deb-src ")) {
                continue;
            }
            let rest = line.split_once(char::is_whitespace).map_or("", |(_, r)| r).trim_start();
            let Some(options) = rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(o, _)| o) else {
                continue;
            };
            for option in options.split_whitespace() {
                let (name, value) = option.split_once('=').unwrap_or((option, ""));
                if insecure_option(name) && truthy(value) {
                    self.insecure_sources.push(InsecureSource {
                        file: file.to_owned(),
                        line: i + 1,
                        option: option.to_owned(),
                    });
                }
            }
        }
    }

    fn parse_deb822_sources(&mut self, file: &str, text: &str) {
        let mut stanza: Vec<(usize, String, String)> = Vec::new();
        let flush = |stanza: &mut Vec<(usize, String, String)>, out: &mut Vec<InsecureSource>| {
            let enabled = !stanza.iter().any(|(_, k, v)| k.eq_ignore_ascii_case("enabled") && !truthy(v));
            if enabled {
                for (line, k, v) in stanza.iter() {
                    if insecure_option(&k.to_ascii_lowercase()) && truthy(v) {
                        out.push(InsecureSource { file: file.to_owned(), line: *line, option: format!("{k}: {v}") });
                    }
                }
            }
            stanza.clear();
        };
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                flush(&mut stanza, &mut self.insecure_sources);
            } else if raw.starts_with('#') || raw.starts_with(char::is_whitespace) {
                continue;
            } else if let Some((k, v)) = raw.split_once(':') {
                stanza.push((i + 1, k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        flush(&mut stanza, &mut self.insecure_sources);
    }
}

fn insecure_option(name: &str) -> bool {
    matches!(name, "trusted" | "allow-insecure" | "allow-weak" | "allow-downgrade-to-insecure")
}

/// apt's boolean parsing: yes/true/with/on/enable and non-zero numbers are true.
pub fn truthy(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    matches!(v.as_str(), "yes" | "true" | "with" | "on" | "enable") || v.parse::<i64>().is_ok_and(|n| n != 0)
}

fn full_key(scopes: &[String], key: &str) -> String {
    let mut parts: Vec<&str> = scopes.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    parts.push(key);
    parts.join("::")
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Semi,
}

fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
            }
            '#' => {
                let word: String = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '#').collect();
                if word == "#clear" || word == "#include" {
                    out.push((Tok::Word(word.clone()), line));
                    i += word.chars().count();
                } else {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
            }
            '"' => {
                let start = line;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                i += 1;
                out.push((Tok::Str(s), start));
            }
            '{' => {
                out.push((Tok::Open, line));
                i += 1;
            }
            '}' => {
                out.push((Tok::Close, line));
                i += 1;
            }
            ';' => {
                out.push((Tok::Semi, line));
                i += 1;
            }
            _ => {
                let mut w = String::new();
                while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '{' | '}' | ';' | '"') {
                    w.push(chars[i]);
                    i += 1;
                }
                out.push((Tok::Word(w), line));
            }
        }
    }
    out
}

/// Whether apt reads a file of apt.conf.d with this name.
fn is_part(name: &str) -> bool {
    let allowed = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let extension_ok = match name.rsplit_once('.') {
        Some((_, ext)) => ext == "conf",
        None => true,
    };
    allowed && extension_ok && !name.starts_with('.')
}

/// APT's configuration, `None` when the target has no /etc/apt.
pub fn load(ctx: &Context) -> Result<Option<AptConfig>, String> {
    if !ctx.exists("/etc/apt")? {
        return Ok(None);
    }
    let mut cfg = AptConfig::default();
    for name in ctx.list_dir(PARTS)?.unwrap_or_default() {
        if is_part(&name) {
            let path = join(PARTS, &name);
            if let Some(text) = ctx.read(&path)? {
                cfg.parse_conf(&path, &text);
            }
        }
    }
    if let Some(text) = ctx.read(MAIN)? {
        cfg.parse_conf(MAIN, &text);
    }
    if let Some(text) = ctx.read(SOURCES)? {
        cfg.parse_one_line_sources(SOURCES, &text);
    }
    for name in ctx.list_dir(SOURCES_DIR)?.unwrap_or_default() {
        let path = join(SOURCES_DIR, &name);
        if name.ends_with(".list") {
            if let Some(text) = ctx.read(&path)? {
                cfg.parse_one_line_sources(&path, &text);
            }
        } else if name.ends_with(".sources")
            && let Some(text) = ctx.read(&path)?
        {
            cfg.parse_deb822_sources(&path, &text);
        }
    }
    Ok(Some(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_syntax() {
        let mut cfg = AptConfig::default();
        cfg.parse_conf(
            "/a",
            "// comment\nAPT::Periodic::Update-Package-Lists \"1\";\n/* multi\nline */ APT {\n  Periodic {\n    Unattended-Upgrade \"1\";\n  };\n};\n\
             # hash comment\nUnattended-Upgrade::Origins-Pattern { \"origin=Debian\"; };\n",
        );
        assert_eq!(cfg.get("apt::periodic::update-package-lists").unwrap().line, 2);
        let v = cfg.get("APT::Periodic::Unattended-Upgrade").unwrap();
        assert_eq!((v.value.as_str(), v.line), ("1", 6));
        cfg.parse_conf("/b", "APT::Periodic::Unattended-Upgrade \"0\";\n#clear APT::Periodic::Update-Package-Lists;\n");
        assert_eq!(
            cfg.get("APT::Periodic::Unattended-Upgrade").unwrap().evidence(),
            "/b:1: APT::Periodic::Unattended-Upgrade \"0\""
        );
        assert!(cfg.get("apt::periodic::update-package-lists").is_none());
    }

    #[test]
    fn part_names() {
        for (name, ok) in [
            ("20auto-upgrades", true),
            ("50unattended-upgrades", true),
            ("x.conf", true),
            ("x.conf.dpkg-old", false),
            ("x.ucf-dist", false),
            ("a b", false),
        ] {
            assert_eq!(is_part(name), ok, "{name}");
        }
    }

    #[test]
    fn sources() {
        let mut cfg = AptConfig::default();
        cfg.parse_one_line_sources("/l", "deb [arch=amd64 trusted=yes] http://x/ y main\ndeb http://z/ y main\n# deb [trusted=yes] http://c/ y main\n");
        cfg.parse_deb822_sources(
            "/s",
            "Types: deb\nTrusted: yes\n\nTypes: deb\nEnabled: no\nAllow-Insecure: yes\n\nTypes: deb\nAllow-Weak: no\n",
        );
        assert_eq!(
            cfg.insecure_sources,
            [
                InsecureSource { file: "/l".into(), line: 1, option: "trusted=yes".into() },
                InsecureSource { file: "/s".into(), line: 2, option: "Trusted: yes".into() },
            ]
        );
    }
}
