//! Apply, confirm-or-revert and rollback on a root folder with real `systemctl --root`, the
//! confirmation window passed by a controllable clock.

use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use parapet_harden::apply::{self, Waited};
use parapet_harden::{ApplyOptions, Clock, Host, Policy, RoleBook, SnapshotStatus};

/// Time that passes only when someone sleeps.
struct ManualClock(Cell<i64>);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
    fn sleep(&self, duration: Duration) {
        self.0.set(self.0.get() + i64::try_from(duration.as_millis()).unwrap());
    }
}

/// A root with three enabled services: a web server, a database and a print server.
fn root_with_units(root: &Path) {
    // Where packages put their units; enabling links them from etc/systemd/system.
    let units = root.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    for unit in ["nginx.service", "postgresql.service", "cups.service"] {
        std::fs::write(units.join(unit), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
            .unwrap();
        let status = Command::new("systemctl")
            .arg(format!("--root={}", root.display()))
            .args(["enable", unit])
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    }
}

fn unit_states(host: &Host) -> Vec<String> {
    host.known_unit_files(&RoleBook::builtin()).unwrap().into_iter().map(|(u, s)| format!("{u} {s}")).collect()
}

#[test]
fn without_confirmation_the_previous_state_is_back() {
    let temp = tempfile::tempdir().unwrap();
    root_with_units(temp.path());
    let host = Host::new(temp.path(), Some(false));
    let book = RoleBook::builtin();
    let policy =
        Policy::read("version = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.0.0.0/8\"]\n", &book).unwrap();
    let before = host.managed_files().unwrap();
    let clock = ManualClock(Cell::new(1_800_000_000_000));
    let options = ApplyOptions { confirm_within: Some(Duration::from_secs(120)), ..ApplyOptions::default() };
    let snapshot = apply::apply(&host, &book, &policy, &options, &clock).unwrap();
    assert_eq!(
        unit_states(&host),
        [
            "cups.service disabled",
            "nginx.service enabled",
            "parapet-harden.service enabled",
            "postgresql.service disabled"
        ]
    );
    assert!(host.path("etc/sysctl.d/90-parapet-harden.conf").exists());
    assert!(
        std::fs::read_to_string(host.path("etc/ssh/sshd_config.d/00-parapet-harden.conf"))
            .unwrap()
            .contains("PasswordAuthentication no")
    );
    // A second apply waits for the first.
    let error = apply::apply(&host, &book, &policy, &options, &clock).unwrap_err();
    assert!(error.to_string().contains("waiting for confirmation"), "{error}");

    // Nobody confirms: two minutes pass, and everything is as it was.
    assert_eq!(apply::wait_for_confirmation(&host, &clock, &snapshot.id, &|| false).unwrap(), Waited::Reverted);
    assert!(clock.now_ms() >= 1_800_000_120_000);
    assert_eq!(host.managed_files().unwrap(), before);
    assert_eq!(unit_states(&host), ["cups.service enabled", "nginx.service enabled", "postgresql.service enabled"]);
    let error = apply::confirm(&host, &clock).unwrap_err();
    assert_eq!(error.to_string(), "nothing is waiting for confirmation");
    assert_eq!(apply::snapshots(&host).unwrap()[0].status, SnapshotStatus::Reverted);
}

#[test]
fn a_confirmed_policy_stays_shows_drift_and_rolls_back_exactly() {
    let temp = tempfile::tempdir().unwrap();
    root_with_units(temp.path());
    let host = Host::new(temp.path(), Some(false));
    let book = RoleBook::builtin();
    let web = Policy::read("version = 1\nroles = [\"web\"]\n", &book).unwrap();
    let masked = Policy::read("version = 1\nroles = [\"web\", \"postgresql\"]\nadmin_networks = [\"10.0.0.0/8\"]\nunneeded_units = \"mask\"\n", &book).unwrap();
    let clock = ManualClock(Cell::new(1_800_000_000_000));
    let before = host.managed_files().unwrap();
    let options = ApplyOptions { confirm_within: Some(Duration::from_secs(60)), ..ApplyOptions::default() };
    let first = apply::apply(&host, &book, &web, &options, &clock).unwrap();
    assert_eq!(apply::confirm(&host, &clock).unwrap(), first.id);
    assert_eq!(apply::wait_for_confirmation(&host, &clock, &first.id, &|| false).unwrap(), Waited::Confirmed);
    assert_eq!(apply::status(&host, &book, &clock).unwrap().drift, []);

    // Someone enables the database again: drift, and a rollback refuses without --force.
    Command::new("systemctl")
        .arg(format!("--root={}", temp.path().display()))
        .args(["enable", "postgresql.service"])
        .output()
        .unwrap();
    let drift = apply::status(&host, &book, &clock).unwrap().drift;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (drift[0].subject.as_str(), drift[0].expected.as_str(), drift[0].found.as_str()),
        ("postgresql.service", "disabled", "enabled")
    );
    let error = apply::rollback(&host, None, false, &clock).unwrap_err();
    assert!(
        error.to_string().contains("files changed: etc/systemd/system/multi-user.target.wants/postgresql.service"),
        "{error}"
    );
    Command::new("systemctl")
        .arg(format!("--root={}", temp.path().display()))
        .args(["disable", "postgresql.service"])
        .output()
        .unwrap();

    // A second policy on top masks; rolling back to the first snapshot undoes both.
    let after_first = host.managed_files().unwrap();
    let second = apply::apply(&host, &book, &masked, &ApplyOptions::default(), &clock).unwrap();
    assert_eq!(
        unit_states(&host),
        [
            "cups.service masked",
            "nginx.service enabled",
            "parapet-harden.service enabled",
            "postgresql.service disabled"
        ]
    );
    assert_eq!(apply::rollback(&host, None, false, &clock).unwrap(), second.id);
    assert_eq!(host.managed_files().unwrap(), after_first);
    assert_eq!(apply::rollback(&host, Some(&first.id), false, &clock).unwrap(), first.id);
    assert_eq!(host.managed_files().unwrap(), before);
    let error = apply::rollback(&host, None, false, &clock).unwrap_err();
    assert!(error.to_string().contains("nothing to roll back"), "{error}");
}

#[test]
fn a_failure_midway_leaves_the_host_as_it_was() {
    let temp = tempfile::tempdir().unwrap();
    root_with_units(temp.path());
    let mut host = Host::new(temp.path(), Some(true));
    host.nft = "/nonexistent/nft".into();
    let book = RoleBook::builtin();
    let policy = Policy::read("version = 1\nroles = [\"web\"]\n", &book).unwrap();
    let before = host.managed_files().unwrap();
    let clock = ManualClock(Cell::new(0));
    let error = apply::apply(&host, &book, &policy, &ApplyOptions::default(), &clock).unwrap_err();
    assert!(error.to_string().contains("nft is not installed: install nftables"), "{error}");
    // The ruleset could not even be read: nothing was touched.
    assert_eq!(host.managed_files().unwrap(), before);
    // nft present but refusing the ruleset (`false` as nft): files and units are put back.
    host.nft = "/bin/true".into();
    let mut failing = host.clone();
    failing.nft = "/bin/false".into();
    let error = apply::apply(&failing, &book, &policy, &ApplyOptions::default(), &clock).unwrap_err();
    assert!(error.to_string().contains("`/bin/false list ruleset` failed"), "{error}");
    assert_eq!(host.managed_files().unwrap(), before);
    assert_eq!(apply::snapshots(&host).unwrap(), []);
}
