//! The running kernel against the installed kernel packages: a kernel update only protects the
//! host once it is booted.

use crate::collect::Package;
use crate::finding::{Finding, FindingKind, Fixed};
use parapet_model::Severity;
use parapet_versions::Scheme;
use std::cmp::Ordering;

pub const CHECK: &str = "PPS-KERNEL-001";

/// A finding when a newer kernel package is installed than the one running; nothing when the
/// running kernel is the newest, or when no kernel package is installed (a container).
pub fn running_kernel(packages: &[Package], target: &str) -> Option<Finding> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    newer_kernel(packages, release.trim(), target)
}

/// The kernel release an image package boots: `linux-image-6.1.0-18-amd64` → `6.1.0-18-amd64`;
/// `None` for other packages and for metapackages such as `linux-image-amd64`.
pub fn image_release(name: &str) -> Option<&str> {
    name.strip_prefix("linux-image-").filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The installed kernel image packages, oldest first. Kernel packages of different ABIs are
/// different packages; their versions still order them.
pub fn images(packages: &[Package]) -> Vec<&Package> {
    let mut kernels: Vec<&Package> = packages.iter().filter(|p| image_release(&p.name).is_some()).collect();
    kernels.sort_by(|a, b| {
        Scheme::Deb.compare(&a.version, &b.version).unwrap_or(Ordering::Equal).then(a.name.cmp(&b.name))
    });
    kernels
}

/// The running kernel's package and the newest installed one, when the newest is newer; `None`
/// when the running kernel is the newest or is not an installed package (a container).
pub fn newer_than_running<'a>(packages: &'a [Package], release: &str) -> Option<(&'a Package, &'a Package)> {
    let kernels = images(packages);
    let running = *kernels.iter().find(|p| image_release(&p.name) == Some(release))?;
    let newest = *kernels.last()?;
    (Scheme::Deb.compare(&newest.version, &running.version).ok()? == Ordering::Greater).then_some((running, newest))
}

pub(crate) fn newer_kernel(packages: &[Package], release: &str, target: &str) -> Option<Finding> {
    let (running, newest) = newer_than_running(packages, release)?;
    Some(Finding {
        kind: FindingKind::Misconfiguration,
        severity: Some(Severity::Important),
        ids: vec![CHECK.to_owned()],
        title: "The running kernel is older than the newest installed kernel: reboot to load it".to_owned(),
        target: target.to_owned(),
        location: Some(running.location.clone()),
        package: Some(running.name.clone()),
        ecosystem: Some(running.ecosystem.clone()),
        installed: Some(running.version.clone()),
        fixed: Fixed::NotApplicable,
        check: Some(CHECK.to_owned()),
        evidence: vec![
            format!("running: {release} ({} {})", running.name, running.version),
            format!("installed: {} {}", newest.name, newest.version),
        ],
        note: Some(
            "Reboot into the newest kernel; fixes in an installed kernel do not apply until it runs.".to_owned(),
        ),
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(name: &str, version: &str) -> Package {
        Package {
            ecosystem: "Debian:12".into(),
            name: name.into(),
            version: version.into(),
            arch: Some("amd64".into()),
            source: Some(("linux-signed-amd64".into(), version.into())),
            manager: Some(parapet_model::fleet::PackageManager::Dpkg),
            location: "/var/lib/dpkg/status".into(),
        }
    }

    #[test]
    fn running_kernel_against_installed_ones() {
        let installed = [
            kernel("linux-image-6.1.0-18-amd64", "6.1.76-1"),
            kernel("linux-image-6.1.0-25-amd64", "6.1.106-3"),
            kernel("linux-image-amd64", "6.1.106-3"),
        ];
        let finding = newer_kernel(&installed, "6.1.0-18-amd64", "host").expect("an older kernel runs");
        assert_eq!(finding.installed.as_deref(), Some("6.1.76-1"));
        assert!(finding.evidence[1].contains("linux-image-6.1.0-25-amd64 6.1.106-3"), "{:?}", finding.evidence);
        assert_eq!(newer_kernel(&installed, "6.1.0-25-amd64", "host"), None, "the newest runs");
        assert_eq!(newer_kernel(&installed, "6.5.0-custom", "host"), None, "a kernel dpkg does not know");
        assert_eq!(newer_kernel(&[], "6.1.0-18-amd64", "host"), None, "a container has no kernel package");
    }
}
