//! File-system checks: the shared walk (world-writable, unowned, SUID/SGID) and /tmp mounting.

use parapet_model::Severity;

use super::capped;
use crate::facts::glob;
use crate::walk::{Findings, Found};
use crate::{Area, CheckInfo, Context, Outcome};

/// Set-user-ID and set-group-ID programs that Debian packages install on purpose. Patterns are
/// globs over the merged-/usr path; `*` stands for the multiarch triplet.
const EXPECTED_SETID: &[&str] = &[
    "/usr/bin/at",
    "/usr/bin/bsd-write",
    "/usr/bin/chage",
    "/usr/bin/chfn",
    "/usr/bin/chsh",
    "/usr/bin/crontab",
    "/usr/bin/dotlock.mailutils",
    "/usr/bin/dotlockfile",
    "/usr/bin/expiry",
    "/usr/bin/fusermount",
    "/usr/bin/fusermount3",
    "/usr/bin/gpasswd",
    "/usr/bin/ksu",
    "/usr/bin/lockfile",
    "/usr/bin/mlocate",
    "/usr/bin/mount",
    "/usr/bin/mutt_dotlock",
    "/usr/bin/newgidmap",
    "/usr/bin/newgrp",
    "/usr/bin/newuidmap",
    "/usr/bin/ntfs-3g",
    "/usr/bin/passwd",
    "/usr/bin/ping",
    "/usr/bin/pkexec",
    "/usr/bin/plocate",
    "/usr/bin/procmail",
    "/usr/bin/ssh-agent",
    "/usr/bin/su",
    "/usr/bin/sudo",
    "/usr/bin/sudoedit",
    "/usr/bin/umount",
    "/usr/bin/wall",
    "/usr/bin/write",
    "/usr/bin/write.ul",
    "/usr/lib/chromium/chrome-sandbox",
    "/usr/lib/dbus-1.0/dbus-daemon-launch-helper",
    "/usr/lib/eject/dmcrypt-get-device",
    "/usr/lib/openssh/ssh-keysign",
    "/usr/lib/policykit-1/polkit-agent-helper-1",
    "/usr/lib/polkit-1/polkit-agent-helper-1",
    "/usr/lib/sm.bin/sendmail",
    "/usr/lib/snapd/snap-confine",
    "/usr/lib/spice-gtk/spice-client-glib-usb-acl-helper",
    "/usr/lib/xorg/Xorg.wrap",
    "/usr/lib/*/utempter/utempter",
    "/usr/lib/*/lxc/lxc-user-nic",
    "/usr/libexec/polkit-agent-helper-1",
    "/usr/sbin/exim4",
    "/usr/sbin/mount.cifs",
    "/usr/sbin/mount.nfs",
    "/usr/sbin/pam_extrausers_chkpwd",
    "/usr/sbin/postdrop",
    "/usr/sbin/postqueue",
    "/usr/sbin/pppd",
    "/usr/sbin/unix_chkpwd",
];

