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

/// The base document with product A identified by file hashes of these algorithms.
fn file_hashes(algorithms: &[&str]) -> Value {
    let hashes: Vec<Value> = algorithms
        .iter()
        .enumerate()
        .map(|(i, algorithm)| json!({"algorithm": algorithm, "value": format!("{i:x}").repeat(64)}))
        .collect();
    let helper = json!({"hashes": [{"file_hashes": hashes, "filename": "product_a.so"}]});
    set(base(), "/product_tree/full_product_names/0/product_identification_helper", helper)
}

/// The base document with this product status of its vulnerability.
fn status(status: Value) -> Value {
    set(base(), "/vulnerabilities/0/product_status", status)
}

#[test]
fn unused_definition_of_product_id_6_2_1() {
    let relationship = |reference: &str| json!([{"category": "installed_on", "full_product_name": {"name": "D", "product_id": "D"}, "product_reference": reference, "relates_to_product_reference": "B"}]);
    let with_c = set(base(), "/product_tree/full_product_names/2", json!({"name": "Product C", "product_id": "C"}));
    let flag = |doc: Value, id: &str| {
        set(doc, "/vulnerabilities/0/flags", json!([{"label": "component_not_present", "product_ids": [id]}]))
    };
    let informational = set(with_c.clone(), "/document/category", json!("csaf_informational_advisory"));
    rule(
        "6.2.1",
        &[
            ("every product referenced", base(), PASSES),
            ("full product name never referenced", with_c.clone(), FAILS),
            ("product of a branch never referenced", product_version("4.2"), FAILS),
            (
                "product of a relationship never referenced",
                set(base(), "/product_tree/relationships", relationship("A")),
                FAILS,
            ),
            (
                "referenced only by a relationship",
                flag(set(with_c.clone(), "/product_tree/relationships", relationship("C")), "D"),
                PASSES,
            ),
            ("referenced only by a flag", flag(with_c, "C"), PASSES),
            ("never referenced in an informational advisory: skipped", informational, PASSES),
        ],
    );
}

#[test]
fn missing_remediation_6_2_2() {
    let remediation = |key: &str, ids: Value| {
        set(
            status(json!({"known_affected": ["A"]})),
            "/vulnerabilities/0/remediations",
            json!([{"category": "none_available", "details": "None.", key: ids}]),
        )
    };
    rule(
        "6.2.2",
        &[
            ("known affected without remediation", status(json!({"known_affected": ["A"]})), FAILS),
            ("first affected without remediation", status(json!({"first_affected": ["A"]})), FAILS),
            ("last affected without remediation", status(json!({"last_affected": ["A"]})), FAILS),
            ("under investigation without remediation", status(json!({"under_investigation": ["A"]})), FAILS),
            ("remediation none_available for the product", remediation("product_ids", json!(["A"])), PASSES),
            ("remediation through a group", remediation("group_ids", json!(["G"])), PASSES),
            ("fixed without remediation", status(json!({"fixed": ["A"]})), PASSES),
            ("known not affected without remediation", status(json!({"known_not_affected": ["A"]})), PASSES),
        ],
    );
}

/// A CVSS v3.1 score of 6.5 for these products, with these vector metrics and properties added.
fn score(products: &[&str], extra_metrics: &str, properties: Value) -> Value {
    let mut cvss = json!({
        "version": "3.1",
        "vectorString": format!("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H{extra_metrics}"),
        "baseScore": 6.5,
        "baseSeverity": "MEDIUM"
    });
    for (key, value) in properties.as_object().into_iter().flatten() {
        cvss[key] = value.clone();
    }
    json!({"products": products, "cvss_v3": cvss})
}

#[test]
fn missing_score_6_2_3() {
    let scored = set(
        status(json!({"known_affected": ["A"]})),
        "/vulnerabilities/0/scores",
        json!([score(&["A"], "", json!({}))]),
    );
    rule(
        "6.2.3",
        &[
            ("first affected without score", status(json!({"first_affected": ["A"]})), FAILS),
            ("known affected without score", status(json!({"known_affected": ["A"]})), FAILS),
            ("last affected without score", status(json!({"last_affected": ["A"]})), FAILS),
            ("known affected with a score", scored, PASSES),
            ("under investigation without score", status(json!({"under_investigation": ["A"]})), PASSES),
        ],
    );
}

