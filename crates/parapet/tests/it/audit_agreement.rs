//! `parapet scan` on Cargo.lock files agrees with `cargo audit` run against the same RustSec
//! snapshot.
//!
//! The shared RustSec data is OSV JSON; `cargo audit` reads the advisory-db layout
//! (`crates/<name>/<ID>.md`, TOML front matter with `[versions] patched`/`unaffected`). The test
//! converts the one into the other in a temporary folder, writes lockfiles that name, for every
//! advisory, versions it affects, versions that fix it and versions just below where it starts,
//! and asks both tools. Both must report the same (crate, version, RUSTSEC ID) triples per
//! lockfile: `cargo audit`'s vulnerabilities against parapet's `vulnerable` findings, its
//! warnings (unmaintained, unsound, notice) against parapet's `informational` ones.

use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_parapet");
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn rustsec_osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osv/rustsec")
}

/// `cargo-audit` on the PATH or in Cargo's `bin` folder; scripts/test.sh installs it.
fn cargo_audit() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("cargo-audit")).find(|p| p.is_file()));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let in_cargo_home = cargo_home.map(|home| home.join("bin/cargo-audit")).filter(|p| p.is_file());
    on_path.or(in_cargo_home).unwrap_or_else(|| {
        panic!("cargo-audit is not installed: run scripts/test.sh, which installs the pinned version")
    })
}

/// A SemVer 2.0 version, ordered by precedence (build metadata ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SemVer {
    core: [u64; 3],
    pre: Vec<Ident>,
}

/// A pre-release identifier: numeric ones sort below alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ident {
    Number(u64),
    Text(String),
}

impl SemVer {
    fn parse(text: &str) -> SemVer {
        let text = text.split('+').next().unwrap();
        let (core, pre) = text.split_once('-').unwrap_or((text, ""));
        let parts: Vec<u64> =
            core.split('.').map(|p| p.parse().unwrap_or_else(|_| panic!("not SemVer: {text}"))).collect();
        let core = <[u64; 3]>::try_from(parts).unwrap_or_else(|_| panic!("not SemVer: {text}"));
        let pre = if pre.is_empty() {
            Vec::new()
        } else {
            pre.split('.').map(|i| i.parse().map_or_else(|_| Ident::Text(i.to_owned()), Ident::Number)).collect()
        };
        SemVer { core, pre }
    }

