//! The mandatory tests of section 6.1: each failure is an error, and a document with one is
//! not a valid CSAF document.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::doc::{Doc, items, strings};
use crate::format::{self, Version};
use crate::{Sink, cvss, join};

pub fn check(doc: &Doc, sink: &mut Sink) {
    product_ids(doc, sink);
    circular_relationships(doc, sink);
    group_ids(doc, sink);
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        let path = join("/vulnerabilities", v);
        contradicting_status(vulnerability, &path, sink);
        scores(vulnerability, &path, sink);
        cwe(vulnerability, &path, sink);
        involvements(vulnerability, &path, sink);
        references_without_products(vulnerability, &path, sink);
        vex_flags(doc, vulnerability, &path, sink);
    }
    languages(doc, sink);
    purls_and_hashes(doc, sink);
    revision_history(doc, sink);
    cves(doc, sink);
    category(doc, sink);
    profiles(doc, sink);
    branches(doc, sink);
}

/// 6.1.1 (references to undefined products) and 6.1.2 (products defined twice).
fn product_ids(doc: &Doc, sink: &mut Sink) {
    let mut defined: HashMap<&str, &str> = HashMap::with_capacity(doc.products.len());
    for product in &doc.products {
        if let Some(first) = defined.insert(product.id, &product.path) {
            sink.error(
                "6.1.2",
                join(&product.path, "product_id"),
                format!("product ID {:?} is already defined at {first}", product.id),
            );
            defined.insert(product.id, first);
        }
    }
    for (id, path) in &doc.product_refs {
        if !defined.contains_key(id) {
            sink.error("6.1.1", path, format!("product ID {id:?} is not defined in the product tree"));
        }
    }
}

/// 6.1.3: a product defined by a relationship must not depend on itself.
fn circular_relationships(doc: &Doc, sink: &mut Sink) {
    let root = doc.root;
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut defined = Vec::new();
    for (i, relationship) in items(root.pointer("/product_tree/relationships")) {
        let Some(id) = relationship.pointer("/full_product_name/product_id").and_then(Value::as_str) else {
            continue;
        };
        let targets = edges.entry(id).or_default();
        for key in ["product_reference", "relates_to_product_reference"] {
            if let Some(target) = relationship.get(key).and_then(Value::as_str) {
                targets.push(target);
            }
        }
        defined.push((i, id));
    }
    let mut reported = HashSet::new();
    for (i, id) in defined {
        if reachable_from_itself(id, &edges) && reported.insert(id) {
            sink.error(
                "6.1.3",
                format!("/product_tree/relationships/{i}/full_product_name/product_id"),
                format!("product ID {id:?} is defined through a relationship that refers back to it"),
            );
        }
    }
}

fn reachable_from_itself(start: &str, edges: &HashMap<&str, Vec<&str>>) -> bool {
    let mut stack: Vec<&str> = edges.get(start).cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some(node) = stack.pop() {
        if node == start {
            return true;
        }
        if seen.insert(node) {
            stack.extend(edges.get(node).into_iter().flatten().copied());
        }
    }
    false
}

/// 6.1.4 (references to undefined groups) and 6.1.5 (groups defined twice).
fn group_ids(doc: &Doc, sink: &mut Sink) {
    let mut defined: HashMap<&str, &str> = HashMap::new();
    for group in &doc.groups {
        if let Some(first) = defined.get(group.id) {
            sink.error(
                "6.1.5",
                join(&group.path, "group_id"),
                format!("product group ID {:?} is already defined at {first}", group.id),
            );
        } else {
            defined.insert(group.id, &group.path);
        }
    }
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        for list in ["remediations", "threats", "flags"] {
            for (r, item) in items(vulnerability.get(list)) {
                for (g, id) in strings(item.get("group_ids")) {
                    if !defined.contains_key(id) {
                        sink.error(
                            "6.1.4",
                            format!("/vulnerabilities/{v}/{list}/{r}/group_ids/{g}"),
                            format!("product group ID {id:?} is not defined in the product tree"),
                        );
                    }
                }
            }
        }
    }
}

