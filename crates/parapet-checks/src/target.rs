//! What is being checked: the running host or a root folder, and how a path inside it maps to
//! a path on this machine.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Symbolic links followed while resolving one path before giving up, as the kernel's limit.
const MAX_SYMLINKS: usize = 40;

/// The system the checks look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    root: PathBuf,
    live: bool,
}

impl Target {
    /// The running host: files under `/`, effective kernel settings from `/proc/sys`, sockets
    /// from `/proc/net`.
    pub fn host() -> Self {
        Target { root: PathBuf::from("/"), live: true }
    }

    /// A root folder (an unpacked container image, a debootstrap chroot), read as files only.
    pub fn root(dir: impl Into<PathBuf>) -> Self {
        Target { root: dir.into(), live: false }
    }

    pub fn root_dir(&self) -> &Path {
        &self.root
    }

    /// Whether this is the running host, whose `/proc` describes it.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Where `path`, absolute as seen inside the target, is on this machine. Inside a root
    /// folder symbolic links are resolved against the root, so an absolute link such as a
    /// container's `/etc/localtime -> /usr/share/zoneinfo/UTC` stays inside it, and `..` never
    /// climbs above it. A missing component ends resolution; opening the result then reports it.
    pub fn resolve(&self, path: &str) -> io::Result<PathBuf> {
        self.resolve_with(path, true)
    }

    /// Like [`Target::resolve`] but leaves the last component as it is, for `lstat`.
    pub(crate) fn resolve_parent(&self, path: &str) -> io::Result<PathBuf> {
        self.resolve_with(path, false)
    }

    fn resolve_with(&self, path: &str, follow_last: bool) -> io::Result<PathBuf> {
        if self.root == Path::new("/") {
            return Ok(PathBuf::from(path));
        }
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, Path::new(path));
        let mut resolved: Vec<OsString> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            let here = self.join(&resolved).join(&part);
            if pending.is_empty() && !follow_last {
                resolved.push(part);
                break;
            }
            match std::fs::symlink_metadata(&here) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(io::Error::other(format!("{path}: too many levels of symbolic links")));
                    }
                    let link = std::fs::read_link(&here)?;
                    if link.is_absolute() {
                        resolved.clear();
                    }
                    push_components(&mut pending, &link);
                }
                Ok(_) => resolved.push(part),
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                    resolved.push(part);
                    while let Some(rest) = pending.pop() {
                        resolved.push(rest);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(self.join(&resolved))
    }

    fn join(&self, parts: &[OsString]) -> PathBuf {
        let mut out = self.root.clone();
        out.extend(parts);
        out
    }

    /// The path inside the target for a path on this machine under the root.
    pub(crate) fn inside(&self, host_path: &Path) -> String {
        match host_path.strip_prefix(&self.root) {
            Ok(rel) => format!("/{}", String::from_utf8_lossy(rel.as_os_str().as_bytes())),
            Err(_) => host_path.display().to_string(),
        }
    }
}

/// Pushes the components of `path` onto a stack so that the first component pops first.
fn push_components(stack: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    stack.extend(parts.into_iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/share/zoneinfo")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/share/zoneinfo/UTC"), "tz").unwrap();
        symlink("/usr/share/zoneinfo/UTC", root.join("etc/localtime")).unwrap();
        symlink("../../../../../../etc/passwd", root.join("etc/escape")).unwrap();
        symlink("usr/lib", root.join("lib")).unwrap();
        std::fs::create_dir_all(root.join("usr/lib/sysctl.d")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();

        let t = Target::root(root);
        assert_eq!(t.resolve("/etc/localtime").unwrap(), root.join("usr/share/zoneinfo/UTC"));
        assert_eq!(t.resolve("/etc/escape").unwrap(), root.join("etc/passwd"));
        assert_eq!(t.resolve("/lib/sysctl.d").unwrap(), root.join("usr/lib/sysctl.d"));
        assert_eq!(t.resolve("/lib/missing/x").unwrap(), root.join("usr/lib/missing/x"));
        assert_eq!(t.resolve_parent("/etc/localtime").unwrap(), root.join("etc/localtime"));
        assert!(t.resolve("/loop1").is_err());
        assert_eq!(t.inside(&root.join("etc/passwd")), "/etc/passwd");
    }
}