    /// A release just below this version (`1.2.0` and `1.2.0-rc.1` → `1.1.999`), above 0.0.0.
    fn below(&self) -> Option<String> {
        let [major, minor, patch] = self.core;
        if patch > 0 {
            Some(format!("{major}.{minor}.{}", patch - 1))
        } else if minor > 0 {
            Some(format!("{major}.{}.999", minor - 1))
        } else if major > 0 {
            Some(format!("{}.999.999", major - 1))
        } else {
            None
        }
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core.cmp(&other.core).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One `[introduced, fixed)` interval of an OSV SEMVER range; `None` is unbounded.
#[derive(Debug, Clone)]
struct Interval {
    introduced: Option<String>,
    fixed: Option<String>,
}

impl Interval {
    fn contains(&self, version: &SemVer) -> bool {
        self.introduced.as_deref().is_none_or(|i| SemVer::parse(i) <= *version)
            && self.fixed.as_deref().is_none_or(|f| *version < SemVer::parse(f))
    }
}

/// What the test needs of one OSV record of the RustSec export.
#[derive(Debug)]
struct Advisory {
    id: String,
    package: String,
    date: String,
    aliases: Vec<String>,
    related: Vec<String>,
    categories: Vec<String>,
    informational: Option<String>,
    withdrawn: Option<String>,
    title: String,
    details: String,
    intervals: Vec<Interval>,
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
}

impl Advisory {
    fn from_osv(osv: &Value) -> Advisory {
        let id = osv["id"].as_str().unwrap().to_owned();
        let affected = osv["affected"].as_array().unwrap();
        assert_eq!(affected.len(), 1, "{id}: the RustSec export has one package per advisory");
        let affected = &affected[0];
        assert_eq!(affected["package"]["ecosystem"], "crates.io", "{id}");
        let mut intervals: Vec<Interval> = Vec::new();
        for range in affected["ranges"].as_array().unwrap() {
            assert_eq!(range["type"], "SEMVER", "{id}");
            for event in range["events"].as_array().unwrap() {
                if let Some(introduced) = event["introduced"].as_str() {
                    let introduced = (!matches!(introduced, "0" | "0.0.0-0")).then(|| introduced.to_owned());
                    intervals.push(Interval { introduced, fixed: None });
                } else if let Some(fixed) = event["fixed"].as_str() {
                    let open = intervals.last_mut().filter(|i| i.fixed.is_none());
                    open.unwrap_or_else(|| panic!("{id}: `fixed` without `introduced`")).fixed = Some(fixed.to_owned());
                } else {
                    panic!("{id}: unexpected event {event}");
                }
            }
        }
        assert!(!intervals.is_empty(), "{id}: no range");
        intervals.sort_by(|a, b| match (&a.introduced, &b.introduced) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(a), Some(b)) => SemVer::parse(a).cmp(&SemVer::parse(b)),
        });
        let informational = [&affected["database_specific"], &osv["database_specific"]]
            .iter()
            .find_map(|d| d["informational"].as_str().filter(|s| !s.is_empty()).map(str::to_owned));
        Advisory {
            package: affected["package"]["name"].as_str().unwrap().to_owned(),
            date: osv["published"].as_str().unwrap()[..10].to_owned(),
            aliases: strings(&osv["aliases"]),
            related: strings(&osv["related"]),
            categories: strings(&affected["database_specific"]["categories"]),
            informational,
            withdrawn: osv["withdrawn"].as_str().map(|w| w[..10].to_owned()),
            title: osv["summary"].as_str().unwrap_or_default().replace('\n', " ").trim().to_owned(),
            details: osv["details"].as_str().unwrap_or_default().to_owned(),
            intervals,
            id,
        }
    }

    fn affects(&self, version: &str) -> bool {
        let version = SemVer::parse(version);
        self.intervals.iter().any(|i| i.contains(&version))
    }

    /// The `[versions]` requirements that leave exactly the intervals affected: versions below
    /// the first `introduced` are unaffected, every gap from a `fixed` to the next `introduced`
    /// and everything from the last `fixed` on are patched.
    fn requirements(&self) -> (Vec<String>, Vec<String>) {
        let (mut patched, mut unaffected) = (Vec::new(), Vec::new());
        if let Some(first) = &self.intervals[0].introduced {
            unaffected.push(format!("< {first}"));
        }
        for pair in self.intervals.windows(2) {
            let fixed =
                pair[0].fixed.as_deref().unwrap_or_else(|| panic!("{}: an open interval before another", self.id));
            let next = pair[1].introduced.as_deref().unwrap();
            assert!(SemVer::parse(fixed) <= SemVer::parse(next), "{}: overlapping intervals", self.id);
            if fixed != next {
                patched.push(format!(">= {fixed}, < {next}"));
            }
        }
        if let Some(last) = &self.intervals.last().unwrap().fixed {
            patched.push(format!(">= {last}"));
        }
        (patched, unaffected)
    }