#[test]
fn build_metadata_in_revision_history_6_2_4() {
    rule(
        "6.2.4",
        &[
            ("revision with build metadata", history(&[(DAY1, "1.0.0+exp.sha.ac00785")], "1.0.0"), FAILS),
            (
                "revisions without build metadata",
                history(&[(DAY1, "1.0.0"), (DAY2, "1.1.0")], "1.1.0+exp.sha.ac00785"),
                PASSES,
            ),
        ],
    );
}

#[test]
fn older_initial_release_date_than_revision_history_6_2_5() {
    let initial = |date: &str| set(base(), "/document/tracking/initial_release_date", json!(date));
    rule(
        "6.2.5",
        &[
            ("initial release before the oldest revision", initial("2023-12-31T23:59:59Z"), FAILS),
            ("initial release at the oldest revision", base(), PASSES),
            ("the same instant in another time zone", initial("2024-01-01T01:00:00+01:00"), PASSES),
            ("initial release after the oldest revision", initial("2024-01-01T12:00:00Z"), PASSES),
            (
                "oldest revision last in the array",
                set(
                    history(&[(DAY2, "2"), ("2023-12-01T00:00:00Z", "1")], "2"),
                    "/document/tracking/initial_release_date",
                    json!("2023-12-02T00:00:00Z"),
                ),
                PASSES,
            ),
        ],
    );
}

#[test]
fn older_current_release_date_than_revision_history_6_2_6() {
    let current = |date: &str| set(base(), "/document/tracking/current_release_date", json!(date));
    rule(
        "6.2.6",
        &[
            ("current release before the newest revision", current("2024-01-01T12:00:00Z"), FAILS),
            ("current release at the newest revision", base(), PASSES),
            ("the same instant in another time zone", current("2024-01-01T19:00:00-05:00"), PASSES),
            ("current release after the newest revision", current("2024-02-01T00:00:00Z"), PASSES),
            (
                "newest revision first in the array",
                set(
                    history(&[("2024-01-03T00:00:00Z", "2"), (DAY1, "1")], "2"),
                    "/document/tracking/current_release_date",
                    json!("2024-01-02T12:00:00Z"),
                ),
                FAILS,
            ),
        ],
    );
}

#[test]
fn missing_date_in_involvements_6_2_7() {
    let involvement = |value: Value| set(base(), "/vulnerabilities/0/involvements", json!([value]));
    rule(
        "6.2.7",
        &[
            ("involvement without date", involvement(json!({"party": "vendor", "status": "in_progress"})), FAILS),
            (
                "involvement with date",
                involvement(json!({"date": DAY1, "party": "vendor", "status": "in_progress"})),
                PASSES,
            ),
        ],
    );
}

#[test]
fn use_of_md5_or_sha1_as_the_only_hash_algorithm_6_2_8_and_6_2_9() {
    for (test, weak) in [("6.2.8", "md5"), ("6.2.9", "sha1")] {
        rule(
            test,
            &[
                ("the only algorithm", file_hashes(&[weak]), FAILS),
                ("twice, and no other algorithm", file_hashes(&[weak, weak]), FAILS),
                ("with sha256", file_hashes(&[weak, "sha256"]), PASSES),
                ("sha256 only", file_hashes(&["sha256"]), PASSES),
            ],
        );
    }
}

#[test]
fn missing_tlp_label_6_2_10() {
    let tlp = |label: &str| set(base(), "/document/distribution", json!({"tlp": {"label": label}}));
    rule(
        "6.2.10",
        &[
            ("no distribution", base(), FAILS),
            (
                "distribution without TLP",
                set(base(), "/document/distribution", json!({"text": "Distribute freely."})),
                FAILS,
            ),
            (
                "TLP without label",
                set(base(), "/document/distribution", json!({"tlp": {"url": "https://www.first.org/tlp/"}})),
                FAILS,
            ),
            ("label that is not a TLP label", tlp("CLEAR"), FAILS),
            ("label in lower case", tlp("white"), FAILS),
            ("WHITE", tlp("WHITE"), PASSES),
            ("GREEN", tlp("GREEN"), PASSES),
            ("AMBER", tlp("AMBER"), PASSES),
            ("RED", tlp("RED"), PASSES),
        ],
    );
}

