//! A real apt repository for the rollout tests: test packages built with `dpkg-deb`, indexed
//! with `apt-ftparchive`, signed with a throwaway OpenPGP key, served over HTTP on loopback;
//! and a copy of the debootstrap root that trusts it (or keeps Debian's own sources), with
//! `/proc` mounted, where a real `parapet-agent` runs with the root's own apt and dpkg.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scan_root::{bookworm_root, in_root, succeed};

/// One test package version: its name, version, and the shell of its postinst (if any).
pub(crate) struct TestPackage {
    pub name: &'static str,
    pub version: &'static str,
    pub postinst: Option<&'static str>,
}

pub(crate) const fn package(name: &'static str, version: &'static str) -> TestPackage {
    TestPackage { name, version, postinst: None }
}

/// The repository: its folder (served as is), its key, and the HTTP server.
pub(crate) struct Repository {
    pub folder: PathBuf,
    pub url: String,
    gnupg: PathBuf,
    /// The modification time the last index was given.
    indexed_at: std::cell::Cell<std::time::SystemTime>,
    _files: crate::fleet::Files,
}

pub(crate) const SUITE: &str = "acme";

impl Repository {
    /// Builds the packages into a signed repository under `folder` and serves it.
    pub(crate) fn new(folder: &Path, packages: &[TestPackage]) -> Repository {
        let gnupg = folder.join("gnupg");
        std::fs::create_dir_all(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        succeed(
            Command::new("gpg")
                .arg("--homedir")
                .arg(&gnupg)
                .args(["--batch", "--passphrase", "", "--quick-gen-key", "Parapet tests <tests@parapet.invalid>"])
                .args(["ed25519", "sign", "never"]),
        );
        let served = folder.join("repo");
        std::fs::create_dir_all(served.join("pool/main")).unwrap();
        let build = folder.join("build");
        for package in packages {
            build_deb(&build, &served.join("pool/main"), package);
        }
        let files = crate::fleet::serve_files(&served);
        let repository = Repository {
            folder: served,
            url: files.url.clone(),
            gnupg,
            indexed_at: std::cell::Cell::new(std::time::UNIX_EPOCH),
            _files: files,
        };
        repository.index();
        repository
    }

    /// Writes the suite's `Packages`, `Release`, `InRelease` and `Release.gpg` for what the pool
    /// holds now.
    pub(crate) fn index(&self) {
        let dists = self.folder.join(format!("dists/{SUITE}"));
        let binary = dists.join("main/binary-amd64");
        std::fs::create_dir_all(&binary).unwrap();
        let packages = succeed(Command::new("apt-ftparchive").arg("packages").arg("pool").current_dir(&self.folder));
        std::fs::write(binary.join("Packages"), &packages).unwrap();
        for name in ["Release", "InRelease", "Release.gpg"] {
            let _ = std::fs::remove_file(dists.join(name));
        }
        let option = |key: &str, value: &str| format!("APT::FTPArchive::Release::{key}={value}");
        let release = succeed(
            Command::new("apt-ftparchive")
                .args(["-o", &option("Origin", "Acme"), "-o", &option("Label", "Acme")])
                .args(["-o", &option("Suite", SUITE), "-o", &option("Codename", SUITE)])
                .args(["-o", &option("Architectures", "amd64"), "-o", &option("Components", "main")])
                .arg("release")
                .arg(&dists),
        );
        std::fs::write(dists.join("Release"), release).unwrap();
        let gpg = |args: &[&str]| {
            succeed(
                Command::new("gpg")
                    .arg("--homedir")
                    .arg(&self.gnupg)
                    .args(["--batch", "--yes"])
                    .args(args)
                    .current_dir(&dists),
            );
        };
        gpg(&["--clearsign", "-o", "InRelease", "Release"]);
        gpg(&["--armor", "--detach-sign", "-o", "Release.gpg", "Release"]);
        // The HTTP server answers If-Modified-Since by the second: each index is at least a
        // second newer than the last, or apt could keep one made in the same second.
        let at = std::time::SystemTime::now().max(self.indexed_at.get() + std::time::Duration::from_secs(1));
        self.indexed_at.set(at);
        for file in ["Release", "InRelease", "Release.gpg", "main/binary-amd64/Packages"] {
            std::fs::File::options().write(true).open(dists.join(file)).unwrap().set_modified(at).unwrap();
        }
    }

    /// Takes a version out of the pool (the archive moved on) and indexes again.
    pub(crate) fn withdraw(&self, name: &str, version: &str) {
        std::fs::remove_file(self.folder.join(format!("pool/main/{name}_{version}_all.deb"))).unwrap();
        self.index();
    }

    /// Adds a version to the pool and indexes again.
    pub(crate) fn publish(&self, package: &TestPackage) {
        build_deb(&self.folder.join("../build"), &self.folder.join("pool/main"), package);
        self.index();
    }

    /// The public key, as a binary keyring apt's `Signed-By` takes.
    pub(crate) fn keyring(&self) -> Vec<u8> {
        let output =
            Command::new("gpg").arg("--homedir").arg(&self.gnupg).args(["--batch", "--export"]).output().unwrap();
        assert!(output.status.success() && !output.stdout.is_empty(), "gpg --export");
        output.stdout
    }
}

fn build_deb(build: &Path, pool: &Path, package: &TestPackage) {
    let tree = build.join(format!("{}-{}", package.name, package.version));
    let _ = std::fs::remove_dir_all(&tree);
    let share = tree.join("usr/share").join(package.name);
    std::fs::create_dir_all(&share).unwrap();
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::write(share.join("version"), format!("{}\n", package.version)).unwrap();
    let control = format!(
        "Package: {}\nVersion: {}\nArchitecture: all\nMaintainer: Parapet tests <tests@parapet.invalid>\n\
         Section: misc\nPriority: optional\nDescription: A package of Parapet's rollout tests\n",
        package.name, package.version
    );
    std::fs::write(tree.join("DEBIAN/control"), control).unwrap();
    if let Some(body) = package.postinst {
        let script = tree.join("DEBIAN/postinst");
        std::fs::write(&script, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let deb = pool.join(format!("{}_{}_all.deb", package.name, package.version));
    succeed(Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "--build"]).arg(&tree).arg(&deb));
}

/// A copy of the debootstrap root whose apt knows only the test repository, with `/proc`
/// mounted and the agent installed; unmounted and removed on drop.
pub(crate) struct Root {
    pub path: PathBuf,
    proc_mounted: bool,
    _temp: tempfile::TempDir,
}

impl Root {
    pub(crate) fn new(repository: &Repository) -> Root {
        let root = Root::copy();
        let path = &root.path;
        let sources = path.join("etc/apt/sources.list.d");
        // Only the test repository: an update never waits on Debian's mirrors.
        for entry in std::fs::read_dir(&sources).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        let _ = std::fs::remove_file(path.join("etc/apt/sources.list"));
        std::fs::create_dir_all(path.join("etc/apt/keyrings")).unwrap();
        std::fs::write(path.join("etc/apt/keyrings/acme.gpg"), repository.keyring()).unwrap();
        std::fs::write(
            sources.join("acme.sources"),
            format!(
                "Types: deb\nURIs: {}/\nSuites: {SUITE}\nComponents: main\nSigned-By: /etc/apt/keyrings/acme.gpg\n",
                repository.url
            ),
        )
        .unwrap();
        succeed(in_root(&root.path, "apt-get").args(["update", "-q"]));
        root
    }

