//! Cases of our own, beyond the OASIS samples: a minimal valid document, changed in one place,
//! and the tests that must (or must not) fail.

use parapet_csaf::{Report, validate, validate_str};
use serde_json::{Value, json};

use crate::{base, set};

fn tests(report: &Report) -> Vec<&'static str> {
    report.errors.iter().chain(&report.warnings).chain(&report.infos).map(|p| p.test).collect()
}

#[track_caller]
fn check(name: &str, doc: Value, must: &[&str], must_not: &[&str]) {
    let report = validate(&doc);
    let found = tests(&report);
    for test in must {
        assert!(found.contains(test), "{name}: expected {test}, got {:#?}", report);
    }
    for test in must_not {
        assert!(!found.contains(test), "{name}: unexpected {test}: {:#?}", report);
    }
}

#[test]
fn base_document_is_valid() {
    let report = validate(&base());
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
}

#[test]
fn schema() {
    check("tracking id with trailing space", set(base(), "/document/tracking/id", json!("EX-1 ")), &["schema"], &[]);
    check("unknown CSAF version", set(base(), "/document/csaf_version", json!("2.1")), &["schema"], &[]);
    check("missing title", set(base(), "/document/title", Value::Null), &["schema"], &[]);
    check(
        "date without T",
        set(base(), "/document/tracking/current_release_date", json!("2024-01-02 00:00:00Z")),
        &["schema"],
        &[],
    );
    check("one-item group", set(base(), "/product_tree/product_groups/0/product_ids", json!(["A"])), &["schema"], &[]);
    check(
        "duplicate product in a status",
        set(base(), "/vulnerabilities/0/product_status/known_affected", json!(["A", "A"])),
        &["schema"],
        &[],
    );
    check(
        "branch with both product and branches",
        set(
            base(),
            "/product_tree/branches",
            json!([{"category": "vendor", "name": "V", "product": {"name": "C", "product_id": "C"}, "branches": []}]),
        ),
        &["schema"],
        &[],
    );
    check("additional property", set(base(), "/document/colour", json!("red")), &["6.2.20"], &["schema"]);
}

#[test]
fn product_definitions() {
    check(
        "flag names an undefined product",
        set(base(), "/vulnerabilities/0/flags", json!([{"label": "component_not_present", "product_ids": ["Z"]}])),
        &["6.1.1"],
        &[],
    );
    check(
        "cycle through two relationships",
        set(
            base(),
            "/product_tree/relationships",
            json!([
                {"category": "installed_on", "full_product_name": {"name": "C", "product_id": "C"}, "product_reference": "A", "relates_to_product_reference": "D"},
                {"category": "installed_on", "full_product_name": {"name": "D", "product_id": "D"}, "product_reference": "C", "relates_to_product_reference": "B"}
            ]),
        ),
        &["6.1.3"],
        &["6.1.1"],
    );
    check(
        "relationship without a cycle",
        set(
            base(),
            "/product_tree/relationships",
            json!([{"category": "installed_on", "full_product_name": {"name": "C", "product_id": "C"}, "product_reference": "A", "relates_to_product_reference": "B"}]),
        ),
        &[],
        &["6.1.3", "6.1.1"],
    );
    check(
        "flag names an undefined group",
        set(base(), "/vulnerabilities/0/flags", json!([{"label": "component_not_present", "group_ids": ["H"]}])),
        &["6.1.4"],
        &[],
    );
}

