//! Applying a policy to a host, all or nothing, with a snapshot of what it changed; confirming
//! it or reverting it when no confirmation comes in time; rolling back to any snapshot; and the
//! drift between an applied policy and the host.
//!
//! State lives in the host's state folder: one JSON file per snapshot (`snapshots/ID.json`),
//! `pending.json` while an apply waits for confirmation (the boot unit does not load the
//! firewall while it exists), and `state.json`, which says what Parapet last left the host as,
//! so that a rollback can tell whether someone else changed it since. Every change is made under
//! an exclusive lock on `lock`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::firewall;
use crate::host::{self, Entry, Host, HostError, Tree};
use crate::policy::{Policy, PolicyError, UnitAction};
use crate::roles::{Protocol, RoleBook};

#[derive(Debug, thiserror::Error)]
pub enum HardenError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(
        "the policy would block the connection it is applied through ({0}): open it (admin_networks or an allow entry), or pass --force"
    )]
    Management(String),
    #[error("an apply is waiting for confirmation (snapshot {0}): confirm it, roll it back, or wait for it to revert")]
    Pending(String),
    #[error("nothing is waiting for confirmation")]
    NothingPending,
    #[error("snapshot {0} was not confirmed in time and has been reverted")]
    TooLate(String),
    #[error("no snapshot {0:?}: `parapet harden rollback --list` shows them")]
    NoSnapshot(String),
    #[error("there is nothing to roll back: no policy was applied since the last rollback")]
    NothingToRollBack,
    #[error("the host changed since parapet harden last changed it ({0}); --force restores the snapshot anyway")]
    ChangedSince(String),
    #[error("applying failed, and the host is as it was: {0}")]
    Failed(Box<HardenError>),
    #[error("applying failed ({failure}), and so did restoring the snapshot {snapshot}: {restore}")]
    RestoreFailed { failure: Box<HardenError>, snapshot: String, restore: Box<HardenError> },
    #[error("{}: {message}", path.display())]
    State { path: std::path::PathBuf, message: String },
}

/// Time, injectable so that tests can let a confirmation window pass at once.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    fn sleep(&self, duration: Duration);
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A unit the apply disabled or masked, and how it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitChange {
    pub unit: String,
    pub action: UnitAction,
    /// Its unit file state before (`enabled`, `disabled`, ...).
    pub was: String,
    /// Running before: started again by a rollback.
    pub was_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallState {
    /// `nft list ruleset` before: what a rollback puts back byte for byte.
    pub before: String,
    pub before_stateless: String,
    pub after_stateless: String,
    /// Parapet's table as nft printed it once loaded: what drift compares.
    pub table: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStatus {
    /// Applied; reverted unless confirmed before the deadline.
    Pending {
        deadline_ms: i64,
    },
    Confirmed,
    /// Not confirmed in time (or interrupted): put back.
    Reverted,
    RolledBack,
}

/// One apply: the policy, the host's state before and after, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub taken_ms: i64,
    pub policy: String,
    pub files_before: Tree,
    pub files_after: Tree,
    pub firewall: Option<FirewallState>,
    pub units: Vec<UnitChange>,
    /// Live kernel settings before (the running system only).
    pub sysctl_before: BTreeMap<String, String>,
    pub status: SnapshotStatus,
}

/// What Parapet last left the host as: after an apply, or before a snapshot rolled back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    left: Option<Left>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Left {
    snapshot: String,
    after: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    snapshot: String,
    deadline_ms: i64,
}

/// The connection an operator applies the policy through (from `SSH_CONNECTION`): refused
/// when the policy would cut it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Management {
    pub client: IpAddr,
    pub port: u16,
}

impl Management {
    /// `SSH_CONNECTION`'s "client port server port".
    pub fn from_ssh_connection(value: &str) -> Option<Management> {
        let fields: Vec<&str> = value.split_whitespace().collect();
        let [client, _, _, port] = fields.as_slice() else { return None };
        Some(Management { client: client.parse().ok()?, port: port.parse().ok()? })
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Reverted unless confirmed within this long; `None` keeps the change at once.
    pub confirm_within: Option<Duration>,
    pub force: bool,
    pub management: Option<Management>,
}

/// The outcome of a wait for confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    Confirmed,
    Reverted,
}

