//! The dpkg status file (`/var/lib/dpkg/status`): one stanza per package dpkg knows of, with
//! its binary and source names and versions, architecture and installation state.
//!
//! Field names are case-insensitive and values are trimmed of spaces and tabs, as dpkg reads
//! them. Only the fields the inventory uses are looked at (and must fit on one line); the others,
//! `Description` and `Conffiles` with their continuation lines included, are skipped.

use crate::Parsed;
use crate::error::{ErrorKind, excerpt};
use crate::stanza::{self, LineError, required, set};
use parapet_versions::dpkg::Version;

/// One package of the status file; strings borrow from the text that was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgPackage<'a> {
    pub name: &'a str,
    /// A valid dpkg version; empty only for a package that is `not-installed`.
    pub version: &'a str,
    /// Empty only for a package that is `not-installed` or `config-files`.
    pub arch: &'a str,
    /// The source package: the `Source` field's name, or the binary name when there is none.
    pub source: &'a str,
    /// The version in parentheses in `Source`, or the binary version when there is none.
    pub source_version: &'a str,
    pub status: DpkgStatus,
}

impl DpkgPackage<'_> {
    /// Whether the package is in the `installed` state: unpacked and configured.
    pub fn is_installed(&self) -> bool {
        self.status.state == State::Installed
    }
}

/// Keeps the packages in the `installed` state, dropping those half-installed, unpacked but not
/// configured, removed with only their configuration files left, and so on.
pub fn installed<'a>(mut packages: Vec<DpkgPackage<'a>>) -> Vec<DpkgPackage<'a>> {
    packages.retain(DpkgPackage::is_installed);
    packages
}

/// The `Status` field: what is wanted of the package, its error flag, and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DpkgStatus {
    pub want: Want,
    pub flag: Flag,
    pub state: State,
}

/// What the administrator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Want {
    Unknown,
    Install,
    Hold,
    Deinstall,
    Purge,
}

/// Whether the package needs reinstalling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    Ok,
    Reinstreq,
}

/// How far the package is installed, in dpkg's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    NotInstalled,
    ConfigFiles,
    HalfInstalled,
    Unpacked,
    HalfConfigured,
    TriggersAwaited,
    TriggersPending,
    Installed,
}

impl Want {
    const WORDS: [(&'static str, Want); 5] = [
        ("unknown", Want::Unknown),
        ("install", Want::Install),
        ("hold", Want::Hold),
        ("deinstall", Want::Deinstall),
        ("purge", Want::Purge),
    ];

    /// The word in the status file.
    pub fn as_str(self) -> &'static str {
        word(&Self::WORDS, self)
    }
}

