//! The OASIS CSAF 2.0 validator test cases (`validator-2.0/testcases.json`): a file listed as
//! failing test X gets a problem of test X at the test's level (errors for mandatory, warnings
//! for optional, infos for informative); a file listed as valid gets no error at all, and no
//! problem of its own test.

use std::collections::{BTreeMap, BTreeSet};

use parapet_csaf::{Problem, Report, validate_str};
use serde_json::Value;

use crate::shared;

/// Tests this validator does not run, with the reason. The test fails when one of them starts
/// passing, so the list only shrinks.
const NOT_YET: &[(&str, &str)] = &[
    ("6.3.6", "resolving URLs needs the network"),
    ("6.3.7", "resolving URLs needs the network"),
    ("6.3.8", "spell checking needs dictionaries"),
];

/// Per group of tests: how many files the validator judges as `testcases.json` does, of how
/// many. Exact, so that a change in either direction shows.
const AGREEMENT: [(&str, usize, usize); 3] = [("mandatory", 62, 62), ("optional", 28, 28), ("informative", 18, 21)];

fn level<'a>(report: &'a Report, group: &str) -> &'a [Problem] {
    match group {
        "mandatory" => &report.errors,
        "optional" => &report.warnings,
        _ => &report.infos,
    }
}

#[test]
fn oasis_cases() {
    let folder = shared("validator-2.0");
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(folder.join("testcases.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut failing_tests = BTreeSet::new();
    let mut agreement: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for test in cases["tests"].as_array().unwrap() {
        let id = test["id"].as_str().unwrap();
        let group = test["group"].as_str().unwrap();
        let files = test["failures"].as_array().into_iter().flatten().map(|f| (f, false));
        let files = files.chain(test["valid"].as_array().into_iter().flatten().map(|f| (f, true)));
        for (file, valid) in files {
            let name = file["name"].as_str().unwrap();
            let text = std::fs::read_to_string(folder.join(name)).unwrap();
            let report = validate_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let own: Vec<&Problem> = level(&report, group).iter().filter(|p| p.test == id).collect();
            let problem = if valid {
                report
                    .errors
                    .first()
                    .or(own.first().copied())
                    .map(|p| format!("valid, but {} at {}: {}", p.test, p.path, p.message))
            } else if own.is_empty() {
                let others: BTreeSet<&str> = report.errors.iter().map(|p| p.test).collect();
                Some(format!("invalid, but no {group} problem of {id} (errors from {others:?})"))
            } else {
                None
            };
            let tally = agreement.entry(group).or_default();
            tally.1 += 1;
            match problem {
                Some(problem) => {
                    failing_tests.insert(id);
                    failures.push(format!("{id:<10} {name:<55} {problem}"));
                }
                None => tally.0 += 1,
            }
        }
    }
    for (group, (agree, total)) in &agreement {
        println!("OASIS {group} cases: {agree} of {total} as expected");
    }
    for failure in &failures {
        println!("{failure}");
    }
    let not_yet: BTreeSet<&str> = NOT_YET.iter().map(|(id, _)| *id).collect();
    let unexpected: Vec<&String> =
        failures.iter().filter(|f| !not_yet.contains(f.split_whitespace().next().unwrap())).collect();
    let now_passing: Vec<&&str> = not_yet.iter().filter(|id| !failing_tests.contains(**id)).collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures:\n{}",
        unexpected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    assert!(now_passing.is_empty(), "remove from NOT_YET, these pass now: {now_passing:?}");
    for (group, agree, total) in AGREEMENT {
        assert_eq!(agreement.get(group).copied(), Some((agree, total)), "{group} cases (as expected, of)");
    }
}
