//! `cargo bench -p parapet-harden --bench apply`: analyze under 200 ms, apply plus automatic
//! revert under 2 s. Run it under `unshare -n` (as root) to include nftables: the firewall is
//! only loaded in a network namespace of the bench's own, never the host's.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use parapet_harden::apply::{self, Waited};
use parapet_harden::{ApplyOptions, Host, Policy, RoleBook, SystemClock};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn own_network_namespace() -> bool {
    let ns = |path: &str| std::fs::read_link(path).ok();
    ns("/proc/self/ns/net").is_some() && ns("/proc/self/ns/net") != ns("/proc/1/ns/net")
}

fn root_with_units(root: &Path) {
    let units = root.join("usr/lib/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    for unit in ["nginx.service", "postgresql.service", "cups.service", "avahi-daemon.service"] {
        std::fs::write(units.join(unit), "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
            .unwrap();
        let ok = Command::new("systemctl")
            .arg(format!("--root={}", root.display()))
            .args(["enable", unit])
            .output()
            .unwrap();
        assert!(ok.status.success());
    }
}

fn main() {
    let book = RoleBook::builtin();
    let live = own_network_namespace()
        && Command::new("nft").args(["list", "ruleset"]).output().is_ok_and(|o| o.status.success());
    let temp = tempfile::tempdir().unwrap();
    root_with_units(temp.path());
    let host = Host::new(temp.path(), Some(live));

    let live_host = Host::new(Path::new("/"), Some(false));
    let analyze: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            parapet_harden::analyze::analyze(&live_host, &book).unwrap();
            start.elapsed()
        })
        .collect();

    let policy =
        Policy::read("version = 1\nroles = [\"web\", \"ssh\"]\nadmin_networks = [\"10.0.0.0/8\"]\n", &book).unwrap();
    let options = ApplyOptions { confirm_within: Some(Duration::from_millis(1)), ..ApplyOptions::default() };
    let before = host.managed_files().unwrap();
    let cycle: Vec<Duration> = (0..10)
        .map(|_| {
            let start = Instant::now();
            let snapshot = apply::apply(&host, &book, &policy, &options, &SystemClock).unwrap();
            let outcome = apply::wait_for_confirmation(&host, &SystemClock, &snapshot.id, &|| false).unwrap();
            let elapsed = start.elapsed();
            assert_eq!(outcome, Waited::Reverted);
            assert_eq!(host.managed_files().unwrap(), before);
            elapsed
        })
        .collect();

    let (analyze, cycle) = (median(analyze), median(cycle));
    println!(
        "analyze (this host)              median {:>8.1} ms   goal 200 ms   ({:.2} of it)",
        analyze.as_secs_f64() * 1e3,
        analyze.as_secs_f64() / 0.2
    );
    println!(
        "apply + automatic revert ({})  median {:>8.1} ms   goal 2000 ms  ({:.2} of it)",
        if live { "nftables live" } else { "no nftables: run under unshare -n" },
        cycle.as_secs_f64() * 1e3,
        cycle.as_secs_f64() / 2.0
    );
}