/// 6.1.6: the affected, not affected, fixed and under investigation sets are disjoint.
fn contradicting_status(vulnerability: &Value, path: &str, sink: &mut Sink) {
    let Some(status) = vulnerability.get("product_status") else { return };
    let groups: [(&str, &[&str]); 4] = [
        ("affected", &["first_affected", "known_affected", "last_affected"]),
        ("not affected", &["known_not_affected"]),
        ("fixed", &["first_fixed", "fixed"]),
        ("under investigation", &["under_investigation"]),
    ];
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (group, lists) in groups {
        let mut in_group = HashSet::new();
        for list in lists {
            for (i, id) in strings(status.get(*list)) {
                if !in_group.insert(id) {
                    continue;
                }
                if let Some(other) = seen.get(id) {
                    sink.error(
                        "6.1.6",
                        format!("{path}/product_status/{list}/{i}"),
                        format!("product {id:?} is both {other} and {group}"),
                    );
                } else {
                    seen.insert(id, group);
                }
            }
        }
    }
}

/// 6.1.7 (one score per CVSS version and product), 6.1.9 (computed scores), 6.1.10 (properties
/// that contradict the vector). 6.1.8 is the schema walk over the CVSS objects.
fn scores(vulnerability: &Value, path: &str, sink: &mut Sink) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (s, score) in items(vulnerability.get("scores")) {
        let score_path = join(&join(path, "scores"), s);
        for key in ["cvss_v2", "cvss_v3"] {
            let Some(object) = score.get(key).and_then(Value::as_object) else { continue };
            let Some(version) = object.get("version").and_then(Value::as_str) else { continue };
            for (i, product) in strings(score.get("products")) {
                if let Some(first) = seen.insert((product, version), s) {
                    sink.error(
                        "6.1.7",
                        format!("{score_path}/products/{i}"),
                        format!("product {product:?} already has a CVSS v{version} score in scores/{first}"),
                    );
                    seen.insert((product, version), first);
                }
            }
            cvss_object(key, version, object, &join(&score_path, key), sink);
        }
    }
}

fn cvss_object(key: &str, version: &str, object: &serde_json::Map<String, Value>, path: &str, sink: &mut Sink) {
    let Some(vector) = object.get("vectorString").and_then(Value::as_str) else { return };
    let (scores, contradictions) = if key == "cvss_v2" {
        let Some(parsed) = cvss::V2::parse(vector) else { return };
        (parsed.scores(), parsed.contradictions(object))
    } else {
        let vector_version = vector.strip_prefix("CVSS:").and_then(|v| v.split('/').next()).unwrap_or("");
        if vector_version != version {
            sink.error(
                "6.1.10",
                join(path, "version"),
                format!("version {version:?} contradicts the vector {vector:?}"),
            );
        }
        let Some(parsed) = cvss::V3::parse(vector, vector_version) else { return };
        (parsed.scores(), parsed.contradictions(object))
    };
    for (property, stated, implied) in contradictions {
        sink.error(
            "6.1.10",
            join(path, property),
            format!("{property} is {stated:?} but the vector {vector:?} says {implied:?}"),
        );
    }
    let mut expect = |property: &str, computed: f64, severity: bool| {
        if let Some(n) = object.get(property).and_then(Value::as_f64)
            && (n - computed).abs() > 1e-6
        {
            sink.error(
                "6.1.9",
                join(path, property),
                format!("{property} is {n} but {vector:?} computes {computed:.1}"),
            );
        }
        if severity {
            let severity_property = property.replace("Score", "Severity");
            let expected = cvss::severity(computed);
            if let Some(stated) = object.get(&severity_property).and_then(Value::as_str)
                && stated != expected
            {
                sink.error(
                    "6.1.9",
                    join(path, &severity_property),
                    format!(
                        "{severity_property} is {stated:?} but {vector:?} scores {computed:.1}, which is {expected:?}"
                    ),
                );
            }
        }
    };
    let v3 = key == "cvss_v3";
    expect("baseScore", scores.base, v3);
    expect("temporalScore", scores.temporal, v3);
    expect("environmentalScore", scores.environmental, v3);
}

/// 6.1.11: the CWE exists and has its catalogue name. IDs above the newest in the table (CWE
/// List 4.14) may come from a later list and are taken on trust.
fn cwe(vulnerability: &Value, path: &str, sink: &mut Sink) {
    let Some(cwe) = vulnerability.get("cwe") else { return };
    let (Some(id), Some(name)) = (cwe.get("id").and_then(Value::as_str), cwe.get("name").and_then(Value::as_str))
    else {
        return;
    };
    let Some(number) = id.strip_prefix("CWE-").filter(|_| format::cwe(id)).and_then(|n| n.parse::<u32>().ok()) else {
        sink.error("6.1.11", format!("{path}/cwe/id"), format!("{id:?} is not a CWE ID"));
        return;
    };
    match crate::cwe::NAMES.binary_search_by_key(&number, |(n, _)| *n) {
        Ok(i) if crate::cwe::NAMES[i].1 != name => sink.error(
            "6.1.11",
            format!("{path}/cwe/name"),
            format!("{id} is named {:?} in the CWE catalogue, not {name:?}", crate::cwe::NAMES[i].1),
        ),
        Ok(_) => {}
        Err(_) if crate::cwe::NAMES.last().is_some_and(|(newest, _)| number < *newest) => sink.error(
            "6.1.11",
            format!("{path}/cwe/id"),
            format!("{id} does not exist in the CWE List {}", crate::cwe::VERSION),
        ),
        Err(_) => {}
    }
}

