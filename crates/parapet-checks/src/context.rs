//! The shared, lazily read view of a target that checks work on: each file is read once and each
//! configuration (accounts, sshd, sysctl, packages, the file-system walk…) is parsed once, the
//! first time a check asks for it.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::rc::Rc;

use crate::facts::apt::AptConfig;
use crate::facts::dpkg::Packages;
use crate::facts::glob;
use crate::facts::mounts::TmpMount;
use crate::facts::sshd::SshdConfig;
use crate::facts::sudoers::Sudoers;
use crate::facts::sysctl::SysctlConfig;
use crate::facts::systemd::Units;
use crate::facts::users::{Group, KeyValues, Passwd, Shadow};
use crate::facts::{apt, dpkg, mounts, sshd, sudoers, sysctl, systemd, users};
use crate::target::Target;
use crate::walk::{self, Walk};

type Lazy<T> = OnceCell<Result<T, String>>;
/// A file's text (`None` when it does not exist) or why it could not be read.
type FileText = Result<Option<Rc<str>>, String>;

pub(crate) struct Context<'t> {
    pub(crate) target: &'t Target,
    files: RefCell<HashMap<String, FileText>>,
    passwd: Lazy<Option<Vec<Passwd>>>,
    group: Lazy<Option<Vec<Group>>>,
    shadow: Lazy<Option<Vec<Shadow>>>,
    login_defs: Lazy<KeyValues>,
    os_id: Lazy<Option<String>>,
    sshd: Lazy<Option<SshdConfig>>,
    sysctl: Lazy<SysctlConfig>,
    packages: Lazy<Option<Packages>>,
    units: Lazy<Units>,
    apt: Lazy<Option<AptConfig>>,
    tmp: Lazy<TmpMount>,
    sudoers: Lazy<Option<Sudoers>>,
    walk: OnceCell<Walk>,
}

/// The reason a file could not be used, for evidence.
pub(crate) fn io_error(path: &str, e: &io::Error) -> String {
    let reason = match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::InvalidData => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    format!("cannot read {path}: {reason}")
}

