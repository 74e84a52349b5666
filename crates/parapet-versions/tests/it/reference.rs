//! Agreement with the reference implementations on the machine, on thousands of real versions:
//! every version in Debian's package indices (`/var/lib/apt/lists/*Packages*`), compared by
//! `dpkg --compare-versions` and by rpm's `rpm.vercmp`.

use crate::{assert_no_failures, read_shared};
use parapet_versions::{Scheme, dpkg, rpm};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::process::Command;
use std::thread;

/// Every distinct version in the package indices apt keeps (compressed or not).
fn apt_versions() -> Vec<String> {
    let lists = std::fs::read_dir("/var/lib/apt/lists")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("_Packages")))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(!lists.is_empty(), "no package indices in /var/lib/apt/lists: run `apt-get update` first");
    // apt-helper reads every compression apt uses.
    let output = Command::new("/usr/lib/apt/apt-helper")
        .arg("cat-file")
        .args(&lists)
        .output()
        .expect("cannot run /usr/lib/apt/apt-helper (is apt installed?)");
    assert!(output.status.success(), "apt-helper cat-file failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let versions: BTreeSet<&str> = text.lines().filter_map(|l| l.strip_prefix("Version: ")).map(str::trim).collect();
    assert!(versions.len() > 1000, "only {} versions in the package indices", versions.len());
    versions.into_iter().map(str::to_owned).collect()
}

/// A small deterministic generator, so that a failure can be reproduced.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Pairs worth asking about: neighbours once sorted (where orderings are decided by small
/// differences), neighbours sharing a prefix, and random pairs.
fn pairs(sorted: &[String], count: usize) -> Vec<(String, String)> {
    let mut random = XorShift(0x5eed_1234_abcd_ef01);
    let mut pairs = Vec::with_capacity(count);
    let step = (sorted.len() / (count / 2)).max(1);
    for i in (0..sorted.len() - 1).step_by(step) {
        pairs.push((sorted[i].clone(), sorted[i + 1].clone()));
    }
    while pairs.len() < count {
        let (a, b) = (random.below(sorted.len()), random.below(sorted.len()));
        pairs.push((sorted[a].clone(), sorted[b].clone()));
    }
    pairs
}

fn dpkg_compare(a: &str, b: &str) -> Ordering {
    let holds = |op: &str| {
        Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .status()
            .unwrap_or_else(|e| panic!("cannot run dpkg (install the dpkg package): {e}"))
            .success()
    };
    if holds("lt") {
        Ordering::Less
    } else if holds("eq") {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// Runs `f` over the pairs on every core.
fn in_parallel<T: Send>(pairs: &[(String, String)], f: impl Fn(&str, &str) -> T + Sync) -> Vec<T> {
    let threads = thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = pairs.len().div_ceil(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|chunk| scope.spawn(|| chunk.iter().map(|(a, b)| f(a, b)).collect::<Vec<T>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn dpkg_agrees_on_the_package_indices() {
    let mut versions = apt_versions();
    for v in &versions {
        dpkg::Version::parse(v).unwrap_or_else(|e| panic!("a real Debian version is refused: {e}"));
    }
    versions.sort_by(|a, b| dpkg::compare(a, b).unwrap());
    let pairs = pairs(&versions, 3000);
    let expected = in_parallel(&pairs, dpkg_compare);
    let mut failures = Vec::new();
    for ((a, b), expected) in pairs.iter().zip(expected) {
        let ours = dpkg::compare(a, b).unwrap();
        if ours != expected {
            failures.push(format!("{a} vs {b}: dpkg says {expected:?}, we say {ours:?}"));
        }
    }
    assert_no_failures("dpkg --compare-versions", pairs.len(), &failures);
}

/// rpm's `rpm.vercmp` on many pairs at once, through one `rpm --eval` per batch.
fn rpm_compare_batch(pairs: &[(String, String)]) -> Vec<Ordering> {
    let mut script = String::from("%{lua:\n");
    for (a, b) in pairs {
        script.push_str(&format!("print(rpm.vercmp([[{a}]], [[{b}]]) .. \"\\n\")\n"));
    }
    script.push('}');
    let output = Command::new("rpm")
        .args(["--eval", &script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run rpm: {e}; the rpm reference test needs it: apt-get install -y rpm"));
    assert!(output.status.success(), "rpm --eval failed: {}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Ordering> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|r| r.parse::<i32>().unwrap_or_else(|_| panic!("rpm printed {r:?}")).cmp(&0))
        .collect();
    assert_eq!(results.len(), pairs.len(), "rpm answered {} of {} comparisons", results.len(), pairs.len());
    results
}

#[test]
fn rpm_agrees_on_real_versions() {
    // Debian's versions are EVRs too (epochs, tildes, several hyphens), and the rpm and Red Hat
    // vectors add carets and odd separators.
    let mut versions = apt_versions();
    for file in ["rpm-rpmvercmp-cases.txt", "osv-scalibr-redhat-versions.txt"] {
        let text = read_shared(&format!("versions/{file}"));
        versions.extend(
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with("//"))
                .flat_map(|l| l.split_whitespace())
                .filter(|w| !matches!(*w, "<" | "=" | ">" | "-1" | "0" | "1"))
                .map(str::to_owned),
        );
    }
    versions.retain(|v| !v.contains(['[', ']', '%']) && rpm::Version::parse(v).is_ok());
    versions.sort_by(|a, b| rpm::compare(a, b).unwrap());
    versions.dedup();
    let pairs = pairs(&versions, 4000);
    let expected: Vec<Ordering> = thread::scope(|scope| {
        let handles: Vec<_> = pairs.chunks(500).map(|chunk| scope.spawn(|| rpm_compare_batch(chunk))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    for ((a, b), expected) in pairs.iter().zip(expected) {
        let ours = Scheme::Rpm.compare(a, b).unwrap();
        if ours != expected {
            failures.push(format!("{a} vs {b}: rpm says {expected:?}, we say {ours:?}"));
        }
    }
    assert_no_failures("rpm.vercmp", pairs.len(), &failures);
}
