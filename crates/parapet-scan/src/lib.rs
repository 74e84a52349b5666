//! The baseline analyzer: what is installed on a host, in a root folder, a project or an SBOM;
//! which of it a catalog says is vulnerable or has a security update; and how the host is
//! configured.
//!
//! - [`collect`] reads the package databases, lockfiles and SBOMs of a target (I/O).
//! - [`assess`] turns catalog matches into findings: one per issue, aliases merged, distribution
//!   statuses respected, issues a pending update fixes folded into it.
//! - [`vex`] reads VEX statements that suppress findings.
//! - [`report`] writes a scan as a table, JSON, SARIF 2.1.0 or CSV.
//! - [`rpmdb`] reads the SQLite rpm database.

pub mod assess;
pub mod collect;
pub mod finding;
pub mod kernel;
pub mod report;
pub mod rpmdb;
pub mod vex;

pub use finding::{Finding, FindingKind, Fixed, Suppressed};

use parapet_catalog::{Catalog, Index};
use parapet_checks::CheckResult;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What to scan and with what.
#[derive(Debug, Default)]
pub struct Request {
    /// Lockfiles, SBOMs or project folders.
    pub paths: Vec<PathBuf>,
    /// A root folder to scan as a system (a container image, a chroot).
    pub root: Option<PathBuf>,
    /// The catalog to match against; without one, packages are listed but not matched.
    pub catalog: Option<CatalogInput>,
    /// Run the configuration checks on the host or root folder.
    pub checks: bool,
    /// VEX statements that suppress findings.
    pub vex: Vec<vex::Statement>,
}

/// A catalog in memory, or a catalog file of which only the sections of the ecosystems found
/// installed are read.
#[derive(Debug)]
pub enum CatalogInput {
    Loaded(Catalog),
    File(PathBuf),
}

/// One scanned target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetSummary {
    pub name: String,
    /// `host`, `root`, `lockfile`.
    pub kind: &'static str,
    /// The distribution, for hosts and root folders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    pub packages: usize,
}

/// Everything a scan found.
#[derive(Debug, Default, serde::Serialize)]
pub struct Scan {
    pub targets: Vec<TargetSummary>,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub checks: Vec<CheckResult>,
    /// What could not be read or evaluated, naming the file and line or record.
    pub errors: Vec<String>,
    /// Set when packages were not matched because no catalog was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Runs a scan. Errors never stop it: they are collected in [`Scan::errors`].
pub fn scan(request: &Request, progress: &dyn Fn(&str)) -> Scan {
    let mut scan = Scan::default();
    let mut inventories = Vec::new();
    let mut system: Option<(parapet_checks::Target, &'static str)> = None;
    if let Some(root) = &request.root {
        progress("reading the root folder's package databases");
        inventories.push(("root", collect::system(root, &root.display().to_string())));
        system = Some((parapet_checks::Target::root(root.clone()), "root"));
    }
    for path in &request.paths {
        progress("reading lockfiles");
        if path.is_dir() {
            match collect::project(path) {
                Ok(found) if found.is_empty() => {
                    scan.errors.push(format!("{}: no lockfile or SBOM found in this folder", path.display()))
                }
                Ok(found) => inventories.extend(found.into_iter().map(|i| ("lockfile", i))),
                Err(e) => scan.errors.push(e),
            }
        } else {
            inventories.push(("lockfile", collect::lockfile_inventory(path, None)));
        }
    }
    if request.root.is_none() && request.paths.is_empty() {
        progress("reading this host's package databases");
        inventories.push(("host", collect::system(std::path::Path::new("/"), "host")));
        system = Some((parapet_checks::Target::host(), "host"));
    }
    progress("reading the catalog");
    let ecosystems: BTreeSet<String> = inventories
        .iter()
        .flat_map(|(_, inventory)| &inventory.packages)
        .map(|p| parapet_catalog::ecosystem_base(&p.ecosystem))
        .collect();
    let loaded = match &request.catalog {
        Some(CatalogInput::File(path)) => match parapet_catalog::file::read_for(path, &|e| ecosystems.contains(e)) {
            Ok(catalog) => Some(std::borrow::Cow::Owned(catalog)),
            Err(e) => {
                scan.errors.push(e.to_string());
                None
            }
        },
        Some(CatalogInput::Loaded(catalog)) => Some(std::borrow::Cow::Borrowed(catalog)),
        None => {
            scan.warning = Some(
                "no catalog: installed packages were listed but not matched against advisories (build one with `parapet catalog build` and pass --catalog)"
                    .to_owned(),
            );
            None
        }
    };
    let index = loaded.as_deref().map(Index::new);
    for (kind, inventory) in &inventories {
        progress("matching packages");
        scan.targets.push(TargetSummary {
            name: inventory.target.clone(),
            kind,
            os: inventory.os.as_ref().map(|os| os.pretty_name.clone()).filter(|n| !n.is_empty()),
            packages: inventory.packages.len(),
        });
        scan.errors.extend(inventory.errors.iter().cloned());
        if *kind != "lockfile"
            && inventory.os.as_ref().and_then(collect::OsRelease::ecosystem).is_none()
            && !inventory.packages.is_empty()
        {
            scan.errors.push(format!(
                "{}: unknown distribution (no usable /etc/os-release): distribution advisories cannot be matched by release",
                inventory.target
            ));
        }
        if let Some(index) = &index {
            for package in &inventory.packages {
                let (findings, errors) = assess::package_findings(index, package, &inventory.target);
                scan.findings.extend(findings);
                scan.errors.extend(errors);
            }
        }
        if *kind == "host" {
            scan.findings.extend(kernel::running_kernel(&inventory.packages, &inventory.target));
        }
    }
    if let Some((target, name)) = system.filter(|_| request.checks) {
        progress("checking the configuration");
        let results = parapet_checks::run(&target);
        let target_name = match name {
            "host" => "host".to_owned(),
            _ => target.root_dir().display().to_string(),
        };
        for result in results.iter().filter(|r| r.status == parapet_checks::Status::Fail) {
            scan.findings.push(Finding {
                kind: FindingKind::Misconfiguration,
                severity: Some(result.info.severity),
                ids: vec![result.info.id.to_owned()],
                title: result.info.title.to_owned(),
                target: target_name.clone(),
                location: None,
                package: None,
                ecosystem: None,
                installed: None,
                fixed: Fixed::NotApplicable,
                check: Some(result.info.id.to_owned()),
                evidence: result.evidence.clone(),
                note: Some(result.info.remediation.to_owned()),
                url: None,
            });
        }
        scan.checks = results;
    }
    if !request.vex.is_empty() {
        let (kept, suppressed): (Vec<Finding>, Vec<Finding>) =
            std::mem::take(&mut scan.findings).into_iter().partition(|f| vex::covering(&request.vex, f).is_none());
        scan.suppressed = suppressed
            .into_iter()
            .filter_map(|finding| {
                let statement = vex::covering(&request.vex, &finding)?.clone();
                Some(Suppressed {
                    finding,
                    status: statement.status,
                    justification: statement.justification,
                    vex: statement.document,
                })
            })
            .collect();
        scan.findings = kept;
    }
    scan.findings.sort_by(|a, b| {
        (&a.target, std::cmp::Reverse(finding::gate_severity(a.severity)), a.kind, &a.package, &a.ids).cmp(&(
            &b.target,
            std::cmp::Reverse(finding::gate_severity(b.severity)),
            b.kind,
            &b.package,
            &b.ids,
        ))
    });
    scan
}