    /// The advisory in the advisory-db layout: a TOML front matter, then a Markdown title and
    /// description.
    fn to_advisory_db(&self) -> String {
        // A JSON string is a valid TOML basic string.
        let quote = |s: &str| serde_json::to_string(s).unwrap();
        let list = |items: &[String]| format!("[{}]", items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", "));
        let (patched, unaffected) = self.requirements();
        let mut out = String::from("```toml\n[advisory]\n");
        writeln!(out, "id = {}", quote(&self.id)).unwrap();
        writeln!(out, "package = {}", quote(&self.package)).unwrap();
        writeln!(out, "date = {}", quote(&self.date)).unwrap();
        writeln!(out, "aliases = {}", list(&self.aliases)).unwrap();
        writeln!(out, "related = {}", list(&self.related)).unwrap();
        writeln!(out, "categories = {}", list(&self.categories)).unwrap();
        if let Some(informational) = &self.informational {
            writeln!(out, "informational = {}", quote(informational)).unwrap();
        }
        if let Some(withdrawn) = &self.withdrawn {
            writeln!(out, "withdrawn = {}", quote(withdrawn)).unwrap();
        }
        writeln!(out, "\n[versions]\npatched = {}\nunaffected = {}\n```\n", list(&patched), list(&unaffected)).unwrap();
        let title = if self.title.is_empty() { &self.id } else { &self.title };
        writeln!(out, "# {title}\n\n{}", self.details).unwrap();
        out
    }

    /// Versions the advisory affects: each interval's first version and the release just below
    /// its fix, or a guess when the interval is open at both ends.
    fn affected_versions(&self) -> BTreeSet<String> {
        let mut candidates = Vec::new();
        for interval in &self.intervals {
            candidates.extend(interval.introduced.clone());
            candidates.extend(interval.fixed.as_deref().and_then(|f| SemVer::parse(f).below()));
        }
        if candidates.is_empty() {
            candidates.push("0.1.0".to_owned());
        }
        candidates.into_iter().filter(|v| self.affects(v)).collect()
    }

    /// Versions the advisory does not affect: the fixes, and the releases just below where an
    /// interval starts.
    fn unaffected_versions(&self) -> BTreeSet<String> {
        let mut candidates = Vec::new();
        for interval in &self.intervals {
            candidates.extend(interval.fixed.clone());
            candidates.extend(interval.introduced.as_deref().and_then(|i| SemVer::parse(i).below()));
        }
        candidates.into_iter().filter(|v| !self.affects(v)).collect()
    }
}

/// (crate, version, advisory ID)
type Triple = (String, String, String);

/// What one tool reported on one lockfile.
#[derive(Debug, Default)]
struct Reported {
    vulnerable: BTreeSet<Triple>,
    informational: BTreeSet<Triple>,
}

fn package_table(out: &mut String, name: &str, version: &str, source: Option<&str>) {
    write!(out, "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n").unwrap();
    if let Some(source) = source {
        writeln!(out, "source = \"{source}\"").unwrap();
    }
}

/// A lockfile of the given format with the project's own crate and the given packages.
fn lockfile(format: u32, packages: &[(&str, &str, Option<&str>)]) -> String {
    let mut out = format!(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = {format}\n"
    );
    package_table(&mut out, "agreement-fixture", "0.1.0", None);
    for (name, version, source) in packages {
        package_table(&mut out, name, version, *source);
    }
    out
}

fn run_cargo_audit(audit: &Path, db: &Path, lock: &Path, home: &Path) -> (Reported, u64) {
    // An empty CARGO_HOME and working folder: no audit.toml of the user's changes the result.
    let output = Command::new(audit)
        .args(["audit", "--no-fetch", "--stale", "--no-yanked", "--json", "--db"])
        .arg(db)
        .arg("--file")
        .arg(lock)
        .current_dir(home)
        .env("CARGO_HOME", home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 0: nothing found, 1: vulnerabilities found.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "cargo audit on {} failed ({}): {}{stdout}",
        lock.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("cargo audit printed no JSON ({e}): {stdout}{}", String::from_utf8_lossy(&output.stderr))
    });
    let triple = |entry: &Value| -> Triple {
        let field =
            |v: &Value| v.as_str().unwrap_or_else(|| panic!("unexpected cargo audit entry: {entry}")).to_owned();
        (field(&entry["package"]["name"]), field(&entry["package"]["version"]), field(&entry["advisory"]["id"]))
    };
    let mut reported = Reported::default();
    for vulnerability in report["vulnerabilities"]["list"].as_array().unwrap() {
        reported.vulnerable.insert(triple(vulnerability));
    }
    for (kind, warnings) in report["warnings"].as_object().unwrap() {
        assert!(["unmaintained", "unsound", "notice"].contains(&kind.as_str()), "unexpected warning kind {kind}");
        for warning in warnings.as_array().unwrap() {
            reported.informational.insert(triple(warning));
        }
    }
    (reported, report["lockfile"]["dependency-count"].as_u64().unwrap())
}

