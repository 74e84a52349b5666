//! The one walk of the whole file system that the world-writable, unowned and SUID/SGID checks
//! share.
//!
//! It skips `/proc`, `/sys`, `/dev` and `/run` of the target, never follows symbolic links and,
//! on the live host, does not cross into other file systems (a mount point itself is still
//! seen). Folders are read by a few threads sharing a stack of folders to visit, because the
//! cost is one `statx` per entry and a busy host has hundreds of thousands of them.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use crate::target::Target;

const SKIPPED: [&str; 4] = ["proc", "sys", "dev", "run"];
/// Findings kept per kind; beyond that only the count grows.
pub const KEEP: usize = 1000;
const MAX_THREADS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Path inside the target.
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Findings of one kind: the first [`KEEP`] in path order, and how many there were.
#[derive(Debug, Default, Clone)]
pub struct Findings {
    pub items: Vec<Found>,
    pub total: usize,
}

impl Findings {
    fn push(&mut self, f: Found) {
        self.total += 1;
        if self.items.len() < KEEP {
            self.items.push(f);
        }
    }

    fn merge(&mut self, other: Findings) {
        self.total += other.total;
        self.items.extend(other.items);
    }

    fn finish(&mut self) {
        self.items.sort_by(|a, b| a.path.cmp(&b.path));
        self.items.truncate(KEEP);
    }
}

#[derive(Debug, Default)]
pub struct Walk {
    /// World-writable folders without the sticky bit.
    pub writable_dirs: Findings,
    /// World-writable regular files.
    pub writable_files: Findings,
    /// Entries whose owner is not in the target's passwd or whose group is not in its group file;
    /// `None` when the target has no passwd or group file to compare with.
    pub unowned: Option<Findings>,
    /// Regular files with the set-user-ID or set-group-ID bit.
    pub setid: Findings,
    /// Folders that could not be read.
    pub errors: Vec<String>,
    pub entries: usize,
}

struct Queue {
    dirs: Vec<PathBuf>,
    busy: usize,
}

struct Shared<'a> {
    root: &'a Path,
    target: &'a Target,
    /// The device of the root on the live host; entries on other devices are not descended.
    device: Option<u64>,
    uids: Option<HashSet<u32>>,
    gids: Option<HashSet<u32>>,
    queue: Mutex<Queue>,
    wake: Condvar,
}

pub fn walk(target: &Target, uids: Option<HashSet<u32>>, gids: Option<HashSet<u32>>) -> Walk {
    let root = target.root_dir();
    let device = if target.is_live() { fs::symlink_metadata(root).ok().map(|m| m.dev()) } else { None };
    let (uids, gids) = match (uids, gids) {
        (Some(u), Some(g)) => (Some(u), Some(g)),
        _ => (None, None),
    };
    let shared = Shared {
        root,
        target,
        device,
        uids,
        gids,
        queue: Mutex::new(Queue { dirs: vec![root.to_path_buf()], busy: 0 }),
        wake: Condvar::new(),
    };
    // Twice the cores: a thread blocked on a cold disk read leaves its core to another.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() * 2).clamp(2, MAX_THREADS);
    let parts: Vec<Walk> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| worker(&shared))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut out = Walk { unowned: shared.uids.as_ref().map(|_| Findings::default()), ..Walk::default() };
    for part in parts {
        out.writable_dirs.merge(part.writable_dirs);
        out.writable_files.merge(part.writable_files);
        out.setid.merge(part.setid);
        if let (Some(all), Some(mine)) = (out.unowned.as_mut(), part.unowned) {
            all.merge(mine);
        }
        out.errors.extend(part.errors);
        out.entries += part.entries;
    }
    out.writable_dirs.finish();
    out.writable_files.finish();
    out.setid.finish();
    if let Some(u) = out.unowned.as_mut() {
        u.finish();
    }
    out.errors.sort();
    out
}

fn worker(shared: &Shared) -> Walk {
    let mut mine = Walk { unowned: shared.uids.as_ref().map(|_| Findings::default()), ..Walk::default() };
    let mut found_dirs = Vec::new();
    loop {
        let dir = {
            let mut q = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(d) = q.dirs.pop() {
                    q.busy += 1;
                    break d;
                }
                if q.busy == 0 {
                    shared.wake.notify_all();
                    return mine;
                }
                q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        visit(shared, &dir, &mut mine, &mut found_dirs);
        let mut q = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.busy -= 1;
        let more = !found_dirs.is_empty();
        q.dirs.append(&mut found_dirs);
        if more || q.busy == 0 {
            shared.wake.notify_all();
        }
    }
}

fn visit(shared: &Shared, dir: &Path, out: &mut Walk, subdirs: &mut Vec<PathBuf>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => {
            out.errors.push(format!("{}: {e}", shared.target.inside(dir)));
            return;
        }
    };
    let at_root = dir == shared.root;
    for entry in entries {
        let Ok(entry) = entry else { continue };
        if at_root && SKIPPED.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        // DirEntry::metadata is an lstat relative to the open folder: symbolic links are not followed.
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.errors.push(format!("{}: {e}", shared.target.inside(&entry.path())));
                continue;
            }
        };
        out.entries += 1;
        let mode = meta.permissions().mode();
        let found = || Found {
            path: shared.target.inside(&entry.path()),
            mode: mode & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        };
        if let (Some(uids), Some(gids), Some(unowned)) = (&shared.uids, &shared.gids, out.unowned.as_mut())
            && (!uids.contains(&meta.uid()) || !gids.contains(&meta.gid()))
        {
            unowned.push(found());
        }
        let kind = meta.file_type();
        if kind.is_dir() {
            if mode & 0o002 != 0 && mode & 0o1000 == 0 {
                out.writable_dirs.push(found());
            }
            if shared.device.is_none_or(|d| d == meta.dev()) {
                subdirs.push(entry.path());
            }
        } else if kind.is_file() {
            if mode & 0o002 != 0 {
                out.writable_files.push(found());
            }
            if mode & 0o6000 != 0 {
                out.setid.push(found());
            }
        }
    }
}
