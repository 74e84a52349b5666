//! Collecting what is installed: the package databases of a host or root folder, and the
//! lockfiles and SBOMs of a project folder or a single file.

use parapet_inventory::lockfile::{self, LockfileKind};
use parapet_inventory::{apk, dpkg};
use parapet_model::fleet::{InstalledPackage, PackageManager};
use std::path::{Path, PathBuf};

/// An installed package, owned, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// The source package and its version (distribution packages).
    pub source: Option<(String, String)>,
    /// The package database it was read from; `None` for lockfiles and SBOMs.
    pub manager: Option<PackageManager>,
    /// `file:line`.
    pub location: String,
}

/// What one target holds.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// `host`, the root folder, or the lockfile's path.
    pub target: String,
    pub packages: Vec<Package>,
    /// Files or records that could not be read, each naming the file and line.
    pub errors: Vec<String>,
    /// The operating system, for hosts and root folders.
    pub os: Option<OsRelease>,
}

/// The parts of `/etc/os-release` that place a distribution release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub id: String,
    pub version_id: String,
    pub codename: String,
    pub pretty_name: String,
}

impl OsRelease {
    pub fn parse(text: &str) -> OsRelease {
        let mut release = OsRelease::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim().trim_matches(['"', '\'']).to_owned();
            match key.trim() {
                "ID" => release.id = value,
                "VERSION_ID" => release.version_id = value,
                "VERSION_CODENAME" => release.codename = value,
                "PRETTY_NAME" => release.pretty_name = value,
                _ => {}
            }
        }
        release
    }

    /// The OSV ecosystem of the distribution's packages: `Debian:12`, `Ubuntu:22.04`,
    /// `Alpine:v3.18`; `None` for a distribution the catalog does not know.
    pub fn ecosystem(&self) -> Option<String> {
        match self.id.as_str() {
            "debian" => {
                let number = self.version_id.split('.').next().filter(|v| !v.is_empty()).map(str::to_owned);
                let number =
                    number.or_else(|| parapet_catalog::sources::release_number(&self.codename).map(str::to_owned))?;
                Some(format!("Debian:{number}"))
            }
            "ubuntu" if !self.version_id.is_empty() => Some(format!("Ubuntu:{}", self.version_id)),
            "alpine" => {
                let mut parts = self.version_id.split('.');
                match (parts.next(), parts.next()) {
                    (Some(major), Some(minor)) => Some(format!("Alpine:v{major}.{minor}")),
                    _ => None,
                }
            }
            "rhel" => Some("Red Hat".to_owned()),
            "almalinux" => Some("AlmaLinux".to_owned()),
            "rocky" => Some("Rocky Linux".to_owned()),
            _ => None,
        }
    }
}

/// A path inside a root folder, following symbolic links as if the folder were `/`: an
/// absolute link in a container image points into the image, never at the scanning host.
pub fn in_root(root: &Path, path: &str) -> PathBuf {
    let mut relative = PathBuf::from(path.trim_start_matches('/'));
    for _ in 0..16 {
        let full = root.join(&relative);
        let Ok(target) = std::fs::read_link(&full) else { return full };
        relative = if target.is_absolute() {
            target.strip_prefix("/").map(Path::to_path_buf).unwrap_or(target)
        } else {
            relative.parent().map(|p| p.join(&target)).unwrap_or(target)
        };
    }
    root.join(relative)
}

