//! What the JSON formats share: where an entry kept as raw text starts, and serde_json's
//! messages without the position that the error's line already gives.

use crate::error::ErrorKind;
use crate::lines::Lines;
use serde_json::value::RawValue;

/// A JSON document's text, to find where the entries kept as raw text start.
pub(crate) struct Text<'t> {
    text: &'t str,
    lines: Lines,
}

impl<'t> Text<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Text { text, lines: Lines::new(text) }
    }

    /// Where `raw`, which borrows from the text, starts in it.
    pub(crate) fn offset(&self, raw: &RawValue) -> usize {
        (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// The line on which `raw`, which borrows from the text, starts.
    pub(crate) fn line(&self, raw: &RawValue) -> usize {
        self.lines.at(self.offset(raw))
    }

    /// Reads one entry kept as raw text; a key of the wrong type is reported at its own line,
    /// counted from where the entry starts.
    pub(crate) fn entry<'a, T: serde::Deserialize<'a>>(
        &self,
        raw: &'a RawValue,
        name: impl FnOnce() -> String,
    ) -> Result<T, (usize, ErrorKind)> {
        serde_json::from_str(raw.get()).map_err(|e| {
            let line = self.line(raw) + e.line().saturating_sub(1);
            (line, ErrorKind::Entry { entry: name(), reason: without_position(&e) })
        })
    }
}

/// serde_json's message without its ` at line … column …`, which the error's line replaces.
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => message,
    }
}

/// A document that is not the JSON expected: its line and what is wrong.
pub(crate) fn syntax(format: &'static str, e: &serde_json::Error) -> (usize, ErrorKind) {
    (e.line().max(1), ErrorKind::Syntax { format, message: without_position(e) })
}