struct Lock(#[allow(dead_code)] std::fs::File);

fn lock(host: &Host) -> Result<Lock, HardenError> {
    std::fs::create_dir_all(host.state.join("snapshots")).map_err(|e| state_error(&host.state, e))?;
    let path = host.state.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| state_error(&path, e))?;
    file.lock().map_err(|e| state_error(&path, e))?;
    Ok(Lock(file))
}

fn state_error(path: &Path, error: impl std::fmt::Display) -> HardenError {
    HardenError::State { path: path.to_owned(), message: error.to_string() }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, HardenError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| state_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(state_error(path, e)),
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), HardenError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| state_error(path, e))?;
    host::write_entry(path, &Entry::file(0o600, &bytes)).map_err(HardenError::from)
}

fn snapshot_path(host: &Host, id: &str) -> std::path::PathBuf {
    host.state.join("snapshots").join(format!("{id}.json"))
}

fn save(host: &Host, snapshot: &Snapshot) -> Result<(), HardenError> {
    write_json(&snapshot_path(host, &snapshot.id), snapshot)
}

/// Every snapshot, oldest first.
pub fn snapshots(host: &Host) -> Result<Vec<Snapshot>, HardenError> {
    let dir = host.state.join("snapshots");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(state_error(&dir, e)),
    };
    let mut all = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| state_error(&dir, e))?.path();
        if path.extension().is_some_and(|x| x == "json") {
            all.extend(read_json::<Snapshot>(&path)?);
        }
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(all)
}

fn new_id(host: &Host, now_ms: i64) -> String {
    let seconds = now_ms.div_euclid(1000);
    let stamp = jiff::Timestamp::from_second(seconds)
        .map_or_else(|_| seconds.to_string(), |t| t.strftime("%Y%m%dT%H%M%SZ").to_string());
    (1..)
        .map(|n| if n == 1 { stamp.clone() } else { format!("{stamp}-{n}") })
        .find(|id| !snapshot_path(host, id).exists())
        .expect("some suffix is free")
}

/// The boot unit that loads the policy's firewall, unless an apply still waits for
/// confirmation.
fn boot_unit() -> String {
    format!(
        "# Written by parapet harden apply: loads the hardening policy's firewall at boot.\n\
         [Unit]\n\
         Description=Parapet hardening policy firewall\n\
         DefaultDependencies=no\n\
         Before=network-pre.target\n\
         Wants=network-pre.target\n\
         ConditionPathExists=!/{}/pending.json\n\n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart=/usr/sbin/nft -f /{}\n\n\
         [Install]\n\
         WantedBy=sysinit.target\n",
        host::STATE_DIR,
        host::RULESET_FILE
    )
}

fn settings_file(header: &str, settings: &BTreeMap<String, String>, separator: &str) -> Vec<u8> {
    let mut text = format!("# Written by parapet harden apply: {header}\n");
    for (key, value) in settings {
        text.push_str(&format!("{key}{separator}{value}\n"));
    }
    text.into_bytes()
}

/// The files a policy writes, by path relative to the root.
fn policy_files(policy: &Policy, book: &RoleBook, table: &str) -> Vec<(String, Entry)> {
    let (sysctl, sshd) = policy.settings(book);
    let mut files = vec![
        (host::SYSCTL_FILE.to_owned(), Entry::file(0o644, &settings_file("kernel settings", &sysctl, " = "))),
        (
            host::RULESET_FILE.to_owned(),
            Entry::file(0o644, format!("#!/usr/sbin/nft -f\n{}", firewall::replace_script(table)).as_bytes()),
        ),
        (format!("etc/systemd/system/{}", host::BOOT_UNIT), Entry::file(0o644, boot_unit().as_bytes())),
        (
            format!("etc/systemd/system/sysinit.target.wants/{}", host::BOOT_UNIT),
            Entry::Link { target: format!("/etc/systemd/system/{}", host::BOOT_UNIT) },
        ),
    ];
    if !sshd.is_empty() {
        files.push((host::SSHD_FILE.to_owned(), Entry::file(0o644, &settings_file("sshd settings", &sshd, " "))));
    }
    files
}

