//! Fixture roots: a small Debian-like system in a temporary folder that each case then changes,
//! and the table runner that checks one case's status and evidence.

use std::cell::RefCell;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::PathBuf;

use parapet_checks::{CheckResult, Status, Target, run_selected};

/// One row of a check table: the check, how to change the base root, what must come out.
pub struct Case {
    pub id: &'static str,
    pub status: Status,
    /// A substring that one evidence line must contain.
    pub evidence: &'static str,
    pub setup: fn(&Fixture),
}

pub const fn case(id: &'static str, status: Status, evidence: &'static str, setup: fn(&Fixture)) -> Case {
    Case { id, status, evidence, setup }
}

/// Runs every case on a fresh base root.
#[track_caller]
pub fn check(cases: &[Case]) {
    for (i, c) in cases.iter().enumerate() {
        let f = Fixture::debian();
        (c.setup)(&f);
        let r = f.run(c.id);
        assert_eq!(r.status, c.status, "{} case {i}: evidence {:#?}", c.id, r.evidence);
        assert!(
            r.evidence.iter().any(|e| e.contains(c.evidence)),
            "{} case {i}: {:?} not in evidence {:#?}",
            c.id,
            c.evidence,
            r.evidence
        );
    }
}

pub struct Fixture {
    dir: tempfile::TempDir,
    packages: RefCell<Vec<String>>,
}

pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
";

pub const GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
shadow:x:42:
nogroup:x:65534:
alice:x:1000:
";

pub const SHADOW: &str = "root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
sync:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
alice:$y$j9T$salt$hash:19000:0:90:7:::
";

const GSHADOW: &str = "root:*::\nshadow:*::\nalice:!::\n";

const LOGIN_DEFS: &str = "# login.defs
UID_MIN 1000
PASS_MAX_DAYS 365
PASS_MIN_DAYS 1
ENCRYPT_METHOD YESCRYPT
ENV_SUPATH PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
";

const BASE_PACKAGES: &[&str] = &["base-files", "login", "passwd", "apt"];

impl Fixture {
    /// An empty root.
    pub fn empty() -> Self {
        Fixture { dir: tempfile::tempdir().unwrap(), packages: RefCell::default() }
    }

    /// A minimal Debian-like root on which the account and permission checks pass.
    pub fn debian() -> Self {
        let f = Fixture::empty();
        for dir in
            ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/etc/apt/apt.conf.d"]
        {
            f.mkdir(dir, 0o755);
        }
        f.mkdir("/root", 0o700);
        f.mkdir("/home/alice", 0o750);
        f.chown("/home/alice", 1000, 1000);
        f.write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
        f.write("/etc/passwd", PASSWD).write("/etc/passwd-", PASSWD);
        f.write("/etc/group", GROUP).write("/etc/group-", GROUP);
        for (path, text) in
            [("/etc/shadow", SHADOW), ("/etc/shadow-", SHADOW), ("/etc/gshadow", GSHADOW), ("/etc/gshadow-", GSHADOW)]
        {
            f.write_mode(path, text, 0o640);
            f.chown(path, 0, 42);
        }
        f.write("/etc/login.defs", LOGIN_DEFS);
        f.write("/etc/shells", "/bin/sh\n/bin/bash\n/usr/bin/bash\n");
        f.install(BASE_PACKAGES);
        f
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn path(&self, path: &str) -> PathBuf {
        self.dir.path().join(path.trim_start_matches('/'))
    }

    /// Writes a file with mode 0644, creating its folders.
    pub fn write(&self, path: &str, text: &str) -> &Self {
        self.write_mode(path, text, 0o644)
    }

    pub fn write_mode(&self, path: &str, text: &str, mode: u32) -> &Self {
        self.write_bytes(path, text.as_bytes(), mode)
    }

    pub fn write_bytes(&self, path: &str, bytes: &[u8], mode: u32) -> &Self {
        let p = self.path(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        self.chmod(path, mode)
    }

    pub fn mkdir(&self, path: &str, mode: u32) -> &Self {
        std::fs::create_dir_all(self.path(path)).unwrap();
        self.chmod(path, mode)
    }

    pub fn chmod(&self, path: &str, mode: u32) -> &Self {
        std::fs::set_permissions(self.path(path), std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    pub fn chown(&self, path: &str, uid: u32, gid: u32) -> &Self {
        chown(self.path(path), Some(uid), Some(gid)).unwrap();
        self
    }

    pub fn symlink(&self, path: &str, target: &str) -> &Self {
        let p = self.path(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&p);
        symlink(target, p).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        let p = self.path(path);
        if p.is_dir() {
            std::fs::remove_dir_all(p).unwrap()
        } else {
            std::fs::remove_file(p).unwrap()
        }
        self
    }

    /// Appends to a file.
    pub fn append(&self, path: &str, text: &str) -> &Self {
        let old = std::fs::read_to_string(self.path(path)).unwrap_or_default();
        let mode = std::fs::metadata(self.path(path)).map(|m| m.permissions().mode()).unwrap_or(0o644);
        self.write_mode(path, &(old + text), mode & 0o7777)
    }

    /// Adds packages to the dpkg database as installed.
    pub fn install(&self, names: &[&str]) -> &Self {
        self.packages.borrow_mut().extend(names.iter().map(|n| n.to_string()));
        let status: String = self
            .packages
            .borrow()
            .iter()
            .map(|n| format!("Package: {n}\nStatus: install ok installed\nVersion: 1.0\n\n"))
            .collect();
        self.write("/var/lib/dpkg/status", &status)
    }

    /// Enables a systemd unit the way `systemctl enable` does.
    pub fn enable(&self, unit: &str) -> &Self {
        self.symlink(
            &format!("/etc/systemd/system/multi-user.target.wants/{unit}"),
            &format!("/usr/lib/systemd/system/{unit}"),
        )
    }

    /// Installs openssh-server with this sshd_config (mode 0600).
    pub fn sshd(&self, config: &str) -> &Self {
        self.install(&["openssh-server"]);
        self.write_mode("/etc/ssh/sshd_config", config, 0o600)
    }

    pub fn target(&self) -> Target {
        Target::root(self.root())
    }

    pub fn run(&self, id: &str) -> CheckResult {
        run_selected(&self.target(), &[id]).unwrap().pop().unwrap()
    }
}
