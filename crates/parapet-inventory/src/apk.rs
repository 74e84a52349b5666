//! Alpine's installed database (`/lib/apk/db/installed`): one stanza per installed package,
//! one `K:value` line per field with a one-letter key.
//!
//! Only `P` (name), `V` (version), `A` (architecture) and `o` (origin, the source package) are
//! kept; the rest (checksums, dependencies, the `F:`/`R:` file lists…) is skipped.

use crate::Parsed;
use crate::error::{ErrorKind, excerpt};
use crate::stanza::{self, LineError, required, set};

/// One installed package; strings borrow from the text that was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApkPackage<'a> {
    pub name: &'a str,
    /// A valid apk version.
    pub version: &'a str,
    pub arch: &'a str,
    /// The source package (`o:`), or the package's own name when there is none.
    pub origin: &'a str,
}

/// Reads an apk installed database; `file` names it in errors.
pub fn parse<'a>(text: &'a str, file: &str) -> Parsed<ApkPackage<'a>> {
    stanza::parse::<Fields>(text, file)
}

#[derive(Default)]
struct Fields<'a> {
    name: Option<(usize, &'a str)>,
    version: Option<(usize, &'a str)>,
    arch: Option<(usize, &'a str)>,
    origin: Option<(usize, &'a str)>,
}

impl<'a> stanza::Stanza<'a> for Fields<'a> {
    type Package = ApkPackage<'a>;

    fn line(&mut self, number: usize, line: &'a str) -> Result<(), LineError> {
        let Some((key, value)) = line.split_once(':') else {
            return Err((number, ErrorKind::NoColon(excerpt(line))));
        };
        let (slot, name) = match key {
            "P" => (&mut self.name, "P"),
            "V" => (&mut self.version, "V"),
            "A" => (&mut self.arch, "A"),
            "o" => (&mut self.origin, "o"),
            _ if key.len() == 1 && key.as_bytes()[0].is_ascii_alphabetic() => return Ok(()),
            _ => return Err((number, ErrorKind::BadFieldName(excerpt(key)))),
        };
        set(slot, name, number, value)
    }

    fn finish(self, first_line: usize) -> Result<ApkPackage<'a>, LineError> {
        let (_, name) = required(self.name, "P", first_line)?;
        let (version_line, version) = required(self.version, "V", first_line)?;
        parapet_versions::apk::validate(version).map_err(|e| (version_line, ErrorKind::Version(e)))?;
        let (_, arch) = required(self.arch, "A", first_line)?;
        let origin = match self.origin {
            None => name,
            origin => required(origin, "o", first_line)?.1,
        };
        Ok(ApkPackage { name, version, arch, origin })
    }
}
