//! Debian's DSA and DLA lists, as the security tracker keeps them (`data/DSA/list`,
//! `data/DLA/list`):
//!
//! ```text
//! [29 Mar 2023] DSA-5380-1 xorg-server - security update
//!     {CVE-2023-1393}
//!     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
//!     [bookworm] - xorg-server <not-affected> (Fixed before release)
//!     NOTE: ...
//! ```
//!
//! Each advisory names source packages, with the fixed version per release or a status in angle
//! brackets (`<not-affected>`, `<unfixed>`, `<end-of-life>`, `<no-dsa>`, `<ignored>`,
//! `<postponed>`).

use super::release_number;
use crate::model::{Advisory, AdvisoryKind, Affected, SourceKind, Status, StoredRange};
use parapet_versions::Scheme;
use parapet_versions::osv::Event;

/// What a list gave: the advisories, and one message per line that could not be read (with
/// its line number); those lines are skipped.
#[derive(Debug, Default)]
pub struct Parsed {
    pub advisories: Vec<Advisory>,
    pub problems: Vec<String>,
}

pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut current: Option<Advisory> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if !raw.starts_with(char::is_whitespace) {
            parsed.advisories.extend(current.take());
            match header(line) {
                Ok(advisory) => current = Some(advisory),
                Err(reason) => parsed.problems.push(format!("line {number}: {reason}")),
            }
            continue;
        }
        // A detail line of an advisory whose header could not be read is skipped with it.
        let Some(advisory) = current.as_mut() else { continue };
        let detail = line.trim();
        if let Some(ids) = detail.strip_prefix('{') {
            let ids = ids.strip_suffix('}').unwrap_or(ids);
            advisory.aliases.extend(ids.split_whitespace().map(str::to_owned));
        } else if detail.starts_with('[') {
            match release_line(detail) {
                Ok(Some(affected)) => advisory.affected.push(affected),
                Ok(None) => {}
                Err(reason) => parsed.problems.push(format!("line {number} ({}): {reason}", advisory.id)),
            }
        }
        // NOTE: and TODO: lines are for the tracker's editors.
    }
    parsed.advisories.extend(current);
    parsed
}

/// `[29 Mar 2023] DSA-5380-1 xorg-server - security update`
fn header(line: &str) -> Result<Advisory, String> {
    let rest = line
        .strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .map(|(_, rest)| rest.trim())
        .ok_or_else(|| format!("expected \"[date] ID package - title\", found {line:?}"))?;
    let (id, title) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !(id.starts_with("DSA-") || id.starts_with("DLA-") || id.starts_with("DTSA-")) {
        return Err(format!("expected a DSA or DLA ID, found {id:?}"));
    }
    Ok(Advisory {
        id: id.to_owned(),
        aliases: Vec::new(),
        source: SourceKind::DebianList,
        kind: AdvisoryKind::Vulnerability,
        title: if title.trim().is_empty() { id.to_owned() } else { title.trim().to_owned() },
        severity: None,
        cvss: None,
        url: Some(format!("https://security-tracker.debian.org/tracker/{id}")),
        affected: Vec::new(),
    })
}

/// `[bullseye] - xorg-server 2:1.20.11-1+deb11u6` or `[bookworm] - xen <not-affected> (…)`.
/// Releases the catalog cannot number are skipped, not errors: the lists go back to 2000.
fn release_line(line: &str) -> Result<Option<Affected>, String> {
    let malformed = || format!("expected \"[release] - package version\", found {line:?}");
    let (release, rest) = line.strip_prefix('[').and_then(|l| l.split_once(']')).ok_or_else(malformed)?;
    let rest = rest.trim().strip_prefix('-').ok_or_else(malformed)?.trim();
    let mut words = rest.split_whitespace();
    let (Some(package), Some(version)) = (words.next(), words.next()) else { return Err(malformed()) };
    let Some(number) = release_number(release) else { return Ok(None) };
    let (status, ranges) = if let Some(status) = version.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
        match status {
            "not-affected" => (Status::NotAffected, Vec::new()),
            "unfixed" | "end-of-life" | "no-dsa" | "ignored" | "postponed" | "undetermined" => {
                (Status::NoFix(status.to_owned()), Vec::new())
            }
            other => return Err(format!("unknown status <{other}>")),
        }
    } else {
        Scheme::Deb.validate(version).map_err(|e| e.to_string())?;
        let events = vec![Event::Introduced("0".to_owned()), Event::Fixed(version.to_owned())];
        (Status::Affected, vec![StoredRange { semver: false, events }])
    };
    Ok(Some(Affected {
        ecosystem: format!("Debian:{number}"),
        package: package.to_owned(),
        by_source: true,
        status,
        ranges,
        versions: Vec::new(),
        fixed: Vec::new(),
    }))
}
