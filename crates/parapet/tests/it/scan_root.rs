//! `parapet scan --root` against apt on a real Debian 12 root filesystem: the missing updates
//! Parapet reports are exactly the packages `apt list --upgradable` offers from bookworm-security
//! inside that root, at the same versions.
//!
//! The root comes from `scripts/bookworm-root.sh` (`debootstrap --variant=minbase bookworm` with
//! this machine's bookworm apt lists), cached in `target/fixtures/bookworm-root` between runs.
//! Needs root (chroot) and Debian's archive (debootstrap; and when nothing in the root is
//! upgradable, one older package is installed so that the comparison is never vacuous).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCRIPT_NAME: &str = "bookworm-root.sh";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a command to the end, panicking when it cannot be started.
pub(crate) fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// What a finished command printed, for failure messages.
pub(crate) fn printed(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a command and returns its stdout, panicking (with everything it printed) when it fails.
pub(crate) fn succeed(command: &mut Command) -> String {
    let output = run(command);
    assert!(output.status.success(), "{command:?} failed: {}", printed(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// A command run inside the root, in the C locale and with a plain PATH.
pub(crate) fn in_root(root: &Path, program: &str) -> Command {
    let chroot = if Path::new("/usr/sbin/chroot").exists() { "/usr/sbin/chroot" } else { "chroot" };
    let mut command = Command::new(chroot);
    command
        .arg(root)
        .arg(program)
        .env("LC_ALL", "C")
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// Builds the cached root (once) and returns its path.
pub(crate) fn bookworm_root() -> PathBuf {
    debootstrap_root("bookworm-root", None)
}

/// A second root with another package set: minbase and a few network tools and libraries,
/// which have security updates more often than not.
pub(crate) fn bookworm_tools_root() -> PathBuf {
    debootstrap_root("bookworm-tools-root", Some("openssl,ca-certificates,curl,wget,libxml2,openssh-client,sudo"))
}

/// Builds the cached root `target/fixtures/NAME` (once), minbase plus `include`, and returns its
/// path.
fn debootstrap_root(name: &str, include: Option<&str>) -> PathBuf {
    let uid = succeed(Command::new("id").arg("-u"));
    assert_eq!(uid.trim(), "0", "this test builds and enters a chroot: run it as root");
    let fixtures = workspace().join("target/fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    let root = fixtures.join(name);
    let script = workspace().join("scripts").join(SCRIPT_NAME);
    let mut command = Command::new("bash");
    command.arg(&script).arg(&root);
    if let Some(packages) = include {
        command.arg("--include").arg(packages);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{} {} failed: {}", script.display(), root.display(), printed(&output));
    assert!(root.join(".complete").exists(), "{SCRIPT_NAME} succeeded but {} is not complete", root.display());
    root
}

/// The apt list files of the root whose names contain `part`.
fn lists(root: &Path, part: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("var/lib/apt/lists"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(part))
        .collect();
    names.sort();
    names
}

/// The names apt shows for the security suite: its code name (`bookworm-security`) and its
/// suite (`stable-security`, later `oldstable-security`), which `apt list` prints.
fn security_suite_names(root: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::from(["bookworm-security".to_owned()]);
    for file in lists(root, "_dists_bookworm-security_").iter().filter(|name| name.ends_with("Release")) {
        let text = std::fs::read_to_string(root.join("var/lib/apt/lists").join(file)).unwrap();
        // Checksum lines are indented, so only the header's fields start a line with these.
        for line in text.lines() {
            if let Some(value) = line.strip_prefix("Suite:").or_else(|| line.strip_prefix("Codename:")) {
                names.insert(value.trim().to_owned());
            }
        }
    }
    names
}

/// An upgradable package as `apt list --upgradable` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upgradable {
    pub candidate: String,
    pub installed: String,
}

/// The packages `apt list --upgradable` offers from the security suite, by name.
pub(crate) fn apt_security_upgrades(root: &Path) -> BTreeMap<String, Upgradable> {
    let security = security_suite_names(root);
    let listing = succeed(in_root(root, "apt").args(["list", "--upgradable"]));
    let mut upgrades = BTreeMap::new();
    // `name/suite1,suite2 version arch [upgradable from: old]`
    for line in listing.lines().filter(|line| line.contains("[upgradable from:")) {
        let mut fields = line.split_whitespace();
        let (Some(name_suites), Some(version), Some(_arch)) = (fields.next(), fields.next(), fields.next()) else {
            panic!("unexpected apt list line: {line:?}");
        };
        let (name, suites) = name_suites.split_once('/').unwrap_or_else(|| panic!("no suite in {line:?}"));
        let installed = line.rsplit_once("[upgradable from:").unwrap().1.trim().trim_end_matches(']').trim();
        if suites.split(',').any(|suite| security.contains(suite)) {
            let upgrade = Upgradable { candidate: version.to_owned(), installed: installed.to_owned() };
            if let Some(other) = upgrades.insert(name.to_owned(), upgrade.clone()) {
                assert_eq!(other, upgrade, "apt lists {name} twice, differently");
            }
        }
    }
    upgrades
}

/// A binary package as one suite's `Packages` index lists it.
struct Listed {
    version: String,
    installed_size: u64,
    /// How many packages it depends on (`Depends` and `Pre-Depends`).
    dependencies: usize,
}

/// The binary packages of one suite's lists by name (one version of each), read through apt's
/// own decompression.
fn suite_packages(root: &Path, suite: &str) -> BTreeMap<String, Listed> {
    let mut packages = BTreeMap::new();
    for file in lists(root, &format!("_dists_{suite}_")).iter().filter(|name| name.contains("_Packages")) {
        let path = format!("/var/lib/apt/lists/{file}");
        let text = succeed(in_root(root, "/usr/lib/apt/apt-helper").args(["cat-file", &path]));
        for stanza in text.split("\n\n") {
            let field =
                |key: &str| stanza.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(':').map(str::trim));
            if let (Some(name), Some(version)) = (field("Package"), field("Version")) {
                let installed_size = field("Installed-Size").and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
                let dependencies = ["Depends", "Pre-Depends"]
                    .iter()
                    .filter_map(|key| field(key))
                    .map(|list| list.split(',').count())
                    .sum();
                packages.insert(name.to_owned(), Listed { version: version.to_owned(), installed_size, dependencies });
            }
        }
    }
    packages
}

/// When the root is fully up to date, installs one package at its bookworm version where
/// bookworm-security has a newer one, so that apt (and Parapet) have an update to report.
fn install_one_outdated_package(root: &Path) {
    let main = suite_packages(root, "bookworm");
    let security = suite_packages(root, "bookworm-security");
    let installed = succeed(in_root(root, "dpkg-query").args(["-W", "-f", "${Package}\\n"]));
    let installed: BTreeSet<&str> = installed.lines().collect();
    // Installed packages first, then those with the fewest dependencies (an old version often
    // needs old versions of its siblings, which apt will not choose), then the smallest.
    let mut candidates: Vec<_> = security
        .iter()
        .filter_map(|(name, newer)| {
            let older = main.get(name)?;
            Some(((!installed.contains(name.as_str()), older.dependencies, older.installed_size), name, older, newer))
        })
        .collect();
    candidates.sort_by_key(|candidate| candidate.0);
    let mut tried = Vec::new();
    for (_, name, older, newer) in candidates {
        let compared = run(in_root(root, "dpkg").args(["--compare-versions", &older.version, "lt", &newer.version]));
        if !compared.status.success() {
            continue;
        }
        let wanted = format!("{name}={}", older.version);
        let install = ["install", "-y", "-q", "--allow-downgrades", "--no-install-recommends", wanted.as_str()];
        // A dry run first, to pass over versions whose dependencies apt cannot satisfy.
        if run(in_root(root, "apt-get").arg("-s").args(install)).status.success() {
            eprintln!(
                "scan_root: nothing is upgradable in the root; installing {wanted} (bookworm-security has {})",
                newer.version
            );
            succeed(in_root(root, "apt-get").args(install));
            return;
        }
        tried.push(wanted);
        if tried.len() == 20 {
            break;
        }
    }
    panic!(
        "nothing in the root is upgradable from bookworm-security, and no package could be installed at an older \
         bookworm version to make it so (tried: {tried:?})"
    );
}

fn parapet(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_parapet")).args(args))
}

#[test]
fn missing_updates_of_a_bookworm_root_are_what_apt_offers_from_bookworm_security() {
    let root = bookworm_root();
    let mut expected = apt_security_upgrades(&root);
    if expected.is_empty() {
        install_one_outdated_package(&root);
        expected = apt_security_upgrades(&root);
    }
    assert!(
        !expected.is_empty(),
        "apt offers no security update in {}: the comparison would be vacuous",
        root.display()
    );

    let temp = tempfile::tempdir().unwrap();
    let catalog = temp.path().join("catalog.ppc");
    let (catalog, root_str) = (catalog.to_str().unwrap(), root.to_str().unwrap());
    let apt_lists = root.join("var/lib/apt/lists");
    let built = parapet(&["catalog", "build", "--out", catalog, "--apt-lists", apt_lists.to_str().unwrap()]);
    assert!(built.status.success(), "parapet catalog build failed: {}", printed(&built));

    let scan_args = ["scan", "--root", root_str, "--catalog", catalog, "--format", "json", "--no-checks"];
    let scanned = parapet(&scan_args);
    assert_eq!(scanned.status.code(), Some(0), "parapet scan without --fail-on: {}", printed(&scanned));
    let report: Value = serde_json::from_slice(&scanned.stdout)
        .unwrap_or_else(|e| panic!("parapet scan printed no JSON ({e}): {}", printed(&scanned)));
    let mut found: BTreeMap<String, Upgradable> = BTreeMap::new();
    for finding in report["findings"].as_array().expect("findings").iter().filter(|f| f["kind"] == "missing-update") {
        let text = |key: &str| finding[key].as_str().unwrap_or_else(|| panic!("{key} of {finding}")).to_owned();
        let upgrade = Upgradable { candidate: text("fixed"), installed: text("installed") };
        let package = text("package");
        assert!(found.insert(package.clone(), upgrade).is_none(), "two missing-update findings for {package}");
    }

    let apt_names: BTreeSet<&String> = expected.keys().collect();
    let parapet_names: BTreeSet<&String> = found.keys().collect();
    assert!(
        apt_names == parapet_names,
        "missing updates differ from apt's security upgrades\n  only apt: {:?}\n  only parapet: {:?}\n  apt: {expected:#?}\n  \
         parapet: {found:#?}",
        apt_names.difference(&parapet_names).collect::<Vec<_>>(),
        parapet_names.difference(&apt_names).collect::<Vec<_>>(),
    );
    let differing: Vec<_> = expected
        .iter()
        .filter(|(name, apt)| found[*name] != **apt)
        .map(|(name, apt)| format!("{name}: apt {apt:?}, parapet {:?}", found[name]))
        .collect();
    assert!(differing.is_empty(), "versions differ from apt's:\n{}", differing.join("\n"));
    eprintln!("scan_root: {} security updates, as apt says: {:?}", expected.len(), apt_names);

    // Missing updates are unrated, and unrated findings count as low.
    let gated = parapet(&[&scan_args[..], &["--fail-on", "low"]].concat());
    assert_eq!(gated.status.code(), Some(1), "parapet scan --fail-on low: {}", printed(&gated));
}