#[test]
fn missing_canonical_url_6_2_11() {
    let reference = |category: &str, url: &str| {
        set(base(), "/document/references", json!([{"category": category, "summary": "This document.", "url": url}]))
    };
    let id = set(
        reference("self", "https://example.com/security/csaf/example_company_-_2019-yh3234.json"),
        "/document/tracking/id",
        json!("Example Company - 2019-YH3234"),
    );
    rule(
        "6.2.11",
        &[
            ("self, https, the file name", reference("self", "https://example.com/csaf/2024/ex-2024-001.json"), PASSES),
            ("an ID with characters to replace", id, PASSES),
            (
                "URL ending with the file name",
                reference("self", "https://example.com/csaf/2024/old-ex-2024-001.json"),
                PASSES,
            ),
            ("no references", base(), FAILS),
            ("external reference", reference("external", "https://example.com/csaf/2024/ex-2024-001.json"), FAILS),
            ("http", reference("self", "http://example.com/csaf/2024/ex-2024-001.json"), FAILS),
            ("the ID as it is", reference("self", "https://example.com/csaf/2024/EX-2024-001.json"), FAILS),
            ("another file name", reference("self", "https://example.com/csaf/2024/ex-2024-001_1.json"), FAILS),
            ("a query after the file name", reference("self", "https://example.com/ex-2024-001.json?v=2"), FAILS),
        ],
    );
}

#[test]
fn missing_document_language_6_2_12() {
    rule("6.2.12", &[("no language", set(base(), "/document/lang", Value::Null), FAILS), ("en", base(), PASSES)]);
}

#[test]
fn use_of_private_language_6_2_14() {
    let lang = |tag: &str| set(base(), "/document/lang", json!(tag));
    let source = |tag: &str| set(base(), "/document/source_lang", json!(tag));
    rule(
        "6.2.14",
        &[
            ("private language qtx", lang("qtx"), FAILS),
            ("private language qaa", lang("qaa"), FAILS),
            ("private script", lang("en-Qaaa"), FAILS),
            ("private region QM", lang("de-QM"), FAILS),
            ("private region XP", lang("en-XP"), FAILS),
            ("private region AA", lang("de-AA"), FAILS),
            ("private region ZZ", lang("de-ZZ"), FAILS),
            ("private use subtag", lang("en-x-pirate"), FAILS),
            ("only private use", lang("x-pirate"), FAILS),
            ("private source language", source("qtx"), FAILS),
            ("en-US", lang("en-US"), PASSES),
            ("Qatar", lang("ar-QA"), PASSES),
            ("language qua (not qaa to qtz)", lang("qua"), PASSES),
            ("Latin script", lang("sr-Latn"), PASSES),
        ],
    );
}

#[test]
fn use_of_default_language_6_2_15() {
    rule(
        "6.2.15",
        &[
            ("lang i-default", set(base(), "/document/lang", json!("i-default")), FAILS),
            ("source_lang i-default", set(base(), "/document/source_lang", json!("i-default")), FAILS),
            ("en", base(), PASSES),
        ],
    );
}

#[test]
fn missing_product_identification_helper_6_2_16() {
    let helper = json!({"cpe": "cpe:/a:example:product_a:1.0"});
    let both = set(base(), "/product_tree/full_product_names/0/product_identification_helper", helper.clone());
    let both = set(both, "/product_tree/full_product_names/1/product_identification_helper", helper);
    rule(
        "6.2.16",
        &[
            ("full product names without helper", base(), FAILS),
            ("product of a branch without helper", product_version("4.2"), FAILS),
            ("every product with a helper", both, PASSES),
        ],
    );
}

#[test]
fn cve_in_field_ids_6_2_17() {
    let id = |text: &str| set(base(), "/vulnerabilities/0/ids", json!([{"system_name": "Example", "text": text}]));
    rule(
        "6.2.17",
        &[
            ("a CVE ID", id("CVE-2021-44228"), FAILS),
            ("a CVE ID with a long number", id("CVE-2021-1234567"), FAILS),
            ("three digits", id("CVE-2021-442"), PASSES),
            ("lower case", id("cve-2021-44228"), PASSES),
            ("another system's ID", id("GHSA-jfh8-c2jp-5v3q"), PASSES),
            ("a CVE ID inside text", id("see CVE-2021-44228"), PASSES),
        ],
    );
}