/// 6.1.24: one involvement per party and date.
fn involvements(vulnerability: &Value, path: &str, sink: &mut Sink) {
    let mut seen = HashSet::new();
    for (i, involvement) in items(vulnerability.get("involvements")) {
        let Some(party) = involvement.get("party").and_then(Value::as_str) else { continue };
        let date = involvement.get("date").and_then(Value::as_str);
        let instant = date.and_then(format::date_time);
        let key = (party, instant.map(|d| d.unix_timestamp_nanos()), if instant.is_none() { date } else { None });
        if !seen.insert(key) {
            sink.error(
                "6.1.24",
                format!("{path}/involvements/{i}"),
                format!("party {party:?} has more than one involvement at date {}", date.unwrap_or("(none)")),
            );
        }
    }
}

/// 6.1.29 (remediations) and 6.1.32 (flags) must name products or groups.
fn references_without_products(vulnerability: &Value, path: &str, sink: &mut Sink) {
    for (test, list) in [("6.1.29", "remediations"), ("6.1.32", "flags")] {
        for (i, item) in items(vulnerability.get(list)) {
            if item.get("product_ids").is_none() && item.get("group_ids").is_none() {
                sink.error(
                    test,
                    format!("{path}/{list}/{i}"),
                    format!("this item of {list} names neither product_ids nor group_ids"),
                );
            }
        }
    }
}

/// 6.1.33: at most one VEX justification flag per product (through groups too).
fn vex_flags(doc: &Doc, vulnerability: &Value, path: &str, sink: &mut Sink) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (f, flag) in items(vulnerability.get("flags")) {
        let mut covered = doc.covered(flag);
        covered.sort_unstable();
        covered.dedup();
        for product in covered {
            if let Some(first) = seen.insert(product, f) {
                sink.error(
                    "6.1.33",
                    format!("{path}/flags/{f}"),
                    format!("product {product:?} already has a VEX justification flag in flags/{first}"),
                );
                seen.insert(product, first);
            }
        }
    }
}

/// 6.1.12 (language tags exist), 6.1.15 (a translator states the source language), 6.1.28
/// (a translation changes the language).
fn languages(doc: &Doc, sink: &mut Sink) {
    for key in ["lang", "source_lang"] {
        let Some(text) = doc.str(&format!("/document/{key}")) else { continue };
        match format::lang(text) {
            Some(tag) if !tag.language_exists() => sink.error(
                "6.1.12",
                format!("/document/{key}"),
                format!("{text:?}: the language {:?} does not exist", tag.language),
            ),
            Some(tag) if !tag.region_exists() => sink.error(
                "6.1.12",
                format!("/document/{key}"),
                format!("{text:?}: the region {:?} does not exist", tag.region.unwrap_or_default()),
            ),
            Some(_) => {}
            None => sink.error("6.1.12", format!("/document/{key}"), format!("{text:?} is not a valid language tag")),
        }
    }
    if doc.str("/document/publisher/category") == Some("translator") && doc.str("/document/source_lang").is_none() {
        sink.error(
            "6.1.15",
            "/document/source_lang",
            "the publisher is a translator but the source language is missing",
        );
    }
    if let (Some(lang), Some(source)) = (doc.str("/document/lang"), doc.str("/document/source_lang"))
        && lang.eq_ignore_ascii_case(source)
    {
        sink.error("6.1.28", "/document/lang", format!("the document language {lang:?} is also its source language"));
    }
}

