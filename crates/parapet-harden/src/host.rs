//! The host the wizard reads and changes: a root folder (`/` for the running system, or a
//! mounted image), the `nft` and `systemctl` it runs, and the files it manages there.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::{Deserialize, Serialize};

/// Where the state (snapshots, the pending apply) lives under the root.
pub const STATE_DIR: &str = "var/lib/parapet/harden";

/// The files a policy writes, relative to the root.
pub const SYSCTL_FILE: &str = "etc/sysctl.d/90-parapet-harden.conf";
/// `00-` because sshd keeps the first value it reads, and Debian's sshd_config includes the
/// drop-ins before its own settings.
pub const SSHD_FILE: &str = "etc/ssh/sshd_config.d/00-parapet-harden.conf";
pub const RULESET_FILE: &str = "etc/parapet/harden.nft";
pub const BOOT_UNIT: &str = "parapet-harden.service";
const UNITS_DIR: &str = "etc/systemd/system";

/// What went wrong, naming the command, file or state.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("{program} is not installed: {hint}")]
    Missing { program: String, hint: &'static str },
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HostError + '_ {
    move |source| HostError::Io { path: path.to_owned(), source }
}

/// One host to read and change.
#[derive(Debug, Clone)]
pub struct Host {
    pub root: PathBuf,
    /// Load rulesets into the running kernel (the network namespace this process is in).
    pub live_firewall: bool,
    pub nft: PathBuf,
    pub systemctl: PathBuf,
    /// Where snapshots are kept; `ROOT/var/lib/parapet/harden` unless set.
    pub state: PathBuf,
}

impl Host {
    /// The running system when `root` is `/`, loading the firewall live; a root folder
    /// otherwise, whose firewall is written for its next boot only unless `live_firewall`.
    pub fn new(root: &Path, live_firewall: Option<bool>) -> Host {
        let live = root == Path::new("/");
        Host {
            root: root.to_owned(),
            live_firewall: live_firewall.unwrap_or(live),
            nft: PathBuf::from("nft"),
            systemctl: PathBuf::from("systemctl"),
            state: root.join(STATE_DIR),
        }
    }