/// The distribution packages of a host or root folder: dpkg, apk and rpm databases, whichever
/// exist.
pub fn system(root: &Path, target: &str) -> Inventory {
    let mut inventory = Inventory { target: target.to_owned(), ..Inventory::default() };
    let os = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(in_root(root, p)).ok())
        .map(|text| OsRelease::parse(&text));
    let ecosystem = os.as_ref().and_then(OsRelease::ecosystem);
    inventory.os = os;

    let status = in_root(root, "var/lib/dpkg/status");
    if let Some(text) = read(&status, &mut inventory.errors) {
        let file = status.display().to_string();
        let parsed = dpkg::parse(&text, &file);
        inventory.errors.extend(parsed.errors.iter().map(ToString::to_string));
        let ecosystem = package_ecosystem(ecosystem.as_deref(), PackageManager::Dpkg);
        for package in dpkg::installed(parsed.packages) {
            inventory.packages.push(Package {
                ecosystem: ecosystem.clone(),
                name: package.name.to_owned(),
                version: package.version.to_owned(),
                arch: Some(package.arch.to_owned()),
                source: Some((package.source.to_owned(), package.source_version.to_owned())),
                manager: Some(PackageManager::Dpkg),
                location: file.clone(),
            });
        }
    }
    let installed = in_root(root, "lib/apk/db/installed");
    if let Some(text) = read(&installed, &mut inventory.errors) {
        let file = installed.display().to_string();
        let parsed = apk::parse(&text, &file);
        inventory.errors.extend(parsed.errors.iter().map(ToString::to_string));
        let ecosystem = package_ecosystem(ecosystem.as_deref(), PackageManager::Apk);
        for package in parsed.packages {
            inventory.packages.push(Package {
                ecosystem: ecosystem.clone(),
                name: package.name.to_owned(),
                version: package.version.to_owned(),
                arch: Some(package.arch.to_owned()),
                source: Some((package.origin.to_owned(), package.version.to_owned())),
                manager: Some(PackageManager::Apk),
                location: file.clone(),
            });
        }
    }
    if let Some(database) = crate::rpmdb::locate(root) {
        match crate::rpmdb::read(&database) {
            Ok(parsed) => {
                inventory.errors.extend(parsed.errors.iter().map(ToString::to_string));
                let ecosystem = package_ecosystem(ecosystem.as_deref(), PackageManager::Rpm);
                let file = database.display().to_string();
                for package in parsed.packages {
                    let source = package
                        .source_name
                        .clone()
                        .map(|name| (name, package.source_version.clone().unwrap_or_default()));
                    inventory.packages.push(Package {
                        ecosystem: ecosystem.clone(),
                        version: package.evr(),
                        name: package.name,
                        arch: Some(package.arch),
                        source,
                        manager: Some(PackageManager::Rpm),
                        location: file.clone(),
                    });
                }
            }
            Err(e) => inventory.errors.push(e.to_string()),
        }
    }
    inventory
}

/// The ecosystem of a package database's packages: the distribution's (`Debian:12`) when
/// os-release places it, else the family the package manager belongs to.
pub fn package_ecosystem(distribution: Option<&str>, manager: PackageManager) -> String {
    let family = match manager {
        PackageManager::Dpkg => "Debian",
        PackageManager::Apk => "Alpine",
        PackageManager::Rpm => "Red Hat",
    };
    distribution.unwrap_or(family).to_owned()
}

/// A package of a package database as a fleet check-in sends it. dpkg and apk always name a
/// source, so it is sent only where it differs from the binary package's name and version;
/// rpm's is sent as the database has it. `None` for packages of lockfiles and SBOMs.
pub fn installed_package(package: &Package) -> Option<InstalledPackage> {
    let manager = package.manager?;
    let (source, source_version) = match (&package.source, manager) {
        (Some((name, version)), PackageManager::Dpkg | PackageManager::Apk) => {
            (Some(name.clone()).filter(|s| *s != package.name), Some(version.clone()).filter(|v| *v != package.version))
        }
        (Some((name, version)), PackageManager::Rpm) => {
            (Some(name.clone()).filter(|s| !s.is_empty()), Some(version.clone()).filter(|v| !v.is_empty()))
        }
        (None, _) => (None, None),
    };
    Some(InstalledPackage {
        manager,
        name: package.name.clone(),
        version: package.version.clone(),
        arch: package.arch.clone().unwrap_or_else(|| "unknown".to_owned()),
        source,
        source_version,
    })
}

