//! The agent's report read from real package databases: this machine's own, and a root folder
//! made from it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use parapet_agent::{check_in, digest};
use parapet_model::fleet::{PackageManager, Tag};

/// What `dpkg-query` says is installed here: (name, version, arch).
fn dpkg_installed() -> BTreeSet<(String, String, String)> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Abbrev}|${Package}|${Version}|${Architecture}\n"])
        .output()
        .expect("dpkg-query runs");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('|');
            let status = parts.next()?;
            // Installed, or unpacked with configuration pending: the files are on disk.
            if !(status.starts_with("ii") || status.starts_with("hi")) {
                return None;
            }
            Some((parts.next()?.to_owned(), parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn this_machine_reports_what_dpkg_has_installed() {
    let report = check_in(Path::new("/"), 1, vec![Tag::new("env", "ci").unwrap()], "0.1.0");
    let check_in = &report.check_in;
    check_in.validate().unwrap_or_else(|e| panic!("the machine's own report is refused: {e}"));
    let packages = check_in.inventory.as_ref().unwrap();
    let ours: BTreeSet<(String, String, String)> = packages
        .iter()
        .filter(|p| p.manager == PackageManager::Dpkg)
        .map(|p| (p.name.clone(), p.version.clone(), p.arch.clone()))
        .collect();
    assert_eq!(ours, dpkg_installed());
    assert!(ours.len() > 100, "a Debian machine has more than 100 packages: {}", ours.len());

    let facts = &check_in.facts;
    let release = std::fs::read_to_string("/etc/os-release").unwrap();
    assert!(release.lines().any(|l| l.trim_matches('"') == format!("ID={}", facts.os)), "{}", facts.os);
    assert_eq!(facts.kernel, std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap().trim());
    let arch = Command::new("dpkg").arg("--print-architecture").output().unwrap();
    assert_eq!(facts.arch, String::from_utf8(arch.stdout).unwrap().trim());
    assert!(facts.uptime_seconds > 0);
    assert_eq!(facts.tags, vec![Tag::new("env", "ci").unwrap()]);
    assert_eq!(check_in.inventory_digest, digest(packages));
}

#[test]
fn a_root_folder_is_read_instead_of_the_machine() {
    let root = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let full = root.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    // A real status file, with one package's version changed so the root differs from the host.
    let status = std::fs::read_to_string("/var/lib/dpkg/status").unwrap();
    let (name, version, _) = dpkg_installed().into_iter().find(|(n, _, _)| n == "dpkg").unwrap();
    let stanza = status.find(&format!("Package: {name}\n")).unwrap();
    let at = stanza + status[stanza..].find(&format!("\nVersion: {version}\n")).unwrap();
    let changed = format!("{}\nVersion: {version}+root\n{}", &status[..at], &status[at + version.len() + 11..]);
    write("var/lib/dpkg/status", &changed);
    write("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
    write("etc/hostname", "image-builder\n");
    write("var/run/reboot-required", "");

    let report = check_in(root.path(), 7, Vec::new(), "0.1.0");
    report.check_in.validate().unwrap();
    let facts = &report.check_in.facts;
    assert_eq!(
        (facts.hostname.as_str(), facts.os.as_str(), facts.os_version.as_str()),
        ("image-builder", "debian", "12")
    );
    assert_eq!(facts.os_codename.as_deref(), Some("bookworm"));
    assert!(facts.reboot_required, "var/run/reboot-required is set in the root");
    let packages = report.check_in.inventory.as_ref().unwrap();
    let dpkg = packages.iter().find(|p| p.name == name).unwrap();
    assert_eq!(dpkg.version, format!("{version}+root"), "the root's status file, not the machine's");
    assert_eq!(report.check_in.sequence, 7);

    // Without the flag, and nothing else differs: no reboot.
    std::fs::remove_file(root.path().join("var/run/reboot-required")).unwrap();
    assert!(!check_in(root.path(), 8, Vec::new(), "0.1.0").check_in.facts.reboot_required);
}

#[test]
fn the_digest_is_the_inventory_not_its_order() {
    let packages = check_in(Path::new("/"), 1, Vec::new(), "0.1.0").check_in.inventory.unwrap();
    let mut reversed = packages.clone();
    reversed.reverse();
    assert_eq!(digest(&packages), digest(&reversed));
    let mut upgraded = packages.clone();
    upgraded[0].version.push_str("+1");
    assert_ne!(digest(&packages), digest(&upgraded));
    let mut fewer = packages.clone();
    fewer.pop();
    assert_ne!(digest(&packages), digest(&fewer));
    assert_eq!(digest(&packages).len(), 64);
}

#[test]
fn an_empty_root_reports_no_packages_and_stays_valid() {
    let root = tempfile::tempdir().unwrap();
    let report = check_in(root.path(), 1, Vec::new(), "0.1.0");
    report.check_in.validate().unwrap();
    assert_eq!(report.check_in.inventory.as_deref(), Some(&[][..]));
    assert_eq!(report.check_in.facts.os, "unknown");
}

mod state {
    use std::os::unix::fs::PermissionsExt;

    use parapet_agent::{AgentState, StateError};

    fn state() -> AgentState {
        AgentState {
            server: "https://parapet.example".into(),
            host_id: "h_1".into(),
            credential: "secret".into(),
            sequence: 3,
            accepted_digest: Some("a".repeat(64)),
            last_check_in: None,
            last_result: None,
            tags: vec![],
            interval_seconds: Some(3600),
            job: None,
            reports: vec![],
            harden_reported: None,
        }
    }

    #[test]
    fn it_is_saved_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("var/lib/parapet-agent");
        assert!(AgentState::load(&folder).unwrap().is_none(), "never enrolled");
        state().save(&folder).unwrap();
        assert_eq!(AgentState::load(&folder).unwrap(), Some(state()));
        assert!(!format!("{:?}", state()).contains("secret"), "the credential stays out of debug output");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder.join("state.json")), 0o600);
        assert_eq!(mode(&folder), 0o700);

        // A newer state replaces it, and nothing is left beside it.
        let next = AgentState { sequence: 4, ..state() };
        next.save(&folder).unwrap();
        assert_eq!(AgentState::load(&folder).unwrap(), Some(next));
        let files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), b"{\"server\": ").unwrap();
        let error = AgentState::load(dir.path()).unwrap_err();
        assert!(matches!(error, StateError::Corrupt { .. }));
        let message = error.to_string();
        assert!(message.contains("state.json") && message.contains("enroll again with --force"), "{message}");
    }

    #[test]
    fn a_failed_write_keeps_the_previous_state() {
        let dir = tempfile::tempdir().unwrap();
        state().save(dir.path()).unwrap();
        // A folder in the way of the temporary file: the write fails before the rename.
        std::fs::create_dir(dir.path().join(format!(".state.json.{}", std::process::id()))).unwrap();
        let error = AgentState { sequence: 9, ..state() }.save(dir.path()).unwrap_err();
        assert!(error.to_string().contains("state.json"), "{error}");
        assert_eq!(AgentState::load(dir.path()).unwrap(), Some(state()));
    }
}