    /// A copy of the debootstrap root with its own Debian sources, `/proc` mounted and the
    /// agent installed.
    pub(crate) fn copy() -> Root {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("root");
        succeed(Command::new("cp").arg("-a").arg(bookworm_root()).arg(&path));
        std::fs::copy(crate::fleet::agent_binary(), path.join("usr/local/bin/parapet-agent")).unwrap();
        succeed(Command::new("mount").args(["-t", "proc", "proc"]).arg(path.join("proc")));
        Root { path, proc_mounted: true, _temp: temp }
    }

    /// `dpkg-query`'s status and version of a package in the root: `("ii", "1.1")`.
    pub(crate) fn installed(&self, name: &str) -> (String, String) {
        let output = in_root(&self.path, "dpkg-query")
            .args(["-W", "-f", "${db:Status-Abbrev}|${Version}", name])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (status, version) = text.split_once('|').unwrap_or(("", ""));
        (status.trim().to_owned(), version.to_owned())
    }

    /// Runs a command in the root, which must succeed.
    pub(crate) fn run(&self, program: &str, args: &[&str]) -> String {
        succeed(in_root(&self.path, program).args(args))
    }

    /// The agent in the root, with its state in the root's /var/lib/parapet-agent.
    pub(crate) fn agent(&self, args: &[&str]) -> Command {
        let mut command = in_root(&self.path, "/usr/local/bin/parapet-agent");
        command.args(["--lock-timeout", "3", "--reboot-command", "touch /tmp/rebooted"]).args(args);
        command
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if self.proc_mounted {
            let _ = Command::new("umount").arg("-l").arg(self.path.join("proc")).status();
        }
    }
}
