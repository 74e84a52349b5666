//! Real documents: the OASIS examples and the CISA provider's documents are valid CSAF 2.0, and
//! the validator finds no error in them except the listed ones. Validating the largest takes
//! milliseconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use parapet_csaf::{validate, validate_str};
use serde_json::Value;

use crate::shared;

/// Real errors in these documents, as (test, text of the message, why it is an error of the
/// document and not of the validator, how many documents have it). A document whose errors all
/// match one of these counts as known invalid; the counts are exact, so a change shows.
const KNOWN_ERRORS: &[(&str, &str, &str, usize)] = &[
    (
        "6.1.31",
        "product version \"vers:all/*\"",
        "CISA names \"all versions\" as a vers range in a product_version branch; 6.1.31 refuses \"all\" there \
     (it belongs in a product_version_range branch)",
        174,
    ),
    (
        "6.1.31",
        "product version \"8.2 (all editions)\"",
        "\"all\" is one of 6.1.31's words: \"all editions\" names more than one product version",
        1,
    ),
];

/// How many documents fail each test (a document counts once per test), exact.
const FAILING: &[(&str, usize)] = &[("6.1.31", 175)];

/// The CSAF documents among these files, the OASIS examples and the CISA provider's:
/// 19 and 2,383.
const DOCUMENTS: usize = 2402;

fn json_files(folder: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn real_documents() {
    let mut files = Vec::new();
    json_files(&shared("examples"), &mut files);
    json_files(&shared("provider-cisa"), &mut files);
    files.sort();
    let (mut valid, mut documents) = (0, 0);
    let mut unexpected = Vec::new();
    let mut known = 0;
    let mut counts = vec![0; KNOWN_ERRORS.len()];
    let mut failing: BTreeMap<&str, usize> = BTreeMap::new();
    let mut largest = (0, PathBuf::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let document: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // ROLIE feeds, provider metadata and aggregators lie beside the documents.
        if document.pointer("/document/csaf_version").is_none() {
            continue;
        }
        documents += 1;
        if text.len() > largest.0 {
            largest = (text.len(), file.clone());
        }
        // 6.2.13, the one test that needs the text, gives no errors.
        let report = validate(&document);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if report.errors.is_empty() {
            valid += 1;
            continue;
        }
        let mut tests: Vec<&str> = report.errors.iter().map(|p| p.test).collect();
        tests.sort_unstable();
        tests.dedup();
        for test in tests {
            *failing.entry(test).or_default() += 1;
        }
        let known_error = |p: &parapet_csaf::Problem| {
            KNOWN_ERRORS.iter().position(|(test, text, _, _)| p.test == *test && p.message.contains(text))
        };
        if report.errors.iter().all(|p| known_error(p).is_some()) {
            let mut rules: Vec<usize> = report.errors.iter().filter_map(known_error).collect();
            rules.sort_unstable();
            rules.dedup();
            for rule in rules {
                counts[rule] += 1;
            }
            known += 1;
        } else {
            for p in report.errors.iter().filter(|p| known_error(p).is_none()).take(5) {
                unexpected.push(format!("{name}: {} at {}: {}", p.test, p.path, p.message));
            }
        }
    }
    println!("real documents: {valid} of {documents} valid, {known} with known errors only");
    for (test, count) in &failing {
        println!("  {test}: {count} documents");
    }
    assert_eq!(documents, DOCUMENTS, "CSAF documents found");
    for ((test, text, why, expected), found) in KNOWN_ERRORS.iter().zip(&counts) {
        assert_eq!(found, expected, "documents with {test} {text:?} ({why})");
    }
    assert!(unexpected.is_empty(), "{} problem(s):\n{}", unexpected.len(), unexpected.join("\n"));
    let expected: BTreeMap<&str, usize> = FAILING.iter().copied().collect();
    assert_eq!(failing, expected, "documents per failing test");

    let text = std::fs::read_to_string(&largest.1).unwrap();
    let start = Instant::now();
    validate_str(&text).unwrap();
    let elapsed = start.elapsed();
    println!("largest document {} ({} bytes): {elapsed:?}", largest.1.display(), largest.0);
}