#[test]
fn product_status_and_scores() {
    let affected_twice =
        set(base(), "/vulnerabilities/0/product_status", json!({"first_affected": ["A"], "known_affected": ["A"]}));
    check("two affected lists are not a contradiction", affected_twice, &[], &["6.1.6"]);
    let score = |version: &str, vector: &str, base_score: f64, severity: &str| json!({"products": ["A"], "cvss_v3": {"version": version, "vectorString": vector, "baseScore": base_score, "baseSeverity": severity}});
    let two_versions = set(
        base(),
        "/vulnerabilities/0/scores",
        json!([
            score("3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"),
            score("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL")
        ]),
    );
    check("v3.0 and v3.1 for one product", two_versions, &[], &["6.1.7", "6.1.9", "schema"]);
    let mut temporal = score("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U", 9.8, "CRITICAL");
    temporal["cvss_v3"]["temporalScore"] = json!(9.8);
    check(
        "wrong temporal score",
        set(base(), "/vulnerabilities/0/scores", json!([temporal.clone()])),
        &["6.1.9"],
        &["6.1.10"],
    );
    temporal["cvss_v3"]["temporalScore"] = json!(7.8);
    check(
        "right temporal score",
        set(base(), "/vulnerabilities/0/scores", json!([temporal])),
        &[],
        &["6.1.9", "6.1.10"],
    );
    let mut maturity = score("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL");
    maturity["cvss_v3"]["exploitCodeMaturity"] = json!("HIGH");
    check(
        "property the vector leaves undefined",
        set(base(), "/vulnerabilities/0/scores", json!([maturity])),
        &["6.1.10"],
        &[],
    );
    let mixed = score("3.1", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL");
    check("version and vector disagree", set(base(), "/vulnerabilities/0/scores", json!([mixed])), &["6.1.8"], &[]);
    let v2 = json!({"products": ["A"], "cvss_v2": {"version": "2.0", "vectorString": "AV:L/AC:L/Au:M/C:C/I:C/A:C", "baseScore": 6.5}});
    check("CVSS v2 base score", set(base(), "/vulnerabilities/0/scores", json!([v2])), &["6.3.1"], &["6.1.8", "6.1.9"]);
}

#[test]
fn vulnerability_details() {
    let cwe = |id: &str, name: &str| set(base(), "/vulnerabilities/0/cwe", json!({"id": id, "name": name}));
    check("CWE with its name", cwe("CWE-787", "Out-of-bounds Write"), &[], &["6.1.11"]);
    check("CWE with another's name", cwe("CWE-787", "Out-of-bounds Read"), &["6.1.11"], &[]);
    check("CWE that does not exist", cwe("CWE-3000000", "Nothing"), &["schema"], &[]);
    let involvements = |second_date: &str| {
        set(
            base(),
            "/vulnerabilities/0/involvements",
            json!([
                {"party": "vendor", "status": "open", "date": "2024-01-01T00:00:00Z"},
                {"party": "vendor", "status": "completed", "date": second_date}
            ]),
        )
    };
    check("one party twice at one instant", involvements("2024-01-01T01:00:00+01:00"), &["6.1.24"], &[]);
    check("one party at two dates", involvements("2024-01-02T00:00:00Z"), &[], &["6.1.24"]);
    let flags = json!([
        {"label": "component_not_present", "group_ids": ["G"]},
        {"label": "vulnerable_code_not_present", "product_ids": ["B"]}
    ]);
    check(
        "two justifications for B, one through a group",
        set(base(), "/vulnerabilities/0/flags", flags),
        &["6.1.33"],
        &[],
    );
    let purl = |purl: &str| {
        set(base(), "/product_tree/full_product_names/0/product_identification_helper", json!({"purl": purl}))
    };
    check("scoped npm package URL", purl("pkg:npm/%40angular/animation@12.3.1"), &[], &["6.1.13", "schema"]);
    check("package URL without a name", purl("pkg:maven/@1.3.4"), &["6.1.13"], &[]);
}

#[test]
fn document_metadata() {
    let category = |c: &str| set(base(), "/document/category", json!(c));
    check("profile name written as words", category("Security Advisory"), &["6.1.26"], &[]);
    check("profile name in another case", category("veX"), &["6.1.26"], &[]);
    check("reserved prefix", category("csaf_notice"), &["6.1.26"], &[]);
    check("own category", category("Example Company Security Notice"), &[], &["6.1.26"]);
    check("language that does not exist", set(base(), "/document/lang", json!("ez")), &["6.1.12"], &[]);
    check("region that does not exist", set(base(), "/document/lang", json!("en-OO")), &["6.1.12"], &[]);
    check("private language", set(base(), "/document/lang", json!("en-x-pirate")), &["6.2.14"], &["6.1.12"]);
    let semver = |numbers: [&str; 3], version: &str| {
        let history: Vec<Value> = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"date": format!("2024-01-0{}T00:00:00Z", i + 1), "number": n, "summary": "x"}))
            .collect();
        let doc = set(base(), "/document/tracking/revision_history", json!(history));
        set(doc, "/document/tracking/version", json!(version))
    };
    check("major version skipped", semver(["1.0.0", "1.1.0", "3.0.0"], "3.0.0"), &["6.1.21"], &["6.1.14", "6.1.16"]);
    check("minor versions may be skipped", semver(["1.0.0", "1.2.0", "2.0.0"], "2.0.0"), &[], &["6.1.21"]);
    check("pre-release in history", semver(["1.0.0", "1.1.0-rc.1", "1.1.0"], "1.1.0"), &["6.1.19"], &[]);
    check("build metadata in history", semver(["1.0.0", "1.1.0", "2.0.0+b1"], "2.0.0"), &["6.2.4"], &["6.1.16"]);
}

#[test]
fn profiles() {
    let vex = set(base(), "/document/category", json!("csaf_vex"));
    let vex = set(vex, "/vulnerabilities/0/notes", json!([{"category": "description", "text": "x"}]));
    let vex =
        set(vex, "/vulnerabilities/0/product_status", json!({"known_affected": ["A"], "known_not_affected": ["B"]}));
    check("vex without statements", vex.clone(), &["6.1.27.9", "6.1.27.10"], &["6.1.27.7", "6.1.27.8"]);
    let vex = set(vex, "/vulnerabilities/0/flags", json!([{"label": "component_not_present", "group_ids": ["G"]}]));
    let vex = set(
        vex,
        "/vulnerabilities/0/remediations",
        json!([{"category": "vendor_fix", "details": "x", "group_ids": ["G"]}]),
    );
    check("vex with statements through a group", vex, &[], &["6.1.27.9", "6.1.27.10"]);
    let informational = set(base(), "/document/category", json!("csaf_informational_advisory"));
    check("informational advisory with vulnerabilities", informational, &["6.1.27.1", "6.1.27.2", "6.1.27.3"], &[]);
}

#[test]
fn sorting_needs_the_text() {
    let text = serde_json::to_string(&base()).unwrap();
    let report = validate_str(&text).unwrap();
    assert!(!tests(&report).contains(&"6.2.13"), "serde_json writes sorted keys: {report:#?}");
    let unsorted = text.replacen(
        "{\"category\":\"csaf_base\",\"csaf_version\":\"2.0\"",
        "{\"csaf_version\":\"2.0\",\"category\":\"csaf_base\"",
        1,
    );
    let report = validate_str(&unsorted).unwrap();
    let problem = report.warnings.iter().find(|p| p.test == "6.2.13").expect("6.2.13");
    assert_eq!(problem.path, "/document/category");
    assert!(validate_str("{").is_err());
}