/// 6.1.13 (valid package URLs) and 6.1.25 (one hash per algorithm).
fn purls_and_hashes(doc: &Doc, sink: &mut Sink) {
    for product in &doc.products {
        let Some(helper) = product.value.get("product_identification_helper") else { continue };
        let helper_path = join(&product.path, "product_identification_helper");
        if let Some(purl) = helper.get("purl").and_then(Value::as_str)
            && let Err(why) = purl_valid(purl)
        {
            sink.error("6.1.13", join(&helper_path, "purl"), format!("invalid package URL {purl:?}: {why}"));
        }
        for (h, hash) in items(helper.get("hashes")) {
            let mut seen = HashSet::new();
            for (i, file_hash) in items(hash.get("file_hashes")) {
                let Some(algorithm) = file_hash.get("algorithm").and_then(Value::as_str) else { continue };
                if !seen.insert(algorithm.to_ascii_lowercase()) {
                    sink.error(
                        "6.1.25",
                        format!("{helper_path}/hashes/{h}/file_hashes/{i}/algorithm"),
                        format!("hash algorithm {algorithm:?} is used more than once for this file"),
                    );
                }
            }
        }
    }
}

fn purl_valid(purl: &str) -> Result<(), String> {
    if !purl.starts_with("pkg:") {
        return Err("the scheme must be \"pkg:\"".into());
    }
    let parsed = parapet_versions::purl::parse(purl).map_err(str::to_owned)?;
    if parsed.name.trim().is_empty() {
        return Err("the name is empty".into());
    }
    let without_fragment = purl.split('#').next().unwrap_or(purl);
    if let Some((_, qualifiers)) = without_fragment.split_once('?') {
        for pair in qualifiers.split('&') {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            let key_ok = key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            if !key_ok {
                return Err(format!("invalid qualifier key {key:?}"));
            }
        }
    }
    Ok(())
}

/// 6.1.14, 6.1.16 to 6.1.22 and 6.1.30: the revision history and the document version.
fn revision_history(doc: &Doc, sink: &mut Sink) {
    const HISTORY: &str = "/document/tracking/revision_history";
    let status = doc.str("/document/tracking/status");
    let version_text = doc.str("/document/tracking/version");
    let version = version_text.and_then(Version::parse);
    let released = matches!(status, Some("final" | "interim"));

    // 6.1.30: integer and semantic versions are not mixed.
    let mut kinds = doc.revisions.iter().filter_map(|r| r.version.as_ref().map(|v| (r.index, v.is_integer())));
    let integer = version.as_ref().map(Version::is_integer).or_else(|| kinds.next().map(|(_, k)| k));
    let mut mixed = false;
    if let Some(integer) = integer {
        for revision in &doc.revisions {
            if let Some(v) = &revision.version
                && v.is_integer() != integer
            {
                mixed = true;
                sink.error(
                    "6.1.30",
                    format!("{HISTORY}/{}/number", revision.index),
                    format!(
                        "revision {:?} uses {} versioning but the document uses {}",
                        revision.number,
                        if v.is_integer() { "integer" } else { "semantic" },
                        if integer { "integer" } else { "semantic" }
                    ),
                );
            }
        }
    }

    let sorted = doc.revisions_by_date();
    // 6.1.14: numbers ascend with dates. Items of one date are sorted by number, so only a
    // later date with a lower number fails, whatever the order of the array.
    if !mixed {
        let by_date: Vec<_> = sorted.iter().filter(|r| r.version.is_some() && r.date.is_some()).collect();
        for pair in by_date.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if let (Some(x), Some(y)) = (&a.version, &b.version)
                && x.precedence(y) == Some(std::cmp::Ordering::Greater)
            {
                sink.error(
                    "6.1.14",
                    format!("{HISTORY}/{}/number", b.index),
                    format!("revision {:?} is dated after revision {:?} but has a lower number", b.number, a.number),
                );
            }
        }
    }

    // 6.1.16: the document version is the number of the last revision by date (then number).
    // A last number that is no version is the schema's error, not this test's.
    if let (Some(version), Some(last)) = (&version, sorted.last())
        && let Some(latest) = &last.version
    {
        let draft = status == Some("draft");
        if latest.stripped(draft) != version.stripped(draft) {
            sink.error(
                "6.1.16",
                "/document/tracking/version",
                format!(
                    "the document version {:?} is not the number {:?} of the latest revision",
                    version_text.unwrap_or_default(),
                    last.number
                ),
            );
        }
    }
    if let Some(version) = &version {
        let text = version_text.unwrap_or_default();
        // 6.1.17: versions before 1 and pre-releases are drafts.
        if (version.major() == 0 || version.has_pre_release()) && status.is_some_and(|s| s != "draft") {
            sink.error(
                "6.1.17",
                "/document/tracking/status",
                format!("version {text:?} is a draft version but the status is {:?}", status.unwrap_or_default()),
            );
        }
        // 6.1.20: released documents have no pre-release version.
        if released && version.has_pre_release() {
            sink.error(
                "6.1.20",
                "/document/tracking/version",
                format!("version {text:?} has a pre-release part but the status is {:?}", status.unwrap_or_default()),
            );
        }
    }
    for revision in &doc.revisions {
        let Some(v) = &revision.version else { continue };
        let path = format!("{HISTORY}/{}/number", revision.index);
        // 6.1.18: released documents have no revision 0 in their history.
        if released && v.major() == 0 {
            sink.error(
                "6.1.18",
                &path,
                format!(
                    "revision {:?} is a draft version but the status is {:?}",
                    revision.number,
                    status.unwrap_or_default()
                ),
            );
        }
        // 6.1.19: no pre-releases in the history.
        if v.has_pre_release() {
            sink.error("6.1.19", &path, format!("revision {:?} has a pre-release part", revision.number));
        }
    }
    // 6.1.21: no (major) version is skipped, and the history starts at 0 or 1.
    if !mixed {
        let majors: Vec<(usize, &str, u64)> =
            sorted.iter().filter_map(|r| r.version.as_ref().map(|v| (r.index, r.number, v.major()))).collect();
        if let Some(&(index, number, first)) = majors.first()
            && first > 1
        {
            sink.error(
                "6.1.21",
                format!("{HISTORY}/{index}/number"),
                format!("the first revision is {number:?}, but the history must start at 0 or 1"),
            );
        }
        for pair in majors.windows(2) {
            let ((_, a_number, a), (index, b_number, b)) = (pair[0], pair[1]);
            if b > a + 1 {
                sink.error(
                    "6.1.21",
                    format!("{HISTORY}/{index}/number"),
                    format!("revision {b_number:?} follows {a_number:?}: the versions between are missing"),
                );
            }
        }
    }
    // 6.1.22: every number once.
    let mut seen = HashMap::new();
    for revision in &doc.revisions {
        if let Some(first) = seen.insert(revision.number, revision.index) {
            sink.error(
                "6.1.22",
                format!("{HISTORY}/{}/number", revision.index),
                format!("revision number {:?} is already used by revision_history/{first}", revision.number),
            );
        }
    }
}

