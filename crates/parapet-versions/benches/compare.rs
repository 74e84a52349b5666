//! Comparisons per second for each scheme, over real version pairs: the upstream vectors in
//! `../shared/data/versions/` and, for dpkg and rpm, every version in Debian's package indices
//! when `/var/lib/apt/lists` has them. Run with `cargo bench -p parapet-versions`.
//!
//! The goal for dpkg is over ten million comparisons a second: matching a host's packages
//! against a distribution's advisories compares a lot.

use parapet_versions::Scheme;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn shared(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/versions").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `A op B` (or `A B result`) pairs of a vectors file.
fn file_pairs(file: &str) -> Vec<(String, String)> {
    shared(file)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("//"))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            match fields[..] {
                [a, "<" | "=" | ">", b] | [a, b, "-1" | "0" | "1"] => Some((a.to_owned(), b.to_owned())),
                _ => None,
            }
        })
        .collect()
}

/// Neighbouring versions from the package indices, once sorted, then shifted by a stride so
/// that pairs are not all close.
fn apt_pairs() -> Vec<(String, String)> {
    let Ok(dir) = std::fs::read_dir("/var/lib/apt/lists") else { return Vec::new() };
    let lists: Vec<_> =
        dir.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.to_string_lossy().contains("_Packages")).collect();
    if lists.is_empty() {
        return Vec::new();
    }
    let Ok(output) = Command::new("/usr/lib/apt/apt-helper").arg("cat-file").args(&lists).output() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut versions: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("Version: ")).collect();
    versions.sort_by(|a, b| Scheme::Deb.compare(a, b).unwrap_or(std::cmp::Ordering::Equal));
    versions.dedup();
    let n = versions.len();
    (0..n).map(|i| (versions[i].to_owned(), versions[(i * 7919 + 1) % n].to_owned())).collect()
}

/// Compares every valid pair over and over in five rounds of about 300 ms; returns the best
/// round's comparisons a second (the machine's other work only ever slows a round down).
fn measure(scheme: Scheme, pairs: &[(String, String)]) -> (usize, f64) {
    let pairs: Vec<(&str, &str)> =
        pairs.iter().filter(|(a, b)| scheme.compare(a, b).is_ok()).map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert!(!pairs.is_empty(), "no valid {scheme} pairs");
    let mut best = 0.0f64;
    for _ in 0..5 {
        let (mut count, start) = (0usize, Instant::now());
        while start.elapsed() < Duration::from_millis(300) {
            for (a, b) in &pairs {
                black_box(scheme.compare(black_box(a), black_box(b)).ok());
            }
            count += pairs.len();
        }
        best = best.max(count as f64 / start.elapsed().as_secs_f64());
    }
    (pairs.len(), best)
}

fn main() {
    let mut debian = file_pairs("dpkg-version-triples.txt");
    debian.extend(file_pairs("osv-scalibr-debian-versions-generated.txt"));
    let apt = apt_pairs();
    if apt.is_empty() {
        eprintln!("no package indices in /var/lib/apt/lists (run `apt-get update`): dpkg and rpm use the vectors only");
    }
    debian.extend(apt);
    let mut rpm = debian.clone();
    rpm.extend(file_pairs("rpm-rpmvercmp-cases.txt"));
    rpm.extend(file_pairs("osv-scalibr-redhat-versions.txt"));
    let runs = [
        (Scheme::Deb, debian),
        (Scheme::Rpm, rpm),
        (
            Scheme::Apk,
            [file_pairs("apk-tools-version.data"), file_pairs("osv-scalibr-alpine-versions-generated.txt")].concat(),
        ),
        (Scheme::Semver, file_pairs("osv-scalibr-semver-versions.txt")),
        (Scheme::Pypi, file_pairs("osv-scalibr-pypi-versions-generated.txt")),
        (Scheme::Maven, file_pairs("osv-scalibr-maven-versions-generated.txt")),
        (Scheme::Packagist, file_pairs("osv-scalibr-packagist-versions-generated.txt")),
        (Scheme::RubyGems, file_pairs("osv-scalibr-rubygems-versions-generated.txt")),
    ];
    for (scheme, pairs) in runs {
        let (n, per_second) = measure(scheme, &pairs);
        println!("{:<10} {:>12.0} comparisons/s over {n} pairs", scheme.name(), per_second);
    }
}
