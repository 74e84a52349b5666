//! The sudo policy: `/etc/sudoers` and the files it includes (`@include`, `@includedir` and the
//! older `#include`, `#includedir`; an included folder's files are read in name order, skipping
//! names that end in `~` or contain a `.`, as sudo does).

use crate::context::{Context, join};

const MAIN: &str = "/etc/sudoers";
const MAX_DEPTH: usize = 8;

/// A logical sudoers line (continuations joined) and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SudoLine {
    pub file: String,
    pub line: usize,
    pub text: String,
}

impl SudoLine {
    pub fn evidence(&self) -> String {
        format!("{}:{}: {}", self.file, self.line, self.text)
    }
}

#[derive(Debug, Default)]
pub struct Sudoers {
    /// User specifications with the NOPASSWD tag.
    pub nopasswd: Vec<SudoLine>,
    /// `Defaults` lines (any scope) that negate `authenticate`.
    pub no_authenticate: Vec<SudoLine>,
    /// The last global `use_pty` setting: on or off.
    pub use_pty: Option<(bool, SudoLine)>,
    /// The last global `timestamp_timeout` value.
    pub timestamp_timeout: Option<(String, SudoLine)>,
    pub files: Vec<String>,
}

/// The policy, `None` when sudo is not installed.
pub fn load(ctx: &Context) -> Result<Option<Sudoers>, String> {
    let installed = ctx.installed("sudo")? == Some(true) || ctx.installed("sudo-ldap")? == Some(true);
    let Some(text) = ctx.read(MAIN)? else {
        return Ok(installed.then(Sudoers::default));
    };
    let mut out = Sudoers::default();
    parse(ctx, MAIN, &text, 0, &mut out)?;
    Ok(Some(out))
}

fn parse(ctx: &Context, file: &str, text: &str, depth: usize, out: &mut Sudoers) -> Result<(), String> {
    out.files.push(file.to_owned());
    for (line, logical) in logical_lines(text) {
        let at = SudoLine { file: file.to_owned(), line, text: logical.clone() };
        let words: Vec<&str> = logical.split_whitespace().collect();
        match words.first().copied() {
            Some("@includedir" | "#includedir") if words.len() > 1 => {
                let dir = relative_to(file, words[1]);
                for name in ctx.list_dir(&dir)?.unwrap_or_default() {
                    if name.ends_with('~') || name.contains('.') {
                        continue;
                    }
                    include(ctx, &join(&dir, &name), depth, out)?;
                }
            }
            Some("@include" | "#include") if words.len() > 1 => include(ctx, &relative_to(file, words[1]), depth, out)?,
            Some(w) if w.starts_with('#') => {}
            Some(w) if w.starts_with("Defaults") => {
                let global = w == "Defaults";
                let params = logical[w.len()..].trim();
                for param in params.split(',').map(str::trim) {
                    let (name, value) = match param.split_once('=') {
                        Some((n, v)) => {
                            (n.trim().trim_end_matches(['+', '-']).trim(), Some(v.trim().trim_matches('"')))
                        }
                        None => (param, None),
                    };
                    match (name, value) {
                        ("!authenticate", None) => out.no_authenticate.push(at.clone()),
                        ("use_pty", None) if global => out.use_pty = Some((true, at.clone())),
                        ("!use_pty", None) if global => out.use_pty = Some((false, at.clone())),
                        ("timestamp_timeout", Some(v)) if global => {
                            out.timestamp_timeout = Some((v.to_owned(), at.clone()))
                        }
                        _ => {}
                    }
                }
            }
            Some("User_Alias" | "Runas_Alias" | "Host_Alias" | "Cmnd_Alias" | "Cmd_Alias") => {}
            Some(_) if logical.contains("NOPASSWD:") => out.nopasswd.push(at),
            _ => {}
        }
    }
    Ok(())
}

fn include(ctx: &Context, path: &str, depth: usize, out: &mut Sudoers) -> Result<(), String> {
    if depth >= MAX_DEPTH {
        return Err(format!("{path}: sudoers includes nested more than {MAX_DEPTH} levels"));
    }
    if let Some(text) = ctx.read(path)? {
        parse(ctx, path, &text, depth + 1, out)?;
    }
    Ok(())
}

/// sudo resolves a relative include against the folder of the including file.
fn relative_to(file: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_owned();
    }
    let dir = file.rsplit_once('/').map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
    join(dir, path)
}

/// Lines with backslash continuations joined and trailing comments removed; a `#` followed by a
/// digit is a numeric user or group ID, and `#include…` is a directive.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        let continued = raw.ends_with('\\');
        acc.push_str(raw.trim_end_matches('\\'));
        if continued {
            acc.push(' ');
            current = Some((start, acc));
            continue;
        }
        let text = strip_comment(acc.trim());
        if !text.is_empty() {
            out.push((start, text));
        }
    }
    out
}

fn strip_comment(line: &str) -> String {
    if line.starts_with("#include") {
        return line.to_owned();
    }
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return line[..i].trim_end().to_owned();
        }
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_comments() {
        let text = "# comment\nDefaults\tuse_pty # trailing\nalice ALL=(ALL) \\\n  NOPASSWD: ALL\n#includedir /etc/sudoers.d\n%#1000 ALL=(ALL) ALL\n";
        assert_eq!(
            logical_lines(text),
            [
                (2, "Defaults\tuse_pty".to_string()),
                (3, "alice ALL=(ALL)    NOPASSWD: ALL".to_string()),
                (5, "#includedir /etc/sudoers.d".to_string()),
                (6, "%#1000 ALL=(ALL) ALL".to_string()),
            ]
        );
        assert_eq!(relative_to("/etc/sudoers", "sudoers.d"), "/etc/sudoers.d");
    }
}
