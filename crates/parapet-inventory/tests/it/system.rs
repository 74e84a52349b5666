//! This machine's dpkg status file, read by `parapet_inventory::dpkg` and checked against what
//! `dpkg-query` says about every package.

use parapet_inventory::dpkg::{self, State};
use std::collections::BTreeMap;
use std::process::Command;

const STATUS: &str = "/var/lib/dpkg/status";

#[test]
fn matches_dpkg_query() {
    let text = std::fs::read_to_string(STATUS)
        .unwrap_or_else(|e| panic!("cannot read {STATUS}: {e} (this test needs a Debian or Ubuntu machine)"));
    let output = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run dpkg-query: {e} (install it with `apt-get install dpkg`)"));
    assert!(output.status.success(), "dpkg-query failed: {}", String::from_utf8_lossy(&output.stderr));
    let expected: BTreeMap<(String, String), String> = String::from_utf8(output.stdout)
        .expect("dpkg-query writes UTF-8")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            ((fields[0].to_owned(), fields[2].to_owned()), line.to_owned())
        })
        .collect();

    let parsed = dpkg::parse(&text, STATUS);
    let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors, Vec::<String>::new());
    // `dpkg-query -W` leaves out purged packages.
    let got: BTreeMap<(String, String), String> = parsed
        .packages
        .iter()
        .filter(|p| p.status.state != State::NotInstalled)
        .map(|p| {
            let line = [p.name, p.version, p.arch, p.source, p.source_version, p.status.state.as_str()].join("\t");
            ((p.name.to_owned(), p.arch.to_owned()), line)
        })
        .collect();
    assert!(!got.is_empty(), "{STATUS} lists no packages");
    assert_eq!(
        got.len(),
        parsed.packages.iter().filter(|p| p.status.state != State::NotInstalled).count(),
        "a package appears twice"
    );
    for (key, line) in &expected {
        assert_eq!(got.get(key), Some(line), "{key:?}");
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "packages that dpkg-query does not list: {:?}",
        got.keys().filter(|k| !expected.contains_key(*k)).collect::<Vec<_>>()
    );
}