/// The package a check-in reported, as a scan of the host would have read it: the inverse of
/// [`installed_package`], so that the server's findings for a host are the scan's.
pub fn reported_package(package: &InstalledPackage, ecosystem: &str, location: &str) -> Package {
    let source = match package.manager {
        PackageManager::Dpkg | PackageManager::Apk => Some((
            package.source.clone().unwrap_or_else(|| package.name.clone()),
            package.source_version.clone().unwrap_or_else(|| package.version.clone()),
        )),
        PackageManager::Rpm => {
            package.source.clone().map(|name| (name, package.source_version.clone().unwrap_or_default()))
        }
    };
    Package {
        ecosystem: ecosystem.to_owned(),
        name: package.name.clone(),
        version: package.version.clone(),
        arch: (package.arch != "unknown").then(|| package.arch.clone()),
        source,
        manager: Some(package.manager),
        location: location.to_owned(),
    }
}

/// The SHA-256 of an inventory in its canonical form, lower-case hex: packages in order, one
/// JSON object per line. The order they were read in does not change it; the agent sends it
/// and the server checks it with this one function.
pub fn inventory_digest(packages: &[InstalledPackage]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&InstalledPackage> = packages.iter().collect();
    sorted.sort();
    let mut hash = Sha256::new();
    for package in sorted {
        // Serializing a struct of strings cannot fail.
        hash.update(serde_json::to_vec(package).unwrap_or_default());
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

/// Reads a file that may not exist; other failures are errors.
fn read(path: &Path, errors: &mut Vec<String>) -> Option<String> {
    match read_text(path) {
        Ok(text) => Some(text),
        Err(None) => None,
        Err(Some(e)) => {
            errors.push(e);
            None
        }
    }
}

/// A text file whole; `Err(None)` when it does not exist, else the error naming the file.
fn read_text(path: &Path) -> Result<String, Option<String>> {
    let bytes = std::fs::read(path)
        .map_err(|e| (e.kind() != std::io::ErrorKind::NotFound).then(|| format!("{}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|e| Some(format!("{}: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to())))
}

/// Folders a project walk never enters: dependencies' own trees, build output, VCS data.
const SKIPPED_FOLDERS: &[&str] = &["node_modules", "target", ".git", ".hg", ".svn", "vendor", "__pycache__", ".venv"];

/// The lockfiles and SBOMs of a project folder, one inventory each.
pub fn project(folder: &Path) -> Result<Vec<Inventory>, String> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_owned()];
    while let Some(current) = folders.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| format!("{}: {e}", current.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", current.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !SKIPPED_FOLDERS.contains(&name.as_str()) {
                    folders.push(entry.path());
                }
            } else if kind.is_file()
                && let Some(lockfile) = LockfileKind::detect(&name)
            {
                found.push((entry.path(), lockfile));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found.into_iter().map(|(path, kind)| lockfile_inventory(&path, Some(kind))).collect())
}

/// One lockfile or SBOM; its kind from its name, or from its content when the name says
/// nothing (an SBOM called `app.json`).
pub fn lockfile_inventory(path: &Path, kind: Option<LockfileKind>) -> Inventory {
    let file = path.display().to_string();
    let mut inventory = Inventory { target: file.clone(), ..Inventory::default() };
    let text = match read_text(path) {
        Ok(text) => text,
        Err(e) => {
            inventory.errors.push(e.unwrap_or_else(|| format!("{file}: no such file")));
            return inventory;
        }
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(kind) = kind.or_else(|| LockfileKind::detect(&name)).or_else(|| LockfileKind::detect_content(&text))
    else {
        inventory.errors.push(format!(
            "{file}: not a lockfile or SBOM parapet reads (Cargo.lock, package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock, Pipfile.lock, requirements*.txt, go.mod, composer.lock, Gemfile.lock, CycloneDX or SPDX JSON)"
        ));
        return inventory;
    };
    let parsed = lockfile::parse(kind, &text, &file);
    inventory.errors.extend(parsed.errors.iter().map(ToString::to_string));
    for package in parsed.packages {
        inventory.packages.push(Package {
            location: format!("{file}:{}", package.line),
            ecosystem: package.ecosystem,
            name: package.name,
            version: package.version,
            arch: None,
            source: None,
            manager: None,
        });
    }
    inventory
}