/// The units a policy stops: the known ones present, no chosen role needs, and not kept.
pub fn unit_plan(policy: &Policy, book: &RoleBook, unit_files: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let needed = policy.needed_units(book);
    book.known_units()
        .into_iter()
        .filter(|unit| !needed.contains(unit))
        .filter_map(|unit| {
            let state = unit_files.get(unit)?;
            let act = match policy.unneeded_units {
                UnitAction::Disable => state.starts_with("enabled"),
                UnitAction::Mask => !state.starts_with("masked"),
            };
            act.then(|| (unit.to_owned(), state.clone()))
        })
        .collect()
}

/// Whether the policy's firewall lets the management connection in.
fn lets_in(policy: &Policy, book: &RoleBook, management: &Management) -> Result<bool, PolicyError> {
    Ok(policy.openings(book)?.iter().any(|o| {
        o.port.protocol == Protocol::Tcp
            && o.port.port == management.port
            && o.from.as_ref().is_none_or(|nets| nets.iter().any(|n| n.contains(&management.client)))
    }))
}

/// Reverts an apply whose confirmation window passed while nothing waited for it (the waiting
/// process was killed, or the machine rebooted): every command starts with this.
pub fn revert_expired(host: &Host, clock: &dyn Clock) -> Result<Option<String>, HardenError> {
    let pending_path = host.state.join("pending.json");
    if !pending_path.exists() {
        return Ok(None);
    }
    let _lock = lock(host)?;
    let Some(pending) = read_json::<Pending>(&pending_path)? else { return Ok(None) };
    if clock.now_ms() < pending.deadline_ms {
        return Ok(None);
    }
    restore_locked(host, &pending.snapshot, true, SnapshotStatus::Reverted)?;
    Ok(Some(pending.snapshot))
}

/// Applies a policy: snapshot, files, units, firewall and kernel settings; on any failure the
/// snapshot is put back before the error returns.
pub fn apply(
    host: &Host,
    book: &RoleBook,
    policy: &Policy,
    options: &ApplyOptions,
    clock: &dyn Clock,
) -> Result<Snapshot, HardenError> {
    policy.check(book)?;
    if let (Some(management), true, false) = (&options.management, host.live_firewall, options.force)
        && !lets_in(policy, book, management)?
    {
        return Err(HardenError::Management(format!("TCP from {} to port {}", management.client, management.port)));
    }
    revert_expired(host, clock)?;
    let _lock = lock(host)?;
    if let Some(pending) = read_json::<Pending>(&host.state.join("pending.json"))? {
        return Err(HardenError::Pending(pending.snapshot));
    }
    let table = firewall::render(&policy.openings(book)?);
    let unit_files = host.known_unit_files(book)?;
    let plan = unit_plan(policy, book, &unit_files);
    let (sysctl, _) = policy.settings(book);

    let now = clock.now_ms();
    let firewall = if host.live_firewall {
        let before = host.ruleset()?;
        let before_stateless = host.ruleset_stateless()?;
        Some(FirewallState { before, before_stateless, after_stateless: String::new(), table: String::new() })
    } else {
        None
    };
    let running = host.running_units()?.unwrap_or_default();
    let mut snapshot = Snapshot {
        id: new_id(host, now),
        taken_ms: now,
        policy: policy.to_toml(),
        files_before: host.managed_files()?,
        files_after: Tree::default(),
        firewall,
        units: plan
            .iter()
            .map(|(unit, was)| UnitChange {
                unit: unit.clone(),
                action: policy.unneeded_units,
                was: was.clone(),
                was_active: running.contains(unit),
            })
            .collect(),
        sysctl_before: if host.is_live() {
            sysctl.keys().filter_map(|k| host.sysctl(k).map(|v| (k.clone(), v))).collect()
        } else {
            BTreeMap::new()
        },
        status: match options.confirm_within {
            Some(window) => SnapshotStatus::Pending {
                deadline_ms: now.saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX)),
            },
            None => SnapshotStatus::Confirmed,
        },
    };
    // Saved before the first change, so that even a crash midway leaves a way back.
    save(host, &snapshot)?;
    if let SnapshotStatus::Pending { deadline_ms } = snapshot.status {
        write_json(&host.state.join("pending.json"), &Pending { snapshot: snapshot.id.clone(), deadline_ms })?;
    }
    match change(host, book, policy, &table, &mut snapshot) {
        Ok(()) => {
            save(host, &snapshot)?;
            write_json(
                &host.state.join("state.json"),
                &State { left: Some(Left { snapshot: snapshot.id.clone(), after: true }) },
            )?;
            Ok(snapshot)
        }
        Err(failure) => {
            let _ = std::fs::remove_file(host.state.join("pending.json"));
            let outcome = undo(host, std::slice::from_ref(&snapshot));
            let _ = std::fs::remove_file(snapshot_path(host, &snapshot.id));
            match outcome {
                Ok(()) => Err(HardenError::Failed(Box::new(failure))),
                Err(restore) => Err(HardenError::RestoreFailed {
                    failure: Box::new(failure),
                    snapshot: snapshot.id,
                    restore: Box::new(restore),
                }),
            }
        }
    }
}

