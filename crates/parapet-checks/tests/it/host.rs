//! The checks against the machine running the tests.

use std::time::Instant;

use parapet_checks::{Status, Target, run};

#[test]
fn host_runs_without_panics() {
    let start = Instant::now();
    let results = run(&Target::host());
    let elapsed = start.elapsed();
    assert_eq!(results.len(), parapet_checks::checks().len());
    for r in &results {
        eprintln!("{} {:?} {}", r.info.id, r.status, r.evidence.join(" | "));
    }
    let panics: Vec<_> =
        results.iter().filter(|r| r.evidence.iter().any(|e| e.starts_with("check panicked"))).collect();
    assert!(panics.is_empty(), "checks panicked: {panics:#?}");
    for r in results.iter().filter(|r| r.status == Status::Error) {
        eprintln!("error (unreadable input is acceptable): {} {:?}", r.info.id, r.evidence);
    }
    eprintln!("run(&Target::host()) took {elapsed:?}");
}