fn run_parapet(catalog: &Path, lock: &Path) -> Reported {
    let output = Command::new(BIN)
        .args(["scan"])
        .arg(lock)
        .arg("--catalog")
        .arg(catalog)
        .args(["--format", "json"])
        .env_remove("PARAPET_CATALOG")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "parapet scan {}: {}",
        lock.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut reported = Reported::default();
    for finding in report["findings"].as_array().unwrap() {
        let set = match finding["kind"].as_str() {
            Some("vulnerable") => &mut reported.vulnerable,
            Some("informational") => &mut reported.informational,
            other => panic!("unexpected finding kind {other:?}: {finding}"),
        };
        let (package, installed) = (finding["package"].as_str().unwrap(), finding["installed"].as_str().unwrap());
        // Advisories that share an alias are one finding: each RUSTSEC ID in it is one report.
        for id in strings(&finding["ids"]).into_iter().filter(|id| id.starts_with("RUSTSEC-")) {
            set.insert((package.to_owned(), installed.to_owned(), id));
        }
    }
    reported
}

/// The lines of one side of a difference, for the failure message.
fn listed<'a>(items: impl Iterator<Item = &'a Triple>) -> String {
    items.map(|(name, version, id)| format!("\n    {name} {version} {id}")).collect()
}

#[test]
fn cargo_lock_scan_agrees_with_cargo_audit() {
    let audit = cargo_audit();
    let version = Command::new(&audit).args(["audit", "--version"]).output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().replace("cargo-audit-audit", "cargo-audit");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let home = root.join("home");
    std::fs::create_dir(&home).unwrap();

    // The OSV records, and the same advisories in the advisory-db layout for cargo audit.
    let mut files: Vec<PathBuf> = std::fs::read_dir(rustsec_osv().join("crates"))
        .unwrap_or_else(|e| panic!("{}: {e}", rustsec_osv().display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let advisories: Vec<Advisory> = files
        .iter()
        .map(|path| Advisory::from_osv(&serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()))
        .collect();
    assert!(advisories.len() > 1000, "the RustSec snapshot has {} advisories", advisories.len());
    let db = root.join("advisory-db");
    for advisory in &advisories {
        let folder = db.join("crates").join(&advisory.package);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{}.md", advisory.id)), advisory.to_advisory_db()).unwrap();
    }

    let catalog = root.join("catalog.ppc");
    let built = Command::new(BIN)
        .args(["catalog", "build", "--out"])
        .arg(&catalog)
        .arg("--osv")
        .arg(rustsec_osv())
        .output()
        .unwrap();
    assert!(built.status.success(), "catalog build: {}", String::from_utf8_lossy(&built.stderr));

    // For each advisory, versions it affects and versions it does not; what a tool must and must
    // not report about them, as far as that one advisory goes.
    let mut versions: BTreeSet<(String, String)> = BTreeSet::new();
    let mut must: BTreeMap<Triple, bool> = BTreeMap::new();
    let mut must_not: BTreeSet<Triple> = BTreeSet::new();
    for advisory in &advisories {
        for version in advisory.affected_versions() {
            versions.insert((advisory.package.clone(), version.clone()));
            let triple = (advisory.package.clone(), version, advisory.id.clone());
            if advisory.withdrawn.is_some() {
                must_not.insert(triple);
            } else {
                must.insert(triple, advisory.informational.is_some());
            }
        }
        for version in advisory.unaffected_versions() {
            versions.insert((advisory.package.clone(), version.clone()));
            must_not.insert((advisory.package.clone(), version, advisory.id.clone()));
        }
    }
    let versions: Vec<(String, String)> = versions.into_iter().collect();

    // Four crates.io lockfiles, formats 3 and 4; and, at affected versions, crates from elsewhere:
    // a git repository, another registry, the project's own path crates. RustSec's advisories are
    // about crates published on crates.io, and cargo audit checks none of those.
    let mut lockfiles: Vec<(PathBuf, usize, bool)> = Vec::new();
    let mut write_lockfile = |name: &str, format: u32, packages: &[(&str, &str, Option<&str>)], crates_io: bool| {
        let folder = root.join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("Cargo.lock"), lockfile(format, packages)).unwrap();
        lockfiles.push((folder.join("Cargo.lock"), packages.len() + 1, crates_io));
    };
    for part in 0..4 {
        let packages: Vec<(&str, &str, Option<&str>)> = versions
            .iter()
            .skip(part)
            .step_by(4)
            .map(|(name, version)| (name.as_str(), version.as_str(), Some(CRATES_IO)))
            .collect();
        write_lockfile(&format!("crates-io-{part}"), 3 + part as u32 % 2, &packages, true);
    }
    let affected: BTreeSet<(&str, &str)> =
        must.keys().map(|(name, version, _)| (name.as_str(), version.as_str())).collect();
    let elsewhere: Vec<(&str, &str)> = affected.into_iter().step_by(30).collect();
    for (name, source) in [
        ("git", Some("git+https://github.com/example/forks?branch=main#0123456789abcdef0123456789abcdef01234567")),
        ("other-registry", Some("registry+https://registry.example.com/index")),
        ("path", None),
    ] {
        let packages: Vec<(&str, &str, Option<&str>)> = elsewhere.iter().map(|(n, v)| (*n, *v, source)).collect();
        write_lockfile(name, 4, &packages, false);
    }

    let mut differences = String::new();
    let mut audit_all = Reported::default();
    let mut compared = 0;
    for (lock, count, crates_io) in &lockfiles {
        let (by_audit, dependencies) = run_cargo_audit(&audit, &db, lock, &home);
        assert_eq!(dependencies, *count as u64, "cargo audit read every package of {}", lock.display());
        let by_parapet = run_parapet(&catalog, lock);
        for (what, audit_side, parapet_side) in [
            ("vulnerabilities", &by_audit.vulnerable, &by_parapet.vulnerable),
            ("informational advisories", &by_audit.informational, &by_parapet.informational),
        ] {
            if audit_side != parapet_side {
                write!(
                    differences,
                    "\n{}: {what} only cargo audit reports:{}\n  only parapet reports:{}",
                    lock.display(),
                    listed(audit_side.difference(parapet_side)),
                    listed(parapet_side.difference(audit_side))
                )
                .unwrap();
            }
        }
        compared += if *crates_io { *count } else { 0 };
        if *crates_io {
            audit_all.vulnerable.extend(by_audit.vulnerable);
            audit_all.informational.extend(by_audit.informational);
        } else {
            assert!(by_audit.vulnerable.is_empty() && by_audit.informational.is_empty(), "{by_audit:?}");
        }
    }

    // The conversion and the chosen versions are right: cargo audit reports what each advisory
    // affects, and nothing of what it does not.
    let missed: Vec<&Triple> = must
        .iter()
        .filter(|(triple, informational)| {
            !if **informational { &audit_all.informational } else { &audit_all.vulnerable }.contains(*triple)
        })
        .map(|(triple, _)| triple)
        .collect();
    assert!(missed.is_empty(), "cargo audit misses affected versions:{}", listed(missed.into_iter()));
    let wrongly: Vec<&Triple> =
        must_not.iter().filter(|t| audit_all.vulnerable.contains(*t) || audit_all.informational.contains(*t)).collect();
    assert!(wrongly.is_empty(), "cargo audit reports unaffected versions:{}", listed(wrongly.into_iter()));

    let reported_ids: BTreeSet<&str> =
        audit_all.vulnerable.iter().chain(&audit_all.informational).map(|(_, _, id)| id.as_str()).collect();
    eprintln!(
        "{version}: {compared} crates.io lockfile packages, {} packages from elsewhere, {} advisories; cargo audit reported \
         {} vulnerabilities and {} warnings from {} advisories ({:.1?})",
        elsewhere.len() * 3,
        advisories.len(),
        audit_all.vulnerable.len(),
        audit_all.informational.len(),
        reported_ids.len(),
        started.elapsed()
    );
    assert!(differences.is_empty(), "parapet scan and {version} disagree:{differences}");
}