    /// The running system itself (not a root folder).
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// systemd manages the running system: units can be stopped and started now.
    pub fn systemd_running(&self) -> bool {
        self.is_live() && Path::new("/run/systemd/system").is_dir()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn run(&self, program: &Path, args: &[&str], input: Option<&str>) -> Result<String, HostError> {
        let command_line = || {
            let mut line = program.display().to_string();
            for arg in args {
                line.push(' ');
                line.push_str(arg);
            }
            line
        };
        let mut command = Command::new(program);
        command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).env("LC_ALL", "C");
        command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => HostError::Missing {
                program: program.display().to_string(),
                hint: if program.ends_with("nft") {
                    "install nftables (apt-get install nftables), or skip the firewall with --firewall skip"
                } else {
                    "install systemd's systemctl"
                },
            },
            _ => HostError::Command { command: command_line(), message: e.to_string() },
        })?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(text.as_bytes())
                .map_err(|e| HostError::Command { command: command_line(), message: e.to_string() })?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| HostError::Command { command: command_line(), message: e.to_string() })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = if stderr.trim().is_empty() { output.status.to_string() } else { stderr.trim().to_owned() };
            return Err(HostError::Command { command: command_line(), message });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    pub fn nft(&self, args: &[&str], input: Option<&str>) -> Result<String, HostError> {
        self.run(&self.nft, args, input)
    }

    /// `nft list ruleset`, as restoring must reproduce it.
    pub fn ruleset(&self) -> Result<String, HostError> {
        self.nft(&["list", "ruleset"], None)
    }

    /// The ruleset without counters and quotas, which traffic changes: what drift compares.
    pub fn ruleset_stateless(&self) -> Result<String, HostError> {
        self.nft(&["-s", "list", "ruleset"], None)
    }

    /// Parapet's own table, stateless; `None` when it is not loaded.
    pub fn own_table(&self) -> Result<Option<String>, HostError> {
        let ruleset = self.nft(&["-s", "list", "tables"], None)?;
        if !ruleset.lines().any(|l| l.trim() == format!("table {}", crate::firewall::TABLE)) {
            return Ok(None);
        }
        let mut args = vec!["-s", "list", "table"];
        args.extend(crate::firewall::TABLE.split(' '));
        self.nft(&args, None).map(Some)
    }

    /// `nft -f -`: one transaction, all or nothing.
    pub fn nft_load(&self, script: &str) -> Result<(), HostError> {
        self.nft(&["-f", "-"], Some(script)).map(|_| ())
    }

    /// systemctl on the running system, or with `--root` on a root folder.
    pub fn systemctl(&self, args: &[&str]) -> Result<String, HostError> {
        let root = format!("--root={}", self.root.display());
        let mut all: Vec<&str> = Vec::new();
        if !self.is_live() || !self.systemd_running() {
            all.push(&root);
        }
        all.extend_from_slice(args);
        self.run(&self.systemctl, &all, None)
    }

    /// The state (`enabled`, `disabled`, `masked`, `static`, ...) of each of these units that
    /// exists. Naming them is much faster than listing every unit file (20 ms against 300 ms on
    /// a root without systemd running).
    pub fn unit_files<'a>(
        &self,
        units: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, String>, HostError> {
        let mut args = vec!["list-unit-files", "--no-legend", "--no-pager"];
        args.extend(units);
        let listing = match self.systemctl(&args) {
            // systemctl lists nothing and says nothing, with status 1, when no unit matches.
            Err(HostError::Command { message, .. }) if message == "exit status: 1" => String::new(),
            listing => listing?,
        };
        Ok(listing
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
            })
            .collect())
    }

    /// The state of every unit the role book knows, and of the agent's and the policy's own.
    pub fn known_unit_files(&self, book: &crate::RoleBook) -> Result<BTreeMap<String, String>, HostError> {
        let mut units = book.known_units();
        units.extend(["parapet-agent.service", BOOT_UNIT]);
        self.unit_files(units)
    }

    /// Running service units, when systemd runs this host.
    pub fn running_units(&self) -> Result<Option<Vec<String>>, HostError> {
        if !self.systemd_running() {
            return Ok(None);
        }
        let listing = self.systemctl(&[
            "list-units",
            "--type=service,socket",
            "--state=running,listening",
            "--no-legend",
            "--no-pager",
            "--plain",
        ])?;
        Ok(Some(listing.lines().filter_map(|l| l.split_whitespace().next().map(str::to_owned)).collect()))
    }

    /// The files the wizard manages, as they are now: every file and link under
    /// `etc/systemd/system` (where enabling and masking write) and its own drop-ins.
    pub fn managed_files(&self) -> Result<Tree, HostError> {
        let mut tree = Tree::default();
        tree.add_dir(&self.root, UNITS_DIR)?;
        for file in [SYSCTL_FILE, SSHD_FILE, RULESET_FILE] {
            // Its folder too, so that a folder the apply made goes again.
            if let Some((folder, _)) = file.rsplit_once('/') {
                tree.add_file(&self.root, folder)?;
            }
            tree.add_file(&self.root, file)?;
        }
        Ok(tree)
    }

    /// Reads a live kernel setting (`net.ipv4.tcp_syncookies`).
    pub fn sysctl(&self, key: &str) -> Option<String> {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        std::fs::read_to_string(path).ok().map(|v| v.trim().to_owned())
    }

    pub fn set_sysctl(&self, key: &str, value: &str) -> Result<(), HostError> {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        std::fs::write(&path, value).map_err(io(&path))
    }
}

/// A file or link as it was, for putting back exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    Dir { mode: u32 },
    Link { target: String },
    File { mode: u32, base64: String },
}

impl Entry {
    pub fn file(mode: u32, content: &[u8]) -> Entry {
        Entry::File { mode, base64: base64::engine::general_purpose::STANDARD.encode(content) }
    }
}

/// Managed files by path relative to the root; a path absent from the tree does not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree(pub BTreeMap<String, Entry>);

