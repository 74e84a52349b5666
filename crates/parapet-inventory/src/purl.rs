//! SBOM components named by package URL, as locked packages.

use crate::error::{ErrorKind, excerpt};
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;
use parapet_versions::purl::parse;

/// The package an SBOM names by its package URL, `None` when OSV has no ecosystem for it;
/// `version` is the SBOM's own, for a package URL without one. The version is checked where
/// the ecosystem has a version scheme.
pub(crate) fn package(
    purl: &str,
    version: Option<&str>,
    dev: bool,
    line: usize,
) -> Result<Option<LockedPackage>, ErrorKind> {
    let parsed = parse(purl).map_err(|reason| ErrorKind::Entry {
        entry: excerpt(purl),
        reason: format!("invalid package URL: {reason}"),
    })?;
    let (Some(ecosystem), Some(name)) = (parsed.ecosystem(), parsed.package_name()) else { return Ok(None) };
    let version = match (parsed.package_version(), version) {
        (Some(version), _) => version,
        (None, Some(version)) if parsed.ty == "golang" => version.strip_prefix('v').unwrap_or(version).to_owned(),
        (None, Some(version)) => version.to_owned(),
        (None, None) => return Err(ErrorKind::MissingKey { entry: excerpt(purl), key: "version" }),
    };
    if let Ok(scheme) = Scheme::parse(&ecosystem) {
        check_version(scheme, &name, &version)?;
    }
    Ok(Some(LockedPackage { ecosystem, name, version, purl: Some(purl.to_owned()), dev, line }))
}
