//! One table per test of section 6, written from the test's wording in the specification: the
//! minimal valid document of `base`, changed so that it passes or fails that test, each case
//! named by what it checks. A failing case must get a problem of its test at the test's level
//! (6.1 errors, 6.2 warnings, 6.3 infos); a passing case must not, and a passing case of a
//! mandatory test must be a valid document.

use parapet_csaf::{Problem, validate};
use serde_json::{Value, json};

use crate::{base, set};

const FAILS: bool = true;
const PASSES: bool = false;

const DAY1: &str = "2024-01-01T00:00:00Z";
const DAY2: &str = "2024-01-02T00:00:00Z";

#[track_caller]
fn rule(test: &str, cases: &[(&str, Value, bool)]) {
    let mut wrong = Vec::new();
    for (name, doc, fails) in cases {
        let report = validate(doc);
        let level = match test.get(..4) {
            Some("6.1.") => &report.errors,
            Some("6.2.") => &report.warnings,
            _ => &report.infos,
        };
        let own: Vec<&Problem> = level.iter().filter(|p| p.test == test).collect();
        if *fails && own.is_empty() {
            wrong.push(format!("{name}: expected {test}, got {report:#?}"));
        } else if !*fails && !own.is_empty() {
            wrong.push(format!("{name}: unexpected {own:#?}"));
        } else if !*fails && test.starts_with("6.1.") && !report.errors.is_empty() {
            wrong.push(format!("{name}: passes {test} but is invalid: {:#?}", report.errors));
        }
    }
    assert!(wrong.is_empty(), "{test}:\n{}", wrong.join("\n"));
}

/// The base document with this revision history (date, number) and document version.
fn history(items: &[(&str, &str)], version: &str) -> Value {
    let items: Vec<Value> =
        items.iter().map(|(date, number)| json!({"date": date, "number": number, "summary": "A version."})).collect();
    let doc = set(base(), "/document/tracking/revision_history", json!(items));
    set(doc, "/document/tracking/version", json!(version))
}

/// Histories in any array order whose version is the highest number of the latest date: valid
/// under 6.1.14 and 6.1.16 alike, which read the history sorted by date, then by number.
fn sorted_histories() -> Vec<(&'static str, Value, bool)> {
    vec![
        ("numbers ascend with the dates", history(&[(DAY1, "1"), (DAY2, "2")], "2"), PASSES),
        ("reverse array order, numbers ascend with the dates", history(&[(DAY2, "2"), (DAY1, "1")], "2"), PASSES),
        ("same date, numbers ascending in the array", history(&[(DAY1, "1"), (DAY1, "2")], "2"), PASSES),
        ("same date, numbers descending in the array", history(&[(DAY1, "2"), (DAY1, "1")], "2"), PASSES),
        (
            "same date, semantic versions descending in the array",
            history(&[(DAY1, "2.0.0"), (DAY1, "1.0.0")], "2.0.0"),
            PASSES,
        ),
        (
            "same instant in two time zones, numbers descending in the array",
            history(&[("2024-01-01T01:00:00+01:00", "2"), (DAY1, "1")], "2"),
            PASSES,
        ),
    ]
}

#[test]
fn sorted_revision_history_6_1_14() {
    let cases = [
        ("1.10.0 comes after 1.9.0", history(&[(DAY1, "1.9.0"), (DAY2, "1.10.0")], "1.10.0"), PASSES),
        ("later date, lower number", history(&[(DAY1, "2"), (DAY2, "1")], "1"), FAILS),
        ("later date, lower minor version", history(&[(DAY1, "1.1.0"), (DAY2, "1.0.0")], "1.0.0"), FAILS),
        (
            "three dates, the last two numbers swapped",
            history(&[(DAY1, "1"), (DAY2, "3"), ("2024-01-03T00:00:00Z", "2")], "2"),
            FAILS,
        ),
    ];
    rule("6.1.14", &[sorted_histories(), cases.into()].concat());
}

#[test]
fn latest_document_version_6_1_16() {
    let draft = |doc: Value| set(doc, "/document/tracking/status", json!("draft"));
    let cases = [
        ("build metadata of the version", history(&[(DAY1, "1.0.0"), (DAY2, "2.0.0")], "2.0.0+21AF26D3"), PASSES),
        (
            "build metadata of the version and the revision",
            history(&[(DAY1, "1.0.0"), (DAY2, "2.0.0+143D5")], "2.0.0+21AF26D3"),
            PASSES,
        ),
        ("pre-release of a draft", draft(history(&[(DAY1, "0.1.0"), (DAY2, "1.0.0")], "1.0.0-rc.1")), PASSES),
        ("version of an older revision", history(&[(DAY1, "1"), (DAY2, "2")], "1"), FAILS),
        ("same date, version is the lower number", history(&[(DAY1, "2"), (DAY1, "1")], "1"), FAILS),
        ("same date, version is the lower number, ascending", history(&[(DAY1, "1"), (DAY1, "2")], "1"), FAILS),
        ("pre-release of a final document", history(&[(DAY1, "1.0.0")], "1.0.0-rc.1"), FAILS),
    ];
    rule("6.1.16", &[sorted_histories(), cases.into()].concat());
}

/// The base document with a product below vendor → product_name → product_version `name`.
fn product_version(name: &str) -> Value {
    branches(&[("vendor", "Example"), ("product_name", "Product C"), ("product_version", name)])
}

/// The base document with product C below nested branches of these categories and names,
/// outermost first.
fn branches(levels: &[(&str, &str)]) -> Value {
    let (category, name) = levels.last().unwrap();
    let mut branch = json!({"category": category, "name": name, "product": {"name": "Product C", "product_id": "C"}});
    for (category, name) in levels.iter().rev().skip(1) {
        branch = json!({"category": category, "name": name, "branches": [branch]});
    }
    set(base(), "/product_tree/branches", json!([branch]))
}

#[test]
fn version_range_in_product_version_6_1_31() {
    let passes = ["4.2", "after-eight", "1.0.0-alpha", "PI AF Services 2016 R2 integrated install kit", "Smalltalk 80"];
    let passes = passes.map(|name| (name, product_version(name), PASSES));
    let fails = [
        "prior to 4.2",
        "<4.2",
        "<=1.2",
        ">2",
        ">=2.0",
        "4.2 and later",
        "after 4.2",
        "before 5",
        "earlier than 3.1",
        "All versions",
        "vers:all/*",
        "8.2 (all editions)",
        "versions 1 to 3",
    ];
    let fails = fails.map(|name| (name, product_version(name), FAILS));
    rule("6.1.31", &[passes.as_slice(), fails.as_slice()].concat());
}

#[test]
fn mixed_integer_and_semantic_versioning_6_1_30() {
    rule(
        "6.1.30",
        &[
            ("integer versions only", history(&[(DAY1, "1"), (DAY2, "2")], "2"), PASSES),
            ("semantic versions only", history(&[(DAY1, "1.0.0"), (DAY2, "2.0.0")], "2.0.0"), PASSES),
            ("one semantic version among integers", history(&[(DAY1, "1"), (DAY2, "2.0.0")], "2"), FAILS),
            (
                "both kinds on one date, in an order no comparison of numbers decides",
                history(&[(DAY1, "1"), (DAY1, "1.0.0"), (DAY1, "0"), (DAY1, "0.1.0"), (DAY2, "2")], "2"),
                FAILS,
            ),
        ],
    );
}
