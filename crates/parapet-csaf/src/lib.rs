//! CSAF 2.0 validation: the JSON schema (encoded here, in `schema`) and the tests of section 6 of
//! the specification: every mandatory test (6.1, errors), every optional test (6.2, warnings) and
//! the informative tests (6.3, infos) except those that need the network or a dictionary (6.3.6
//! and 6.3.7 resolve URLs, 6.3.8 checks spelling). No I/O: the CWE names that 6.1.11 compares
//! are compiled in (`cwe`).
//!
//! A problem names its test (`"schema"` or a section number such as `"6.1.7"`), where it is (a
//! JSON pointer into the document) and why, with the offending value.

mod cvss;
mod cwe;
mod doc;
mod format;
mod informative;
mod mandatory;
mod optional;

pub use optional::file_name;
mod schema;
mod sorting;

use serde_json::Value;

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// `"schema"` or the test's section number, such as `"6.1.1"`.
    pub test: &'static str,
    /// A JSON pointer to the offending element, such as `/product_tree/branches/0/name`.
    pub path: String,
    /// Why, naming the offending value.
    pub message: String,
}

/// What a validation found: errors (schema and mandatory tests: the document is invalid),
/// warnings (optional tests) and infos (informative tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub infos: Vec<Problem>,
}

impl Report {
    /// Whether the document passed the schema and every mandatory test.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Collects problems into the three levels of a report.
pub(crate) struct Sink {
    report: Report,
}

impl Sink {
    pub(crate) fn error(&mut self, test: &'static str, path: impl AsRef<str>, message: impl Into<String>) {
        self.report.errors.push(Problem { test, path: path.as_ref().to_owned(), message: message.into() });
    }

    pub(crate) fn warning(&mut self, test: &'static str, path: impl AsRef<str>, message: impl Into<String>) {
        self.report.warnings.push(Problem { test, path: path.as_ref().to_owned(), message: message.into() });
    }

    pub(crate) fn info(&mut self, test: &'static str, path: impl AsRef<str>, message: impl Into<String>) {
        self.report.infos.push(Problem { test, path: path.as_ref().to_owned(), message: message.into() });
    }
}

/// Validates a CSAF 2.0 document.
pub fn validate(document: &Value) -> Report {
    let mut sink = Sink { report: Report::default() };
    schema::check(document, &mut sink);
    let doc = doc::Doc::read(document);
    mandatory::check(&doc, &mut sink);
    optional::check(&doc, &mut sink);
    informative::check(&doc, &mut sink);
    sink.report
}

/// Validates a CSAF 2.0 document given as JSON text; the error says why the text is not JSON.
/// Unlike [`validate`], this also runs 6.2.13 (sorting), which needs the order of the keys.
pub fn validate_str(text: &str) -> Result<Report, String> {
    let document: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut report = validate(&document);
    for (path, message) in sorting::unsorted_keys(text) {
        report.warnings.push(Problem { test: "6.2.13", path, message });
    }
    Ok(report)
}

/// Appends a JSON-pointer segment, escaped as RFC 6901 says.
pub(crate) fn join(path: &str, segment: impl std::fmt::Display) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    out.push_str(path);
    push_segment(&mut out, &segment.to_string());
    out
}

/// Appends `/segment` to a JSON pointer, escaping `~` and `/`.
pub(crate) fn push_segment(path: &mut String, segment: &str) {
    path.push('/');
    for c in segment.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}