/// The changes themselves, in an order that fails early: files, units, then what is live.
fn change(
    host: &Host,
    book: &RoleBook,
    policy: &Policy,
    table: &str,
    snapshot: &mut Snapshot,
) -> Result<(), HardenError> {
    for (path, entry) in policy_files(policy, book, table) {
        host::write_entry(&host.path(&path), &entry)?;
    }
    let now = host.systemd_running();
    for change in &snapshot.units {
        let mut args = vec![change.action.as_str()];
        if now {
            args.push("--now");
        }
        args.push(&change.unit);
        host.systemctl(&args)?;
    }
    if now {
        host.systemctl(&["daemon-reload"])?;
    }
    if let Some(firewall) = &mut snapshot.firewall {
        host.nft_load(&firewall::replace_script(table))?;
        firewall.after_stateless = host.ruleset_stateless()?;
        firewall.table = host.own_table()?.unwrap_or_default();
    }
    if host.is_live() {
        let (sysctl, sshd) = policy.settings(book);
        for (key, value) in &sysctl {
            if snapshot.sysctl_before.contains_key(key) {
                host.set_sysctl(key, value)?;
            }
        }
        if now && !sshd.is_empty() && policy.roles.iter().any(|r| r == "ssh") {
            host.systemctl(&["try-reload-or-restart", "ssh.service"])?;
        }
    }
    snapshot.files_after = host.managed_files()?;
    Ok(())
}

/// Puts back the state before the first of `undone` (oldest first): files, then the units
/// they stopped, the ruleset and the kernel settings.
fn undo(host: &Host, undone: &[Snapshot]) -> Result<(), HardenError> {
    let Some(first) = undone.first() else { return Ok(()) };
    first.files_before.restore(&host.root, &host.managed_files()?)?;
    if host.systemd_running() {
        host.systemctl(&["daemon-reload"])?;
        for change in undone.iter().flat_map(|s| &s.units).filter(|c| c.was_active) {
            host.systemctl(&["start", &change.unit])?;
        }
    }
    if let Some(firewall) = undone.iter().find_map(|s| s.firewall.as_ref())
        && host.live_firewall
    {
        host.nft_load(&firewall::restore_script(&firewall.before))?;
    }
    let mut sysctl = BTreeMap::new();
    for snapshot in undone.iter().rev() {
        sysctl.extend(snapshot.sysctl_before.clone());
    }
    if host.is_live() {
        for (key, value) in &sysctl {
            host.set_sysctl(key, value)?;
        }
    }
    Ok(())
}

/// Confirms the apply that waits: it stays.
pub fn confirm(host: &Host, clock: &dyn Clock) -> Result<String, HardenError> {
    if let Some(reverted) = revert_expired(host, clock)? {
        return Err(HardenError::TooLate(reverted));
    }
    let _lock = lock(host)?;
    let pending_path = host.state.join("pending.json");
    let Some(pending) = read_json::<Pending>(&pending_path)? else { return Err(HardenError::NothingPending) };
    let mut snapshot = read_json::<Snapshot>(&snapshot_path(host, &pending.snapshot))?
        .ok_or_else(|| HardenError::NoSnapshot(pending.snapshot.clone()))?;
    snapshot.status = SnapshotStatus::Confirmed;
    save(host, &snapshot)?;
    std::fs::remove_file(&pending_path).map_err(|e| state_error(&pending_path, e))?;
    Ok(snapshot.id)
}