#[test]
fn product_version_range_without_vers_6_2_18() {
    let range =
        |name: &str| branches(&[("vendor", "Example"), ("product_name", "Product C"), ("product_version_range", name)]);
    rule(
        "6.2.18",
        &[
            ("vsl without vers", range(">4.2"), FAILS),
            ("prose", range("prior to 4.2"), FAILS),
            ("empty scheme", range("vers:/>4.2"), FAILS),
            ("nothing after the scheme", range("vers:npm/"), FAILS),
            ("scheme in capitals", range("vers:NPM/1.0"), FAILS),
            ("VERS in capitals", range("VERS:npm/1.0"), FAILS),
            ("vers", range("vers:npm/>=1.0.0|<4.2"), PASSES),
            ("vers with a generic scheme", range("vers:generic/>4.2"), PASSES),
            ("vers all", range("vers:all/*"), PASSES),
        ],
    );
}

#[test]
fn cvss_for_fixed_products_6_2_19() {
    let scored = |status: Value, score: Value| {
        set(set(base(), "/vulnerabilities/0/product_status", status), "/vulnerabilities/0/scores", json!([score]))
    };
    let zero = score(&["A"], "/MC:N/MI:N/MA:N", json!({"environmentalScore": 0.0, "environmentalSeverity": "NONE"}));
    let computed_zero = score(&["A"], "/MC:N/MI:N/MA:N", json!({}));
    let impacts = ["modifiedConfidentialityImpact", "modifiedIntegrityImpact", "modifiedAvailabilityImpact"];
    let properties_zero =
        score(&["A"], "", Value::Object(impacts.iter().map(|p| (p.to_string(), json!("NONE"))).collect()));
    let properties_partial =
        score(&["A"], "", Value::Object(impacts[..2].iter().map(|p| (p.to_string(), json!("NONE"))).collect()));
    let v2 = |properties: &[(&str, &str)], suffix: &str| {
        let mut cvss =
            json!({"version": "2.0", "vectorString": format!("AV:A/AC:L/Au:N/C:P/I:N/A:C{suffix}"), "baseScore": 6.8});
        for (property, value) in properties {
            cvss[*property] = json!(value);
        }
        json!({"products": ["A"], "cvss_v2": cvss})
    };
    rule(
        "6.2.19",
        &[
            ("fixed, no environmental score", scored(json!({"fixed": ["A"]}), score(&["A"], "", json!({}))), FAILS),
            (
                "first fixed, no environmental score",
                scored(json!({"first_fixed": ["A"]}), score(&["A"], "", json!({}))),
                FAILS,
            ),
            (
                "fixed, among other products of the score",
                scored(json!({"fixed": ["A"], "known_affected": ["B"]}), score(&["B", "A"], "", json!({}))),
                FAILS,
            ),
            ("fixed, environmental score 0", scored(json!({"fixed": ["A"]}), zero), PASSES),
            ("fixed, the vector's environmental score is 0", scored(json!({"fixed": ["A"]}), computed_zero), PASSES),
            (
                "fixed, the modified impacts stated as properties",
                scored(json!({"fixed": ["A"]}), properties_zero),
                PASSES,
            ),
            (
                "fixed, two of the three modified impacts stated",
                scored(json!({"fixed": ["A"]}), properties_partial),
                FAILS,
            ),
            ("fixed, CVSS v2 without a target distribution", scored(json!({"fixed": ["A"]}), v2(&[], "")), FAILS),
            ("fixed, CVSS v2 with TD:N in the vector", scored(json!({"fixed": ["A"]}), v2(&[], "/TD:N")), PASSES),
            (
                "fixed, CVSS v2 with a target distribution of NONE",
                scored(json!({"fixed": ["A"]}), v2(&[("targetDistribution", "NONE")], "")),
                PASSES,
            ),
            (
                "fixed, CVSS v2 with a target distribution of LOW",
                scored(json!({"fixed": ["A"]}), v2(&[("targetDistribution", "LOW")], "")),
                FAILS,
            ),
            (
                "fixed, not scored",
                scored(json!({"fixed": ["A"], "known_affected": ["B"]}), score(&["B"], "", json!({}))),
                PASSES,
            ),
        ],
    );
}

#[test]
fn additional_properties_6_2_20() {
    rule(
        "6.2.20",
        &[
            ("custom property", set(base(), "/document/custom_property", json!("any")), FAILS),
            (
                "custom property of a CVSS object",
                set(base(), "/vulnerabilities/0/scores", json!([score(&["A"], "", json!({"custom": 1}))])),
                FAILS,
            ),
            ("schema properties only", base(), PASSES),
        ],
    );
}

/// The base document with these scores for its vulnerability.
fn scores(scores: Value) -> Value {
    set(base(), "/vulnerabilities/0/scores", scores)
}