impl Flag {
    const WORDS: [(&'static str, Flag); 2] = [("ok", Flag::Ok), ("reinstreq", Flag::Reinstreq)];

    /// The word in the status file.
    pub fn as_str(self) -> &'static str {
        word(&Self::WORDS, self)
    }
}

impl State {
    const WORDS: [(&'static str, State); 8] = [
        ("not-installed", State::NotInstalled),
        ("config-files", State::ConfigFiles),
        ("half-installed", State::HalfInstalled),
        ("unpacked", State::Unpacked),
        ("half-configured", State::HalfConfigured),
        ("triggers-awaited", State::TriggersAwaited),
        ("triggers-pending", State::TriggersPending),
        ("installed", State::Installed),
    ];

    /// The word in the status file (and `dpkg-query`'s `${db:Status-Status}`).
    pub fn as_str(self) -> &'static str {
        word(&Self::WORDS, self)
    }
}

fn word<T: Copy + PartialEq>(words: &[(&'static str, T)], value: T) -> &'static str {
    words.iter().find(|(_, v)| *v == value).map_or("", |(w, _)| w)
}

fn lookup<T: Copy>(words: &[(&'static str, T)], part: &'static str, word: &str) -> Result<T, ErrorKind> {
    words
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|(_, v)| *v)
        .ok_or_else(|| ErrorKind::StatusWord { part, word: excerpt(word) })
}

impl DpkgStatus {
    /// Reads `want flag state`, e.g. `install ok installed`; like dpkg, ignores case.
    pub fn parse(value: &str) -> Result<Self, ErrorKind> {
        let mut words = value.split_ascii_whitespace();
        let (Some(want), Some(flag), Some(state), None) = (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(ErrorKind::StatusWords(excerpt(value)));
        };
        Ok(DpkgStatus {
            want: lookup(&Want::WORDS, "want", want)?,
            flag: lookup(&Flag::WORDS, "flag", flag)?,
            state: lookup(&State::WORDS, "state", state)?,
        })
    }
}

/// Reads a dpkg status file; `file` names it in errors.
pub fn parse<'a>(text: &'a str, file: &str) -> Parsed<DpkgPackage<'a>> {
    stanza::parse::<Fields>(text, file)
}

/// The fields the inventory uses, each with its line.
#[derive(Default)]
struct Fields<'a> {
    package: Option<(usize, &'a str)>,
    status: Option<(usize, &'a str)>,
    version: Option<(usize, &'a str)>,
    arch: Option<(usize, &'a str)>,
    source: Option<(usize, &'a str)>,
    last: Last,
}

/// The field the last field line started, which a continuation line continues.
#[derive(Default)]
enum Last {
    #[default]
    Nothing,
    Skipped,
    Used(&'static str),
}

const PACKAGE: &str = "Package";
const STATUS: &str = "Status";
const VERSION: &str = "Version";
const ARCHITECTURE: &str = "Architecture";
const SOURCE: &str = "Source";

impl<'a> stanza::Stanza<'a> for Fields<'a> {
    type Package = DpkgPackage<'a>;

    fn line(&mut self, number: usize, line: &'a str) -> Result<(), LineError> {
        if line.starts_with([' ', '\t']) {
            return match self.last {
                Last::Nothing => Err((number, ErrorKind::OrphanContinuation)),
                Last::Skipped => Ok(()),
                Last::Used(name) => Err((number, ErrorKind::MultilineField(name))),
            };
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err((number, ErrorKind::NoColon(excerpt(line))));
        };
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err((number, ErrorKind::BadFieldName(excerpt(name))));
        }
        let (slot, name) = if name.eq_ignore_ascii_case(PACKAGE) {
            (&mut self.package, PACKAGE)
        } else if name.eq_ignore_ascii_case(STATUS) {
            (&mut self.status, STATUS)
        } else if name.eq_ignore_ascii_case(VERSION) {
            (&mut self.version, VERSION)
        } else if name.eq_ignore_ascii_case(ARCHITECTURE) {
            (&mut self.arch, ARCHITECTURE)
        } else if name.eq_ignore_ascii_case(SOURCE) {
            (&mut self.source, SOURCE)
        } else {
            self.last = Last::Skipped;
            return Ok(());
        };
        self.last = Last::Used(name);
        set(slot, name, number, value.trim_matches([' ', '\t']))
    }

    fn finish(self, first_line: usize) -> Result<DpkgPackage<'a>, LineError> {
        let (_, name) = required(self.package, PACKAGE, first_line)?;
        let (status_line, status) = required(self.status, STATUS, first_line)?;
        let status = DpkgStatus::parse(status).map_err(|kind| (status_line, kind))?;
        // dpkg itself forgets the version of a purged package, and the architecture of one
        // whose files are gone.
        let version = match self.version {
            None | Some((_, "")) if status.state == State::NotInstalled => "",
            version => checked_version(required(version, VERSION, first_line)?)?,
        };
        let arch = match self.arch {
            None | Some((_, "")) if status.state <= State::ConfigFiles => "",
            arch => required(arch, ARCHITECTURE, first_line)?.1,
        };
        let (source, source_version) = match self.source {
            None => (name, version),
            Some((number, value)) => {
                match source(value).map_err(|reason| (number, ErrorKind::Source { value: excerpt(value), reason }))? {
                    (source, None) => (source, version),
                    (source, Some(source_version)) => (source, checked_version((number, source_version))?),
                }
            }
        };
        Ok(DpkgPackage { name, version, arch, source, source_version, status })
    }
}

fn checked_version((number, version): (usize, &str)) -> Result<&str, LineError> {
    match Version::parse(version) {
        Ok(_) => Ok(version),
        Err(e) => Err((number, ErrorKind::Version(e))),
    }
}

/// Splits `name` or `name (version)`.
fn source(value: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (name, version) = match value.split_once('(') {
        None => (value, None),
        Some((name, rest)) => {
            let version = rest.strip_suffix(')').ok_or("expected `name (version)`")?;
            (name.trim_end_matches([' ', '\t']), Some(version.trim_matches([' ', '\t'])))
        }
    };
    if name.is_empty() {
        return Err("the name is empty");
    }
    if name.contains(|c: char| c.is_ascii_whitespace() || c == ')') {
        return Err("expected `name (version)`");
    }
    if version == Some("") {
        return Err("the version in parentheses is empty");
    }
    Ok((name, version))
}
