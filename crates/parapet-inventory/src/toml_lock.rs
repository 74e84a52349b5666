//! What the TOML lockfiles (Cargo.lock, poetry.lock) share: syntax errors placed on their line,
//! and string keys of a package table read with a clear error for any other type.

use crate::error::{ErrorKind, line_at};
use toml::{Table, Value};

/// A TOML syntax error as the line it is on and the error to report.
pub(crate) fn syntax(format: &'static str, text: &str, e: &toml::de::Error) -> (usize, ErrorKind) {
    let line = e.span().map_or(1, |span| line_at(text, span.start));
    (line, ErrorKind::Syntax { format, message: e.message().to_owned() })
}

/// A key of a package table that must be a string, if present; `entry` names the package.
pub(crate) fn string<'t>(
    table: &'t Table,
    key: &'static str,
    entry: impl Fn() -> String,
) -> Result<Option<&'t str>, ErrorKind> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ErrorKind::KeyType { entry: entry(), key, expected: "a string" }),
    }
}