#[test]
fn use_of_cvss_v2_as_the_only_scoring_system_6_3_1() {
    let v2 = json!({"version": "2.0", "vectorString": "AV:N/AC:L/Au:N/C:C/I:C/A:C", "baseScore": 10.0});
    let v3 = score(&["A"], "", json!({}))["cvss_v3"].clone();
    rule(
        "6.3.1",
        &[
            ("CVSS v2 only", scores(json!([{"products": ["A"], "cvss_v2": v2}])), FAILS),
            ("CVSS v2 and v3 in one score", scores(json!([{"products": ["A"], "cvss_v2": v2, "cvss_v3": v3}])), PASSES),
            ("CVSS v3 only", scores(json!([{"products": ["A"], "cvss_v3": v3}])), PASSES),
        ],
    );
}

#[test]
fn use_of_cvss_v3_0_6_3_2() {
    let v30 = json!({"version": "3.0", "vectorString": "CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H", "baseScore": 6.5, "baseSeverity": "MEDIUM"});
    let vector_30 = score(&["A"], "", json!({"vectorString": "CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H"}));
    rule(
        "6.3.2",
        &[
            ("CVSS v3.0", scores(json!([{"products": ["A"], "cvss_v3": v30}])), FAILS),
            ("version 3.1, vector of v3.0", scores(json!([vector_30])), FAILS),
            ("CVSS v3.1", scores(json!([score(&["A"], "", json!({}))])), PASSES),
        ],
    );
}

#[test]
fn missing_cve_and_cwe_6_3_3_and_6_3_4() {
    let cwe = set(base(), "/vulnerabilities/0/cwe", json!({"id": "CWE-787", "name": "Out-of-bounds Write"}));
    rule("6.3.3", &[("no CVE", set(base(), "/vulnerabilities/0/cve", Value::Null), FAILS), ("a CVE", base(), PASSES)]);
    rule("6.3.4", &[("no CWE", base(), FAILS), ("a CWE", cwe, PASSES)]);
}

#[test]
fn use_of_short_hash_6_3_5() {
    let hash = |value: &str| {
        let helper = json!({"hashes": [{"file_hashes": [{"algorithm": "x", "value": value}], "filename": "a.so"}]});
        set(base(), "/product_tree/full_product_names/0/product_identification_helper", helper)
    };
    rule(
        "6.3.5",
        &[
            ("32 characters", hash(&"a".repeat(32)), FAILS),
            ("63 characters", hash(&"a".repeat(63)), FAILS),
            ("64 characters", hash(&"a".repeat(64)), PASSES),
            ("128 characters", hash(&"a".repeat(128)), PASSES),
        ],
    );
}

#[test]
fn branch_categories_6_3_9() {
    let path = |categories: &[&str]| branches(&categories.iter().map(|c| (*c, "X")).collect::<Vec<_>>());
    rule(
        "6.3.9",
        &[
            ("vendor, product name, product version", path(&["vendor", "product_name", "product_version"]), PASSES),
            (
                "other categories before, between and after",
                path(&[
                    "host_name",
                    "vendor",
                    "product_family",
                    "product_name",
                    "service_pack",
                    "product_version",
                    "architecture",
                ]),
                PASSES,
            ),
            ("no product version", path(&["vendor", "product_name", "patch_level"]), FAILS),
            ("no vendor", path(&["product_family", "product_name", "product_version"]), FAILS),
            ("product name before vendor", path(&["product_name", "vendor", "product_version"]), FAILS),
            (
                "product version range instead of version",
                path(&["vendor", "product_name", "product_version_range"]),
                FAILS,
            ),
            ("full product names outside branches", base(), PASSES),
        ],
    );
}

#[test]
fn usage_of_product_version_range_6_3_10() {
    let range = branches(&[
        ("vendor", "Example"),
        ("product_name", "Product C"),
        ("product_version_range", "vers:generic/<4.2"),
    ]);
    rule("6.3.10", &[("product_version_range", range, FAILS), ("product_version", product_version("4.2"), PASSES)]);
}

#[test]
fn usage_of_v_as_version_indicator_6_3_11() {
    rule(
        "6.3.11",
        &[
            ("v4.2", product_version("v4.2"), FAILS),
            ("V4.2", product_version("V4.2"), FAILS),
            ("4.2", product_version("4.2"), PASSES),
            ("a word starting with v", product_version("vista"), PASSES),
            ("v and a space", product_version("v 4.2"), PASSES),
        ],
    );
}