pub(super) const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "PPC-FS-001",
        title: "World-writable folders have the sticky bit",
        area: Area::FileSystem,
        severity: Severity::Moderate,
        rationale: "In a world-writable folder without the sticky bit any user can delete or rename other users' \
                    files, for example to replace a file a privileged program will open.",
        remediation: "Run `chmod o-w <folder>`, or `chmod +t <folder>` if it must stay shared.",
        references: &["CIS Debian 12 7.1.11", "chmod(1)"],
        run: writable_dirs,
    },
    CheckInfo {
        id: "PPC-FS-002",
        title: "No regular file is world-writable",
        area: Area::FileSystem,
        severity: Severity::Moderate,
        rationale: "Any user can change a world-writable file: scripts, configuration and data others rely on.",
        remediation: "Run `chmod o-w <file>` for each file listed.",
        references: &["CIS Debian 12 7.1.11", "chmod(1)"],
        run: writable_files,
    },
    CheckInfo {
        id: "PPC-FS-003",
        title: "Every file has an owner and a group that exist",
        area: Area::FileSystem,
        severity: Severity::Moderate,
        rationale: "Files owned by a UID or GID missing from passwd or group are leftovers of removed accounts or \
                    unpacked archives; whoever is next given that ID owns them.",
        remediation: "Give each file listed an existing owner and group with `chown <user>:<group> <file>`, or \
                      remove it.",
        references: &["CIS Debian 12 7.1.12", "chown(1)"],
        run: unowned,
    },
    CheckInfo {
        id: "PPC-FS-004",
        title: "Only expected programs are set-user-ID or set-group-ID",
        area: Area::FileSystem,
        severity: Severity::Important,
        rationale: "A set-user-ID or set-group-ID program runs with its owner's or group's rights; one that is not \
                    part of the distribution's known list may be a backdoor or an unreviewed way to root.",
        remediation: "Verify each program listed (`dpkg -S <file>`, `debsums`); remove the bit with `chmod u-s,g-s \
                      <file>` when it is not needed.",
        references: &["CIS Debian 12 7.1.13", "chmod(1)"],
        run: setid,
    },
    CheckInfo {
        id: "PPC-FS-005",
        title: "/tmp is a separate file system",
        area: Area::FileSystem,
        severity: Severity::Low,
        rationale: "A separate /tmp (usually tmpfs) cannot fill the root file system and can carry nodev, nosuid \
                    and noexec.",
        remediation: "Run `systemctl enable tmp.mount` (Debian ships /usr/share/systemd/tmp.mount: copy it to \
                      /etc/systemd/system first) or add a tmpfs line for /tmp to /etc/fstab.",
        references: &["CIS Debian 12 1.1.2.1.1", "fstab(5)", "systemd.mount(5)"],
        run: tmp_separate,
    },
    CheckInfo {
        id: "PPC-FS-006",
        title: "/tmp is mounted with nodev",
        area: Area::FileSystem,
        severity: Severity::Low,
        rationale: "nodev stops users from creating device files in /tmp that give raw access to disks or memory.",
        remediation: "Add nodev to the /tmp options in /etc/fstab or in Options= of tmp.mount, then remount.",
        references: &["CIS Debian 12 1.1.2.1.2", "mount(8)"],
        run: |ctx| tmp_option(ctx, "nodev"),
    },
    CheckInfo {
        id: "PPC-FS-007",
        title: "/tmp is mounted with nosuid",
        area: Area::FileSystem,
        severity: Severity::Low,
        rationale: "nosuid stops set-user-ID programs planted in /tmp from gaining their owner's rights.",
        remediation: "Add nosuid to the /tmp options in /etc/fstab or in Options= of tmp.mount, then remount.",
        references: &["CIS Debian 12 1.1.2.1.3", "mount(8)"],
        run: |ctx| tmp_option(ctx, "nosuid"),
    },
    CheckInfo {
        id: "PPC-FS-008",
        title: "/tmp is mounted with noexec",
        area: Area::FileSystem,
        severity: Severity::Low,
        rationale: "noexec stops programs from being run straight from /tmp, a common step of exploits that can \
                    write files but not elsewhere.",
        remediation: "Add noexec to the /tmp options in /etc/fstab or in Options= of tmp.mount, then remount.",
        references: &["CIS Debian 12 1.1.2.1.4", "mount(8)"],
        run: |ctx| tmp_option(ctx, "noexec"),
    },
];

fn describe(f: &Found) -> String {
    format!("{}: mode {:04o}, owner {}, group {}", f.path, f.mode, f.uid, f.gid)
}

/// Findings from the walk, noting folders it could not read; when it found nothing but could not
/// read everything, the answer is not known.
fn from_walk(ctx: &Context, findings: &Findings, label: impl Fn(&Found) -> String, ok: &str) -> Outcome {
    let walk = ctx.walk();
    let unread: Vec<String> = walk.errors.iter().map(|e| format!("could not read {e}")).collect();
    if findings.total == 0 && !unread.is_empty() {
        let total = unread.len();
        return Outcome::error(capped(unread, total));
    }
    if findings.total == 0 {
        return Outcome::pass(vec![format!("{ok} ({} entries examined)", walk.entries)]);
    }
    let lines: Vec<String> = findings.items.iter().map(label).collect();
    let mut out = capped(lines, findings.total);
    out.extend(unread.into_iter().take(10));
    Outcome::fail(out)
}

fn writable_dirs(ctx: &Context) -> Result<Outcome, String> {
    let walk = ctx.walk();
    Ok(from_walk(ctx, &walk.writable_dirs, describe, "no world-writable folder without the sticky bit"))
}

