//! SBOM components named by package URL or, failing that, by CPE, as locked packages.

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

/// The package an SBOM component names: by its package URL when OSV has an ecosystem for it,
/// else by its CPE name (ecosystem `CPE`, name `vendor:product`, matched against CSAF products
/// named the same way); `None` when neither identifies a package version.
pub(crate) fn component(
    purl: Option<&str>,
    cpe: Option<&str>,
    version: Option<&str>,
    dev: bool,
    line: usize,
) -> Result<Option<LockedPackage>, ErrorKind> {
    if let Some(purl) = purl
        && let Some(found) = package(purl, version, dev, line)?
    {
        return Ok(Some(found));
    }
    let Some(cpe) = cpe else { return Ok(None) };
    let parsed = parapet_versions::cpe::parse(cpe)
        .map_err(|reason| ErrorKind::Entry { entry: excerpt(cpe), reason: format!("invalid CPE name: {reason}") })?;
    let Some(version) = parsed.version.clone().or_else(|| version.map(str::to_owned)) else { return Ok(None) };
    Ok(Some(LockedPackage {
        ecosystem: parapet_versions::cpe::ECOSYSTEM.to_owned(),
        name: parsed.package_name(),
        version,
        purl: purl.map(str::to_owned),
        dev,
        line,
    }))
}