/// 6.1.23: each CVE in one vulnerability only.
fn cves(doc: &Doc, sink: &mut Sink) {
    let mut seen = HashMap::new();
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        let Some(cve) = vulnerability.get("cve").and_then(Value::as_str) else { continue };
        if let Some(first) = seen.insert(cve, v) {
            sink.error(
                "6.1.23",
                format!("/vulnerabilities/{v}/cve"),
                format!("{cve} is already used by vulnerabilities/{first}"),
            );
        }
    }
}

const PROFILES: [&str; 5] = [
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

/// 6.1.26: a base-profile category must not look like another profile's.
fn category(doc: &Doc, sink: &mut Sink) {
    let Some(category) = doc.category else { return };
    if PROFILES.contains(&category) {
        return;
    }
    let normalize = |s: &str| -> String {
        s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_')).collect::<String>().to_lowercase()
    };
    let normalized = normalize(category);
    let prohibited = PROFILES[1..].iter().find(|profile| {
        normalized == normalize(profile) || normalized == normalize(profile.trim_start_matches("csaf_"))
    });
    if let Some(profile) = prohibited {
        sink.error(
            "6.1.26",
            "/document/category",
            format!("category {category:?} is too close to the profile {profile:?}"),
        );
    } else if category.to_lowercase().starts_with("csaf_") {
        sink.error("6.1.26", "/document/category", format!("category {category:?} uses the reserved prefix \"csaf_\""));
    }
}

/// 6.1.27.1 to 6.1.27.11: what each profile requires.
fn profiles(doc: &Doc, sink: &mut Sink) {
    let Some(category) = doc.category else { return };
    let root = doc.root;
    let informational = category == "csaf_informational_advisory";
    let incident = category == "csaf_security_incident_response";
    let advisory = category == "csaf_security_advisory";
    let vex = category == "csaf_vex";
    if informational || incident {
        let described = items(root.pointer("/document/notes")).any(|(_, note)| {
            matches!(
                note.get("category").and_then(Value::as_str),
                Some("description" | "details" | "general" | "summary")
            )
        });
        if !described {
            sink.error(
                "6.1.27.1",
                "/document/notes",
                format!("a {category} needs a document note of category description, details, general or summary"),
            );
        }
        let external = items(root.pointer("/document/references"))
            .any(|(_, r)| r.get("category").and_then(Value::as_str).unwrap_or("external") == "external");
        if !external {
            sink.error(
                "6.1.27.2",
                "/document/references",
                format!("a {category} needs a reference of category external"),
            );
        }
    }
    if informational && root.get("vulnerabilities").is_some() {
        sink.error("6.1.27.3", "/vulnerabilities", "a csaf_informational_advisory must not have vulnerabilities");
    }
    if !(advisory || vex) {
        return;
    }
    if root.get("product_tree").is_none() {
        sink.error("6.1.27.4", "/product_tree", format!("a {category} needs a product tree"));
    }
    if root.get("vulnerabilities").is_none() {
        sink.error("6.1.27.11", "/vulnerabilities", format!("a {category} needs vulnerabilities"));
    }
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        let path = join("/vulnerabilities", v);
        if vulnerability.get("notes").is_none() {
            sink.error("6.1.27.5", join(&path, "notes"), format!("each vulnerability of a {category} needs notes"));
        }
        let status = vulnerability.get("product_status");
        if advisory && status.is_none() {
            sink.error(
                "6.1.27.6",
                join(&path, "product_status"),
                "each vulnerability of a csaf_security_advisory needs a product status",
            );
        }
        if !vex {
            continue;
        }
        let has = |key: &str| status.and_then(|s| s.get(key)).is_some();
        if !["fixed", "known_affected", "known_not_affected", "under_investigation"].iter().any(|k| has(k)) {
            sink.error(
                "6.1.27.7",
                join(&path, "product_status"),
                "a csaf_vex vulnerability needs fixed, known_affected, known_not_affected or under_investigation products",
            );
        }
        if vulnerability.get("cve").is_none() && vulnerability.get("ids").is_none() {
            sink.error("6.1.27.8", &path, "a csaf_vex vulnerability needs a cve or ids");
        }
        let mut impact: HashSet<&str> = HashSet::new();
        for (_, flag) in items(vulnerability.get("flags")) {
            impact.extend(doc.covered(flag));
        }
        for (_, threat) in items(vulnerability.get("threats")) {
            if threat.get("category").and_then(Value::as_str) == Some("impact") {
                impact.extend(doc.covered(threat));
            }
        }
        for (i, id) in strings(status.and_then(|s| s.get("known_not_affected"))) {
            if !impact.contains(id) {
                sink.error(
                    "6.1.27.9",
                    format!("{path}/product_status/known_not_affected/{i}"),
                    format!("product {id:?} is known not affected but no flag or impact threat says why"),
                );
            }
        }
        let mut action: HashSet<&str> = HashSet::new();
        for (_, remediation) in items(vulnerability.get("remediations")) {
            action.extend(doc.covered(remediation));
        }
        for (i, id) in strings(status.and_then(|s| s.get("known_affected"))) {
            if !action.contains(id) {
                sink.error(
                    "6.1.27.10",
                    format!("{path}/product_status/known_affected/{i}"),
                    format!("product {id:?} is known affected but no remediation says what to do"),
                );
            }
        }
    }
}

