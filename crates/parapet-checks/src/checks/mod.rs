//! The catalogue: one table of checks per area, each row metadata plus the function that decides.

mod accounts;
mod banners;
mod filesystem;
mod firewall;
mod kernel;
mod network;
mod perms;
mod services;
mod ssh;
mod sysctl;
mod updates;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::sync::LazyLock;

use crate::{CheckInfo, Context};

/// Evidence lines shown for a long list of findings; the rest are counted.
const SHOWN: usize = 50;

pub(crate) fn all() -> &'static [CheckInfo] {
    static ALL: LazyLock<Vec<CheckInfo>> = LazyLock::new(|| {
        [
            ssh::CHECKS,
            accounts::CHECKS,
            perms::CHECKS,
            kernel::CHECKS,
            network::CHECKS,
            firewall::CHECKS,
            updates::CHECKS,
            filesystem::CHECKS,
            services::CHECKS,
            banners::CHECKS,
        ]
        .concat()
    });
    &ALL
}

/// At most [`SHOWN`] lines, then one line counting the rest (of `total`, which may exceed the
/// lines given when only some were kept).
pub(crate) fn capped(mut lines: Vec<String>, total: usize) -> Vec<String> {
    let total = total.max(lines.len());
    lines.truncate(SHOWN);
    if total > lines.len() {
        lines.push(format!("… and {} more", total - lines.len()));
    }
    lines
}

/// Who may own a file and how open it may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Perm {
    /// Permission bits allowed at most (e.g. 0o640): any bit outside is a failure.
    pub max_mode: u32,
    /// Allowed owner names (looked up in the target's passwd; `root` is always UID 0).
    pub owners: &'static [&'static str],
    /// Allowed group names (looked up in the target's group file; `root` is always GID 0).
    pub groups: &'static [&'static str],
}

pub(crate) const ROOT_ONLY: &[&str] = &["root"];

/// How `path` (following symbolic links inside the target) compares with `perm`: `None` when it
/// does not exist, else whether it complies and the evidence.
pub(crate) fn check_perm(ctx: &Context, path: &str, perm: Perm) -> Result<Option<(bool, String)>, String> {
    let Some(meta) = ctx.metadata(path)? else { return Ok(None) };
    let mode = meta.permissions().mode() & 0o7777;
    let (uid, gid) = (meta.uid(), meta.gid());
    let mut problems = Vec::new();
    let extra = mode & !perm.max_mode;
    if extra != 0 {
        problems.push(format!("mode allows {:04o} beyond {:04o}", extra, perm.max_mode));
    }
    let uid_ok = perm.owners.iter().any(|o| if *o == "root" { uid == 0 } else { ctx.uid_of(o) == Some(uid) });
    if !uid_ok {
        problems.push(format!("owner must be {}", perm.owners.join(" or ")));
    }
    let gid_ok = perm.groups.iter().any(|g| if *g == "root" { gid == 0 } else { ctx.gid_of(g) == Some(gid) });
    if !gid_ok {
        problems.push(format!("group must be {}", perm.groups.join(" or ")));
    }
    let mut evidence = format!("{path}: mode {mode:04o}, owner {}, group {}", ctx.user_name(uid), ctx.group_name(gid));
    if !problems.is_empty() {
        evidence.push_str(&format!(" ({})", problems.join("; ")));
    }
    Ok(Some((problems.is_empty(), evidence)))
}

/// Evaluates several paths against one rule: the outcome over those that exist, with `missing`
/// deciding when none does.
pub(crate) fn check_perms(
    ctx: &Context,
    paths: &[String],
    perm: Perm,
    missing: impl FnOnce() -> crate::Outcome,
) -> Result<crate::Outcome, String> {
    let mut evidence = Vec::new();
    let mut ok = true;
    let mut seen = false;
    for path in paths {
        if let Some((good, line)) = check_perm(ctx, path, perm)? {
            seen = true;
            ok &= good;
            evidence.push(line);
        }
    }
    if !seen {
        return Ok(missing());
    }
    Ok(if ok { crate::Outcome::pass(evidence) } else { crate::Outcome::fail(evidence) })
}

/// Where a package check stands when the target has no dpkg database.
pub(crate) const NO_DPKG: &str = "no dpkg database (/var/lib/dpkg/status): not a Debian-like system";

/// Installed packages among `names`, or `None` without a dpkg database.
pub(crate) fn installed_among(ctx: &Context, names: &[&str]) -> Result<Option<Vec<String>>, String> {
    let Some(packages) = ctx.packages()? else { return Ok(None) };
    Ok(Some(names.iter().filter(|n| packages.contains(n)).map(|n| n.to_string()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capping() {
        let lines = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        assert_eq!(capped(lines(3), 3).len(), 3);
        assert_eq!(capped(lines(3), 10).last().unwrap(), "… and 7 more");
        let c = capped(lines(60), 60);
        assert_eq!((c.len(), c.last().unwrap().as_str()), (51, "… and 10 more"));
    }
}
