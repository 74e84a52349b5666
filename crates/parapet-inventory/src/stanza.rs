//! What both databases share: blank-line separated stanzas read line by line in one pass, and
//! the recovery rule that an error ends its stanza, not the file.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};

/// An error inside a stanza, before the file label is attached.
pub(crate) type LineError = (usize, ErrorKind);

/// One format's reading of a stanza: fed its lines one at a time, then asked for the package.
pub(crate) trait Stanza<'a>: Default {
    type Package;

    /// Reads one non-blank line, numbered from 1 in the file.
    fn line(&mut self, number: usize, line: &'a str) -> Result<(), LineError>;

    /// The package the stanza describes; `first_line` is where the stanza starts.
    fn finish(self, first_line: usize) -> Result<Self::Package, LineError>;
}

/// Reads every stanza of `text`; a stanza whose first error is reported is skipped to its end.
pub(crate) fn parse<'a, S: Stanza<'a>>(text: &'a str, file: &str) -> Parsed<S::Package> {
    let mut parsed = Parsed::default();
    let error = |(line, kind): LineError| ParseError { file: file.to_owned(), line, kind };
    // The stanza being read, where it starts, and whether it has already failed.
    let mut current: Option<(usize, S, bool)> = None;
    let mut number = 0;
    for line in text.split('\n') {
        number += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.bytes().all(|b| b == b' ' || b == b'\t') {
            if let Some((first, stanza, false)) = current.take() {
                match stanza.finish(first) {
                    Ok(package) => parsed.packages.push(package),
                    Err(e) => parsed.errors.push(error(e)),
                }
            }
            continue;
        }
        let (_, stanza, failed) = current.get_or_insert_with(|| (number, S::default(), false));
        if *failed {
            continue;
        }
        if let Err(e) = stanza.line(number, line) {
            parsed.errors.push(error(e));
            *failed = true;
        }
    }
    if let Some((first, stanza, false)) = current {
        match stanza.finish(first) {
            Ok(package) => parsed.packages.push(package),
            Err(e) => parsed.errors.push(error(e)),
        }
    }
    parsed
}

/// Stores a field's value, refusing a second occurrence.
pub(crate) fn set<'a>(
    slot: &mut Option<(usize, &'a str)>,
    name: &'static str,
    number: usize,
    value: &'a str,
) -> Result<(), LineError> {
    if slot.is_some() {
        return Err((number, ErrorKind::DuplicateField(name)));
    }
    *slot = Some((number, value));
    Ok(())
}

/// A field that must be present and not empty, with its line.
pub(crate) fn required<'a>(
    slot: Option<(usize, &'a str)>,
    name: &'static str,
    first_line: usize,
) -> Result<(usize, &'a str), LineError> {
    match slot {
        None => Err((first_line, ErrorKind::MissingField(name))),
        Some((number, "")) => Err((number, ErrorKind::EmptyField(name))),
        Some(field) => Ok(field),
    }
}