/// Waits for `confirm` (from another session, or `confirmed` returning true) until the
/// snapshot's deadline, then reverts; `interrupted` reverts at once.
pub fn wait_for_confirmation(
    host: &Host,
    clock: &dyn Clock,
    id: &str,
    interrupted: &dyn Fn() -> bool,
) -> Result<Waited, HardenError> {
    let pending_path = host.state.join("pending.json");
    loop {
        let pending = read_json::<Pending>(&pending_path)?;
        let Some(pending) = pending.filter(|p| p.snapshot == id) else {
            let snapshot = read_json::<Snapshot>(&snapshot_path(host, id))?;
            return Ok(match snapshot.map(|s| s.status) {
                Some(SnapshotStatus::Confirmed) => Waited::Confirmed,
                _ => Waited::Reverted,
            });
        };
        if interrupted() || clock.now_ms() >= pending.deadline_ms {
            let _lock = lock(host)?;
            // Confirmed between the read and the lock: it stays.
            if read_json::<Pending>(&pending_path)?.is_none() {
                continue;
            }
            restore_locked(host, id, true, SnapshotStatus::Reverted)?;
            return Ok(Waited::Reverted);
        }
        clock.sleep(Duration::from_millis(100));
    }
}

/// Rolls back to the state before snapshot `id` (the last applied one when `None`).
pub fn rollback(host: &Host, id: Option<&str>, force: bool, clock: &dyn Clock) -> Result<String, HardenError> {
    revert_expired(host, clock)?;
    let _lock = lock(host)?;
    let id = match id {
        Some(id) => id.to_owned(),
        None => snapshots(host)?
            .into_iter()
            .rev()
            .find(|s| matches!(s.status, SnapshotStatus::Confirmed | SnapshotStatus::Pending { .. }))
            .map(|s| s.id)
            .ok_or(HardenError::NothingToRollBack)?,
    };
    restore_locked(host, &id, force, SnapshotStatus::RolledBack)?;
    Ok(id)
}

/// Restores the state before snapshot `id`, undoing it and every later one still applied;
/// unless `force`, refuses when the host is not as Parapet last left it.
fn restore_locked(host: &Host, id: &str, force: bool, status: SnapshotStatus) -> Result<(), HardenError> {
    let all = snapshots(host)?;
    let Some(position) = all.iter().position(|s| s.id == id) else {
        return Err(HardenError::NoSnapshot(id.to_owned()));
    };
    if !force {
        check_unchanged(host, &all)?;
    }
    let undone: Vec<Snapshot> = all[position..]
        .iter()
        .filter(|s| !matches!(s.status, SnapshotStatus::Reverted | SnapshotStatus::RolledBack) || s.id == id)
        .cloned()
        .collect();
    undo(host, &undone)?;
    for mut snapshot in undone {
        if matches!(snapshot.status, SnapshotStatus::Confirmed | SnapshotStatus::Pending { .. }) {
            snapshot.status = status;
            save(host, &snapshot)?;
        }
    }
    let _ = std::fs::remove_file(host.state.join("pending.json"));
    write_json(&host.state.join("state.json"), &State { left: Some(Left { snapshot: id.to_owned(), after: false }) })
}

/// The files and ruleset Parapet last left, to compare with the host.
fn last_left(host: &Host, all: &[Snapshot]) -> Result<Option<(Tree, Option<String>)>, HardenError> {
    let state = read_json::<State>(&host.state.join("state.json"))?.unwrap_or_default();
    let Some(left) = state.left else { return Ok(None) };
    let Some(snapshot) = all.iter().find(|s| s.id == left.snapshot) else { return Ok(None) };
    Ok(Some(if left.after {
        (snapshot.files_after.clone(), snapshot.firewall.as_ref().map(|f| f.after_stateless.clone()))
    } else {
        (snapshot.files_before.clone(), snapshot.firewall.as_ref().map(|f| f.before_stateless.clone()))
    }))
}

