//! A check-in report read from a host or a root filesystem.
//!
//! `--root` moves where the inventory, os-release, hostname and reboot flag are read from; the
//! kernel and uptime are always this machine's, because a root filesystem checked from here runs
//! on this machine's kernel (a container, or an image about to be booted).

use std::path::Path;

use parapet_model::fleet::{CheckIn, HostFacts, InstalledPackage, Tag};
use parapet_scan::collect::{self, in_root};
use parapet_scan::kernel;

/// What one reading of the host gives: the check-in, and the records that could not be read
/// (each naming its file), which the agent logs but does not send.
#[derive(Debug, Clone)]
pub struct Report {
    pub check_in: CheckIn,
    pub problems: Vec<String>,
}

/// Reads the host under `root` for check-in number `sequence`, with its enrollment tags. The
/// inventory is always included; the agent leaves it out when the server holds its digest.
pub fn check_in(root: &Path, sequence: u64, tags: Vec<Tag>, agent_version: &str) -> Report {
    let inventory = collect::system(root, &root.display().to_string());
    let packages = installed(&inventory.packages);
    let os = inventory.os.clone().unwrap_or_default();
    let kernel = first_line("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".to_owned());
    let kernels_installed = kernel::images(&inventory.packages)
        .iter()
        .filter_map(|p| kernel::image_release(&p.name))
        .map(str::to_owned)
        .collect();
    let live = root.canonicalize().is_ok_and(|r| r == Path::new("/"));
    // A newer kernel than the running one only says "reboot" about the machine that runs it;
    // the rule is the scan's (PPS-KERNEL-001).
    let newer_kernel = live && kernel::newer_than_running(&inventory.packages, &kernel).is_some();
    let flagged = ["run/reboot-required", "var/run/reboot-required"].iter().any(|p| in_root(root, p).exists());
    let facts = HostFacts {
        hostname: hostname(root),
        os: if os.id.is_empty() { "unknown".to_owned() } else { os.id },
        os_version: os.version_id,
        os_codename: Some(os.codename).filter(|c| !c.is_empty()),
        arch: architecture(&packages),
        kernel,
        kernels_installed,
        uptime_seconds: uptime().unwrap_or(0),
        reboot_required: flagged || newer_kernel,
        agent_version: agent_version.to_owned(),
        tags,
    };
    let check_in =
        CheckIn { sequence, facts, inventory_digest: digest(&packages), inventory: Some(packages), harden: None };
    Report { check_in, problems: inventory.errors }
}

/// The SHA-256 of an inventory in its canonical form (see [`collect::inventory_digest`]).
pub fn digest(packages: &[InstalledPackage]) -> String {
    collect::inventory_digest(packages)
}

/// The scan's packages as the protocol sends them, sorted. Only packages of a package database
/// are a host's inventory; `collect::system` reads nothing else.
fn installed(packages: &[collect::Package]) -> Vec<InstalledPackage> {
    let mut out: Vec<InstalledPackage> = packages.iter().filter_map(collect::installed_package).collect();
    out.sort();
    out
}

/// The packages' own architecture (the most common one that is not `all` or `noarch`), or
/// this machine's when no package names one.
fn architecture(packages: &[InstalledPackage]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for package in packages {
        if !matches!(package.arch.as_str(), "all" | "noarch" | "unknown") {
            *counts.entry(package.arch.as_str()).or_default() += 1;
        }
    }
    match counts.into_iter().max_by_key(|(_, n)| *n) {
        Some((arch, _)) => arch.to_owned(),
        None => std::env::consts::ARCH.to_owned(),
    }
}

/// The name the host under `root` gives itself.
pub fn hostname(root: &Path) -> String {
    first_line(in_root(root, "etc/hostname"))
        .or_else(|| first_line("/proc/sys/kernel/hostname"))
        .unwrap_or_else(|| "localhost".to_owned())
}

fn first_line(path: impl AsRef<Path>) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

fn uptime() -> Option<u64> {
    let text = first_line("/proc/uptime")?;
    let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(seconds as u64)
}