/// 6.1.31: a `product_version` branch names one version, not a range.
fn branches(doc: &Doc, sink: &mut Sink) {
    // The specification's list. Its words count as whole words only, lest "install" hold "all":
    // a hyphen or an underscore joins the parts of a name ("after-eight" is one version), any
    // other character that is no letter or digit separates ("vers:all/*"). The operators count
    // wherever they stand, as "<=1.2" has no space after its operator.
    const RANGE_MARKS: [&str; 11] =
        ["<", "<=", ">", ">=", "after", "all", "before", "earlier", "later", "prior", "versions"];
    for branch in &doc.branches {
        if branch.category != "product_version" {
            continue;
        }
        let lower = branch.name.to_lowercase();
        let words = lower.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'));
        let found = RANGE_MARKS
            .iter()
            .filter(|mark| {
                if mark.chars().all(char::is_alphabetic) {
                    words.clone().any(|word| word == **mark)
                } else {
                    lower.contains(**mark)
                }
            })
            .max_by_key(|mark| mark.len());
        if let Some(mark) = found {
            sink.error(
                "6.1.31",
                join(&branch.path, "name"),
                format!(
                    "product version {:?} looks like a range (contains {mark:?}); use product_version_range",
                    branch.name
                ),
            );
        }
    }
}