fn check_unchanged(host: &Host, all: &[Snapshot]) -> Result<(), HardenError> {
    let Some((files, ruleset)) = last_left(host, all)? else { return Ok(()) };
    let now = host.managed_files()?;
    let changed = files.differences(&now);
    if !changed.is_empty() {
        let mut list = changed.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        if changed.len() > 5 {
            list.push_str(&format!(" and {} more", changed.len() - 5));
        }
        return Err(HardenError::ChangedSince(format!("files changed: {list}")));
    }
    if let (Some(ruleset), true) = (ruleset, host.live_firewall)
        && host.ruleset_stateless()? != ruleset
    {
        return Err(HardenError::ChangedSince("the nftables ruleset was changed by someone else".into()));
    }
    Ok(())
}

/// One way the host differs from its applied policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// `firewall`, `unit`, `file` or `exposed`.
    pub kind: String,
    pub subject: String,
    pub expected: String,
    pub found: String,
}

/// The applied policy and how the host drifted from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub snapshot: Option<String>,
    pub policy: Option<String>,
    pub pending_deadline_ms: Option<i64>,
    pub drift: Vec<Drift>,
}

/// The applied policy's expectations compared with the host now.
pub fn status(host: &Host, book: &RoleBook, clock: &dyn Clock) -> Result<Status, HardenError> {
    revert_expired(host, clock)?;
    let all = snapshots(host)?;
    let state = read_json::<State>(&host.state.join("state.json"))?.unwrap_or_default();
    let applied = state.left.filter(|l| l.after).and_then(|l| all.iter().find(|s| s.id == l.snapshot));
    let Some(snapshot) = applied else {
        return Ok(Status { snapshot: None, policy: None, pending_deadline_ms: None, drift: Vec::new() });
    };
    let policy = Policy::read(&snapshot.policy, book)?;
    let mut drift = Vec::new();
    let mut push = |kind: &str, subject: &str, expected: &str, found: &str| {
        drift.push(Drift {
            kind: kind.into(),
            subject: subject.into(),
            expected: expected.into(),
            found: found.into(),
        });
    };
    if let (Some(firewall), true) = (&snapshot.firewall, host.live_firewall) {
        match host.own_table()? {
            None => push("firewall", &format!("table {}", firewall::TABLE), "loaded", "missing"),
            Some(table) if table != firewall.table => {
                push("firewall", &format!("table {}", firewall::TABLE), "as the policy renders it", "changed")
            }
            Some(_) => {}
        }
    }
    let unit_files = host.known_unit_files(book)?;
    for change in &snapshot.units {
        let found = unit_files.get(&change.unit).map_or("removed", String::as_str);
        let holds = match change.action {
            UnitAction::Disable => !found.starts_with("enabled"),
            UnitAction::Mask => found.starts_with("masked") || found == "removed",
        };
        if !holds {
            let expected = if change.action == UnitAction::Mask { "masked" } else { "disabled" };
            push("unit", &change.unit, expected, found);
        }
    }
    // Known services enabled since, which the policy would stop.
    for (unit, state) in unit_plan(&policy, book, &unit_files) {
        if !snapshot.units.iter().any(|c| c.unit == unit) {
            push("unit", &unit, policy.unneeded_units.as_str(), &state);
        }
    }
    let now = host.managed_files()?;
    for (path, entry) in policy_files(&policy, book, &firewall::render(&policy.openings(book)?)) {
        if now.0.get(&path) != Some(&entry) {
            push(
                "file",
                &format!("/{path}"),
                "as the policy writes it",
                if now.0.contains_key(&path) { "changed" } else { "missing" },
            );
        }
    }
    let pending_deadline_ms = match snapshot.status {
        SnapshotStatus::Pending { deadline_ms } => Some(deadline_ms),
        _ => None,
    };
    Ok(Status {
        snapshot: Some(snapshot.id.clone()),
        policy: Some(snapshot.policy.clone()),
        pending_deadline_ms,
        drift,
    })
}