impl Tree {
    fn add_dir(&mut self, root: &Path, relative: &str) -> Result<(), HostError> {
        self.add_file(root, relative)?;
        let dir = root.join(relative);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(HostError::Io { path: dir, source: e }),
        };
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{relative}/{name}");
            let kind = entry.file_type().map_err(io(&dir))?;
            if kind.is_dir() {
                self.add_dir(root, &child)?;
            } else {
                self.add_file(root, &child)?;
            }
        }
        Ok(())
    }

    fn add_file(&mut self, root: &Path, relative: &str) -> Result<(), HostError> {
        use std::os::unix::fs::PermissionsExt;
        let path = root.join(relative);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(HostError::Io { path, source: e }),
        };
        let entry = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(io(&path))?;
            Entry::Link { target: target.to_string_lossy().into_owned() }
        } else if meta.is_dir() {
            Entry::Dir { mode: meta.permissions().mode() & 0o7777 }
        } else if meta.is_file() {
            let content = std::fs::read(&path).map_err(io(&path))?;
            Entry::file(meta.permissions().mode() & 0o7777, &content)
        } else {
            return Ok(());
        };
        self.0.insert(relative.to_owned(), entry);
        Ok(())
    }

    /// The paths whose entries differ between two trees.
    pub fn differences<'a>(&'a self, other: &'a Tree) -> Vec<&'a str> {
        let mut paths: Vec<&str> = self
            .0
            .keys()
            .chain(other.0.keys())
            .map(String::as_str)
            .filter(|p| self.0.get(*p) != other.0.get(*p))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths
    }

    /// Makes the files under `root` what this tree says, starting from `current` (what is
    /// there now): each file through a temporary name and a rename.
    pub fn restore(&self, root: &Path, current: &Tree) -> Result<(), HostError> {
        let differences = current.differences(self);
        // What goes, deepest first (a folder after what is in it); then what comes, shallowest
        // first.
        for path in differences.iter().rev() {
            let full = root.join(path);
            let gone = match (self.0.get(*path), current.0.get(*path)) {
                (None, Some(Entry::Dir { .. })) => std::fs::remove_dir(&full),
                (None, _) | (Some(Entry::Dir { .. }), Some(Entry::Link { .. } | Entry::File { .. })) => {
                    std::fs::remove_file(&full)
                }
                _ => continue,
            };
            match gone {
                // A folder someone else put files in stays.
                Err(e) if !matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty) => {
                    return Err(HostError::Io { path: full, source: e });
                }
                _ => {}
            }
        }
        for path in differences {
            if let Some(entry) = self.0.get(path) {
                write_entry(&root.join(path), entry)?;
            }
        }
        Ok(())
    }
}

/// Writes a file or link through a temporary name and a rename, making its folder if needed.
pub fn write_entry(path: &Path, entry: &Entry) -> Result<(), HostError> {
    use std::os::unix::fs::PermissionsExt;
    let parent = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = parent.join(format!(".{name}.parapet-tmp"));
    let _ = std::fs::remove_file(&temporary);
    match entry {
        Entry::Dir { mode } => {
            std::fs::create_dir_all(path).map_err(io(path))?;
            return std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode)).map_err(io(path));
        }
        Entry::Link { target } => std::os::unix::fs::symlink(target, &temporary).map_err(io(&temporary))?,
        Entry::File { mode, base64 } => {
            let content = base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(|e| HostError::Io { path: path.to_owned(), source: std::io::Error::other(e) })?;
            std::fs::write(&temporary, content).map_err(io(&temporary))?;
            std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(*mode)).map_err(io(&temporary))?;
        }
    }
    std::fs::rename(&temporary, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_restores_files_links_and_absences_exactly() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let host = Host::new(root, Some(false));
        std::fs::create_dir_all(root.join("etc/systemd/system/multi-user.target.wants")).unwrap();
        std::fs::write(root.join("etc/systemd/system/a.service"), "[Service]\n").unwrap();
        std::os::unix::fs::symlink(
            "/etc/systemd/system/a.service",
            root.join("etc/systemd/system/multi-user.target.wants/a.service"),
        )
        .unwrap();
        let before = host.managed_files().unwrap();
        // The two folders, the unit and the link.
        assert_eq!(before.0.len(), 4);

        std::fs::remove_file(root.join("etc/systemd/system/multi-user.target.wants/a.service")).unwrap();
        std::os::unix::fs::symlink("/dev/null", root.join("etc/systemd/system/b.service")).unwrap();
        write_entry(&root.join(SYSCTL_FILE), &Entry::file(0o644, b"x = 1\n")).unwrap();
        let after = host.managed_files().unwrap();
        assert_eq!(
            before.differences(&after),
            [
                "etc/sysctl.d",
                "etc/sysctl.d/90-parapet-harden.conf",
                "etc/systemd/system/b.service",
                "etc/systemd/system/multi-user.target.wants/a.service"
            ]
        );
        before.restore(root, &after).unwrap();
        assert_eq!(host.managed_files().unwrap(), before);
    }
}