fn missing(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

impl<'t> Context<'t> {
    pub(crate) fn new(target: &'t Target) -> Self {
        Context {
            target,
            files: RefCell::default(),
            passwd: OnceCell::new(),
            group: OnceCell::new(),
            shadow: OnceCell::new(),
            login_defs: OnceCell::new(),
            os_id: OnceCell::new(),
            sshd: OnceCell::new(),
            sysctl: OnceCell::new(),
            packages: OnceCell::new(),
            units: OnceCell::new(),
            apt: OnceCell::new(),
            tmp: OnceCell::new(),
            sudoers: OnceCell::new(),
            walk: OnceCell::new(),
        }
    }

    pub(crate) fn live(&self) -> bool {
        self.target.is_live()
    }

    /// The target's root folder on this machine.
    pub(crate) fn root_dir(&self) -> &std::path::Path {
        self.target.root_dir()
    }

    /// The text of `path` inside the target, `None` when it does not exist.
    pub(crate) fn read(&self, path: &str) -> FileText {
        if let Some(cached) = self.files.borrow().get(path) {
            return cached.clone();
        }
        let result = self.read_uncached(path);
        self.files.borrow_mut().insert(path.to_owned(), result.clone());
        result
    }

    fn read_uncached(&self, path: &str) -> FileText {
        let host = self.target.resolve(path).map_err(|e| io_error(path, &e))?;
        match std::fs::read(&host) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Some(Rc::from(text))),
                Err(_) => Err(format!("cannot read {path}: not valid UTF-8")),
            },
            Err(e) if missing(&e) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => Err(format!("cannot read {path}: is a folder")),
            Err(e) => Err(io_error(path, &e)),
        }
    }

    /// Metadata of `path` following symbolic links (inside the root), `None` when missing.
    pub(crate) fn metadata(&self, path: &str) -> Result<Option<Metadata>, String> {
        let host = self.target.resolve(path).map_err(|e| io_error(path, &e))?;
        match std::fs::metadata(host) {
            Ok(m) => Ok(Some(m)),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(io_error(path, &e)),
        }
    }

    /// The target of the symbolic link at `path`, `None` when it is not a link or is missing.
    pub(crate) fn read_link(&self, path: &str) -> Result<Option<String>, String> {
        let host = self.target.resolve_parent(path).map_err(|e| io_error(path, &e))?;
        match std::fs::read_link(host) {
            Ok(t) => Ok(Some(t.to_string_lossy().into_owned())),
            Err(e) if missing(&e) || e.kind() == io::ErrorKind::InvalidInput => Ok(None),
            Err(e) => Err(io_error(path, &e)),
        }
    }

    /// Whether both paths name the same existing file.
    pub(crate) fn same_file(&self, a: &str, b: &str) -> Result<bool, String> {
        use std::os::unix::fs::MetadataExt;
        Ok(match (self.metadata(a)?, self.metadata(b)?) {
            (Some(x), Some(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        })
    }

    pub(crate) fn exists(&self, path: &str) -> Result<bool, String> {
        Ok(self.metadata(path)?.is_some())
    }

    /// The entry names of folder `path`, sorted; `None` when it does not exist.
    pub(crate) fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, String> {
        let host = self.target.resolve(path).map_err(|e| io_error(path, &e))?;
        let entries = match std::fs::read_dir(&host) {
            Ok(entries) => entries,
            Err(e) if missing(&e) => return Ok(None),
            Err(e) => return Err(io_error(path, &e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(path, &e))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(Some(names))
    }

    /// The files of folder `dir` whose names match `pattern`, as paths inside the target.
    pub(crate) fn files_in(&self, dir: &str, pattern: &str) -> Result<Vec<String>, String> {
        let Some(names) = self.list_dir(dir)? else { return Ok(Vec::new()) };
        Ok(names
            .into_iter()
            .filter(|n| glob::matches(pattern, n))
            .map(|n| join(dir, &n))
            .filter(|p| self.metadata(p).ok().flatten().is_some_and(|m| m.is_file()))
            .collect())
    }

    /// Expands an absolute wildcard pattern inside the target like glob(3): sorted, and names
    /// starting with `.` only match a pattern that starts with `.`.
    pub(crate) fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        let mut current = vec![String::new()];
        for part in pattern.split('/').filter(|p| !p.is_empty()) {
            let mut next = Vec::new();
            for base in &current {
                if !glob::has_magic(part) {
                    next.push(format!("{base}/{part}"));
                    continue;
                }
                let dir = if base.is_empty() { "/" } else { base.as_str() };
                let Some(names) = self.list_dir(dir)? else { continue };
                for name in names {
                    if name.starts_with('.') && !part.starts_with('.') {
                        continue;
                    }
                    if glob::matches(part, &name) {
                        next.push(format!("{base}/{name}"));
                    }
                }
            }
            current = next;
        }
        let mut found = Vec::new();
        for path in current {
            if self.exists(&path)? {
                found.push(path);
            }
        }
        found.sort();
        Ok(found)
    }

    /// Reads a file of the running host's `/proc`; only meaningful on the live host.
    pub(crate) fn read_proc(&self, path: &str) -> Result<Option<String>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(io_error(path, &e)),
        }
    }

    pub(crate) fn passwd(&self) -> Result<Option<&[Passwd]>, String> {
        let v = get(&self.passwd, || Ok(self.read("/etc/passwd")?.map(|t| users::parse_passwd(&t))))?;
        Ok(v.as_deref())
    }

    pub(crate) fn group(&self) -> Result<Option<&[Group]>, String> {
        let v = get(&self.group, || Ok(self.read("/etc/group")?.map(|t| users::parse_group(&t))))?;
        Ok(v.as_deref())
    }

    pub(crate) fn shadow(&self) -> Result<Option<&[Shadow]>, String> {
        let v = get(&self.shadow, || Ok(self.read("/etc/shadow")?.map(|t| users::parse_shadow(&t))))?;
        Ok(v.as_deref())
    }

    /// `/etc/login.defs`, empty when absent (every setting then has its built-in default).
    pub(crate) fn login_defs(&self) -> Result<&KeyValues, String> {
        get(&self.login_defs, || {
            Ok(self.read("/etc/login.defs")?.map(|t| users::parse_login_defs(&t)).unwrap_or_default())
        })
    }

    /// The `ID` of os-release (`debian`, `ubuntu`…).
    pub(crate) fn os_id(&self) -> Result<Option<&str>, String> {
        let v = get(&self.os_id, || {
            for path in ["/etc/os-release", "/usr/lib/os-release"] {
                if let Some(text) = self.read(path)? {
                    return Ok(users::parse_shell_vars(&text).get("ID").map(|v| v.value.clone()));
                }
            }
            Ok(None)
        })?;
        Ok(v.as_deref())
    }

    /// A user name for `uid` from the target's passwd, for evidence.
    pub(crate) fn user_name(&self, uid: u32) -> String {
        match self.passwd() {
            Ok(Some(users)) => {
                users.iter().find(|u| u.uid == uid).map_or_else(|| format!("{uid}"), |u| format!("{} ({uid})", u.name))
            }
            _ => format!("{uid}"),
        }
    }

    pub(crate) fn group_name(&self, gid: u32) -> String {
        match self.group() {
            Ok(Some(groups)) => {
                groups.iter().find(|g| g.gid == gid).map_or_else(|| format!("{gid}"), |g| format!("{} ({gid})", g.name))
            }
            _ => format!("{gid}"),
        }
    }

    pub(crate) fn uid_of(&self, name: &str) -> Option<u32> {
        self.passwd().ok().flatten()?.iter().find(|u| u.name == name).map(|u| u.uid)
    }

    pub(crate) fn gid_of(&self, name: &str) -> Option<u32> {
        self.group().ok().flatten()?.iter().find(|g| g.name == name).map(|g| g.gid)
    }

    /// The effective sshd configuration, `None` when no sshd is installed.
    pub(crate) fn sshd(&self) -> Result<Option<&SshdConfig>, String> {
        Ok(get(&self.sshd, || sshd::load(self))?.as_ref())
    }

    pub(crate) fn sysctl(&self) -> Result<&SysctlConfig, String> {
        get(&self.sysctl, || sysctl::load(self))
    }

    /// Installed packages from the dpkg database, `None` when the target has none.
    pub(crate) fn packages(&self) -> Result<Option<&Packages>, String> {
        Ok(get(&self.packages, || Ok(self.read("/var/lib/dpkg/status")?.map(|t| dpkg::parse(&t))))?.as_ref())
    }

    /// Whether `name` is installed; `None` when there is no dpkg database to ask.
    pub(crate) fn installed(&self, name: &str) -> Result<Option<bool>, String> {
        Ok(self.packages()?.map(|p| p.contains(name)))
    }

    pub(crate) fn units(&self) -> Result<&Units, String> {
        get(&self.units, || systemd::load(self))
    }

    pub(crate) fn apt(&self) -> Result<Option<&AptConfig>, String> {
        Ok(get(&self.apt, || apt::load(self))?.as_ref())
    }

    pub(crate) fn tmp_mount(&self) -> Result<&TmpMount, String> {
        get(&self.tmp, || mounts::load_tmp(self))
    }

    pub(crate) fn sudoers(&self) -> Result<Option<&Sudoers>, String> {
        Ok(get(&self.sudoers, || sudoers::load(self))?.as_ref())
    }

    /// The one shared walk of the whole file system (see [`crate::walk`]). Owners are compared
    /// with the account databases when both can be read; the unowned check reports why not.
    pub(crate) fn walk(&self) -> &Walk {
        self.walk.get_or_init(|| {
            let uids = self.passwd().ok().flatten().map(|users| users.iter().map(|u| u.uid).collect());
            let gids = self.group().ok().flatten().map(|groups| groups.iter().map(|g| g.gid).collect());
            walk::walk(self.target, uids, gids)
        })
    }
}

fn get<T>(cell: &Lazy<T>, load: impl FnOnce() -> Result<T, String>) -> Result<&T, String> {
    cell.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// `dir/name` for paths inside the target.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") }
}