fn writable_files(ctx: &Context) -> Result<Outcome, String> {
    let walk = ctx.walk();
    Ok(from_walk(ctx, &walk.writable_files, describe, "no world-writable regular file"))
}

fn unowned(ctx: &Context) -> Result<Outcome, String> {
    let (Some(users), Some(groups)) = (ctx.passwd()?, ctx.group()?) else {
        return Ok(Outcome::na("no /etc/passwd or /etc/group to resolve owners against"));
    };
    let walk = ctx.walk();
    let Some(findings) = &walk.unowned else {
        return Ok(Outcome::na("no /etc/passwd or /etc/group to resolve owners against"));
    };
    let label = |f: &Found| {
        let mut what = Vec::new();
        if !users.iter().any(|u| u.uid == f.uid) {
            what.push(format!("UID {} has no user", f.uid));
        }
        if !groups.iter().any(|g| g.gid == f.gid) {
            what.push(format!("GID {} has no group", f.gid));
        }
        format!("{}: {}", f.path, what.join(", "))
    };
    Ok(from_walk(ctx, findings, label, "every file's UID and GID exist in /etc/passwd and /etc/group"))
}

/// Whether `path` is in the expected list, also under its pre-merged-/usr name (/bin, /sbin, /lib).
fn expected(path: &str) -> bool {
    let merged = if ["/bin/", "/sbin/", "/lib/"].iter().any(|p| path.starts_with(p)) {
        format!("/usr{path}")
    } else {
        path.to_owned()
    };
    EXPECTED_SETID.iter().any(|p| glob::matches(p, &merged))
}

fn setid(ctx: &Context) -> Result<Outcome, String> {
    let walk = ctx.walk();
    let label = |f: &Found| {
        let bits = match (f.mode & 0o4000 != 0, f.mode & 0o2000 != 0) {
            (true, true) => "setuid+setgid",
            (true, false) => "setuid",
            _ => "setgid",
        };
        format!(
            "{}: {bits}, mode {:04o}, owner {}, group {}",
            f.path,
            f.mode,
            ctx.user_name(f.uid),
            ctx.group_name(f.gid)
        )
    };
    let unexpected = Findings {
        items: walk.setid.items.iter().filter(|f| !expected(&f.path)).cloned().collect(),
        total: walk.setid.total - walk.setid.items.iter().filter(|f| expected(&f.path)).count(),
    };
    if unexpected.total > 0 || !walk.errors.is_empty() {
        return Ok(from_walk(ctx, &unexpected, label, ""));
    }
    let mut lines = vec![format!("{} set-user-ID or set-group-ID programs, all expected:", walk.setid.total)];
    lines.extend(walk.setid.items.iter().map(label));
    Ok(Outcome::pass(capped(lines, walk.setid.total + 1)))
}

fn tmp_separate(ctx: &Context) -> Result<Outcome, String> {
    let tmp = ctx.tmp_mount()?;
    let mut evidence = Vec::new();
    let ok = match &tmp.mount {
        Some(m) => {
            evidence.push(format!("{} ({})", m.evidence, m.fstype));
            true
        }
        None => {
            evidence.push(if ctx.live() {
                "/tmp is not a mount point (/proc/self/mounts)".into()
            } else {
                "/tmp is not configured as a mount: no entry in /etc/fstab, no tmp.mount unit".into()
            });
            false
        }
    };
    evidence.extend(tmp.notes.iter().cloned());
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

fn tmp_option(ctx: &Context, option: &str) -> Result<Outcome, String> {
    let tmp = ctx.tmp_mount()?;
    let Some(m) = &tmp.mount else {
        let mut evidence = vec![format!("/tmp is not a separate file system, so it cannot have {option}")];
        evidence.extend(tmp.notes.iter().cloned());
        return Ok(Outcome::fail(evidence));
    };
    let mut evidence = vec![m.evidence.clone()];
    evidence.extend(tmp.notes.iter().cloned());
    Ok(if m.has(option) {
        Outcome::pass(evidence)
    } else {
        evidence.insert(1, format!("{option} missing from options {}", m.options.join(",")));
        Outcome::fail(evidence)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline() {
        assert!(expected("/usr/bin/passwd"));
        assert!(expected("/bin/su"));
        assert!(expected("/usr/lib/x86_64-linux-gnu/utempter/utempter"));
        assert!(!expected("/usr/local/bin/passwd"));
        assert!(!expected("/tmp/su"));
    }
}
