//! The CSAF 2.0 JSON schema (with the FIRST CVSS v2.0, v3.0 and v3.1 schemas it refers to),
//! encoded as static tables and checked by one walk. Violations are test `"schema"` errors,
//! except inside a CVSS object, where they are test 6.1.8 ("Invalid CVSS"). The same walk finds
//! the properties the schema does not define (6.2.20, warnings).

use std::collections::HashSet;

use serde_json::Value;

use std::fmt::Write;

use crate::{Sink, format, join, push_segment};

pub enum Node {
    Str(Str),
    Num {
        min: f64,
        max: f64,
    },
    Obj(Obj),
    Arr(Arr),
    /// A subtree whose violations belong to another test than `"schema"`.
    Test(&'static str, &'static Node),
    /// `oneOf` the CVSS v3.0 and v3.1 objects, chosen by `version`.
    Cvss3,
}

pub struct Str {
    min_len: usize,
    values: &'static [&'static str],
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    None,
    Uri,
    DateTime,
    Lang,
    Version,
    TrackingId,
    Category,
    Cve,
    Cwe,
    Cpe,
    Purl,
    Hash,
    Cvss2Vector,
    Cvss30Vector,
    Cvss31Vector,
}

pub struct Obj {
    props: &'static [(&'static str, &'static Node)],
    required: &'static [&'static str],
    min_props: usize,
    max_props: usize,
}

pub struct Arr {
    items: &'static Node,
    min: usize,
    unique: bool,
}

const fn text(min_len: usize) -> Node {
    Node::Str(Str { min_len, values: &[], format: Format::None })
}
const fn formatted(format: Format) -> Node {
    Node::Str(Str { min_len: 0, values: &[], format })
}
const fn one_of(values: &'static [&'static str]) -> Node {
    Node::Str(Str { min_len: 0, values, format: Format::None })
}
const fn obj(props: &'static [(&'static str, &'static Node)], required: &'static [&'static str]) -> Node {
    Node::Obj(Obj { props, required, min_props: 0, max_props: usize::MAX })
}
const fn obj_min1(props: &'static [(&'static str, &'static Node)], required: &'static [&'static str]) -> Node {
    Node::Obj(Obj { props, required, min_props: 1, max_props: usize::MAX })
}
const fn list(items: &'static Node) -> Node {
    Node::Arr(Arr { items, min: 1, unique: false })
}
const fn set(items: &'static Node) -> Node {
    Node::Arr(Arr { items, min: 1, unique: true })
}

static TEXT: Node = text(1);
static URI: Node = formatted(Format::Uri);
static DATE_TIME: Node = formatted(Format::DateTime);
static LANG: Node = formatted(Format::Lang);
static VERSION: Node = formatted(Format::Version);
static TEXTS: Node = list(&TEXT);
static TEXT_SET: Node = set(&TEXT);
static URIS: Node = list(&URI);
static PRODUCTS: Node = set(&TEXT);

static ACKNOWLEDGMENTS: Node = list(&ACKNOWLEDGMENT);
static ACKNOWLEDGMENT: Node =
    obj_min1(&[("names", &TEXTS), ("organization", &TEXT), ("summary", &TEXT), ("urls", &URIS)], &[]);

static BRANCHES: Node = list(&BRANCH);
static BRANCH: Node = Node::Obj(Obj {
    props: &[("branches", &BRANCHES), ("category", &BRANCH_CATEGORY), ("name", &TEXT), ("product", &FULL_PRODUCT_NAME)],
    required: &["category", "name"],
    min_props: 3,
    max_props: 3,
});
static BRANCH_CATEGORY: Node = one_of(&[
    "architecture",
    "host_name",
    "language",
    "legacy",
    "patch_level",
    "product_family",
    "product_name",
    "product_version",
    "product_version_range",
    "service_pack",
    "specification",
    "vendor",
]);

static FULL_PRODUCT_NAME: Node =
    obj(&[("name", &TEXT), ("product_id", &TEXT), ("product_identification_helper", &HELPER)], &["name", "product_id"]);
static FULL_PRODUCT_NAMES: Node = list(&FULL_PRODUCT_NAME);
static HELPER: Node = obj_min1(
    &[
        ("cpe", &Node::Str(Str { min_len: 5, values: &[], format: Format::Cpe })),
        ("hashes", &HASHES),
        ("model_numbers", &TEXT_SET),
        ("purl", &Node::Str(Str { min_len: 7, values: &[], format: Format::Purl })),
        ("sbom_urls", &URIS),
        ("serial_numbers", &TEXT_SET),
        ("skus", &TEXTS),
        ("x_generic_uris", &list(&obj(&[("namespace", &URI), ("uri", &URI)], &["namespace", "uri"]))),
    ],
    &[],
);
static HASHES: Node = list(&obj(&[("file_hashes", &FILE_HASHES), ("filename", &TEXT)], &["file_hashes", "filename"]));
static FILE_HASHES: Node = list(&obj(
    &[("algorithm", &TEXT), ("value", &Node::Str(Str { min_len: 32, values: &[], format: Format::Hash }))],
    &["algorithm", "value"],
));

static NOTES: Node = list(&obj(
    &[
        ("audience", &TEXT),
        ("category", &one_of(&["description", "details", "faq", "general", "legal_disclaimer", "other", "summary"])),
        ("text", &TEXT),
        ("title", &TEXT),
    ],
    &["category", "text"],
));
static REFERENCES: Node =
    list(&obj(&[("category", &one_of(&["external", "self"])), ("summary", &TEXT), ("url", &URI)], &["summary", "url"]));

static ROOT: Node = obj(
    &[("document", &DOCUMENT), ("product_tree", &PRODUCT_TREE), ("vulnerabilities", &VULNERABILITIES)],
    &["document"],
);

static DOCUMENT: Node = obj(
    &[
        ("acknowledgments", &ACKNOWLEDGMENTS),
        ("aggregate_severity", &obj(&[("namespace", &URI), ("text", &TEXT)], &["text"])),
        ("category", &Node::Str(Str { min_len: 1, values: &[], format: Format::Category })),
        ("csaf_version", &one_of(&["2.0"])),
        (
            "distribution",
            &obj_min1(
                &[
                    ("text", &TEXT),
                    (
                        "tlp",
                        &obj(&[("label", &one_of(&["AMBER", "GREEN", "RED", "WHITE"])), ("url", &URI)], &["label"]),
                    ),
                ],
                &[],
            ),
        ),
        ("lang", &LANG),
        ("notes", &NOTES),
        (
            "publisher",
            &obj(
                &[
                    ("category", &one_of(&["coordinator", "discoverer", "other", "translator", "user", "vendor"])),
                    ("contact_details", &TEXT),
                    ("issuing_authority", &TEXT),
                    ("name", &TEXT),
                    ("namespace", &URI),
                ],
                &["category", "name", "namespace"],
            ),
        ),
        ("references", &REFERENCES),
        ("source_lang", &LANG),
        ("title", &TEXT),
        ("tracking", &TRACKING),
    ],
    &["category", "csaf_version", "publisher", "title", "tracking"],
);

static TRACKING: Node = obj(
    &[
        ("aliases", &TEXT_SET),
        ("current_release_date", &DATE_TIME),
        (
            "generator",
            &obj(
                &[("date", &DATE_TIME), ("engine", &obj(&[("name", &TEXT), ("version", &TEXT)], &["name"]))],
                &["engine"],
            ),
        ),
        ("id", &Node::Str(Str { min_len: 1, values: &[], format: Format::TrackingId })),
        ("initial_release_date", &DATE_TIME),
        (
            "revision_history",
            &list(&obj(
                &[("date", &DATE_TIME), ("legacy_version", &TEXT), ("number", &VERSION), ("summary", &TEXT)],
                &["date", "number", "summary"],
            )),
        ),
        ("status", &one_of(&["draft", "final", "interim"])),
        ("version", &VERSION),
    ],
    &["current_release_date", "id", "initial_release_date", "revision_history", "status", "version"],
);

static PRODUCT_TREE: Node = obj_min1(
    &[
        ("branches", &BRANCHES),
        ("full_product_names", &FULL_PRODUCT_NAMES),
        (
            "product_groups",
            &list(&obj(
                &[
                    ("group_id", &TEXT),
                    ("product_ids", &Node::Arr(Arr { items: &TEXT, min: 2, unique: true })),
                    ("summary", &TEXT),
                ],
                &["group_id", "product_ids"],
            )),
        ),
        (
            "relationships",
            &list(&obj(
                &[
                    (
                        "category",
                        &one_of(&[
                            "default_component_of",
                            "external_component_of",
                            "installed_on",
                            "installed_with",
                            "optional_component_of",
                        ]),
                    ),
                    ("full_product_name", &FULL_PRODUCT_NAME),
                    ("product_reference", &TEXT),
                    ("relates_to_product_reference", &TEXT),
                ],
                &["category", "full_product_name", "product_reference", "relates_to_product_reference"],
            )),
        ),
    ],
    &[],
);

static VULNERABILITIES: Node = list(&VULNERABILITY);
static VULNERABILITY: Node = obj_min1(
    &[
        ("acknowledgments", &ACKNOWLEDGMENTS),
        ("cve", &formatted(Format::Cve)),
        ("cwe", &obj(&[("id", &formatted(Format::Cwe)), ("name", &TEXT)], &["id", "name"])),
        ("discovery_date", &DATE_TIME),
        (
            "flags",
            &set(&obj(
                &[
                    ("date", &DATE_TIME),
                    ("group_ids", &PRODUCTS),
                    (
                        "label",
                        &one_of(&[
                            "component_not_present",
                            "inline_mitigations_already_exist",
                            "vulnerable_code_cannot_be_controlled_by_adversary",
                            "vulnerable_code_not_in_execute_path",
                            "vulnerable_code_not_present",
                        ]),
                    ),
                    ("product_ids", &PRODUCTS),
                ],
                &["label"],
            )),
        ),
        ("ids", &set(&obj(&[("system_name", &TEXT), ("text", &TEXT)], &["system_name", "text"]))),
        (
            "involvements",
            &set(&obj(
                &[
                    ("date", &DATE_TIME),
                    ("party", &one_of(&["coordinator", "discoverer", "other", "user", "vendor"])),
                    (
                        "status",
                        &one_of(&[
                            "completed",
                            "contact_attempted",
                            "disputed",
                            "in_progress",
                            "not_contacted",
                            "open",
                        ]),
                    ),
                    ("summary", &TEXT),
                ],
                &["party", "status"],
            )),
        ),
        ("notes", &NOTES),
        (
            "product_status",
            &obj_min1(
                &[
                    ("first_affected", &PRODUCTS),
                    ("first_fixed", &PRODUCTS),
                    ("fixed", &PRODUCTS),
                    ("known_affected", &PRODUCTS),
                    ("known_not_affected", &PRODUCTS),
                    ("last_affected", &PRODUCTS),
                    ("recommended", &PRODUCTS),
                    ("under_investigation", &PRODUCTS),
                ],
                &[],
            ),
        ),
        ("references", &REFERENCES),
        ("release_date", &DATE_TIME),
        (
            "remediations",
            &list(&obj(
                &[
                    (
                        "category",
                        &one_of(&["mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"]),
                    ),
                    ("date", &DATE_TIME),
                    ("details", &TEXT),
                    ("entitlements", &TEXTS),
                    ("group_ids", &PRODUCTS),
                    ("product_ids", &PRODUCTS),
                    (
                        "restart_required",
                        &obj(
                            &[
                                (
                                    "category",
                                    &one_of(&[
                                        "connected",
                                        "dependencies",
                                        "machine",
                                        "none",
                                        "parent",
                                        "service",
                                        "system",
                                        "vulnerable_component",
                                        "zone",
                                    ]),
                                ),
                                ("details", &TEXT),
                            ],
                            &["category"],
                        ),
                    ),
                    ("url", &URI),
                ],
                &["category", "details"],
            )),
        ),
        (
            "scores",
            &list(&Node::Obj(Obj {
                props: &[
                    ("cvss_v2", &Node::Test("6.1.8", &CVSS_V2)),
                    ("cvss_v3", &Node::Test("6.1.8", &Node::Cvss3)),
                    ("products", &PRODUCTS),
                ],
                required: &["products"],
                min_props: 2,
                max_props: usize::MAX,
            })),
        ),
        (
            "threats",
            &list(&obj(
                &[
                    ("category", &one_of(&["exploit_status", "impact", "target_set"])),
                    ("date", &DATE_TIME),
                    ("details", &TEXT),
                    ("group_ids", &PRODUCTS),
                    ("product_ids", &PRODUCTS),
                ],
                &["category", "details"],
            )),
        ),
        ("title", &TEXT),
    ],
    &[],
);

static SCORE: Node = Node::Num { min: 0.0, max: 10.0 };
static CVSS_V2: Node = obj(
    &[
        ("version", &one_of(&["2.0"])),
        ("vectorString", &formatted(Format::Cvss2Vector)),
        ("accessVector", &one_of(&["NETWORK", "ADJACENT_NETWORK", "LOCAL"])),
        ("accessComplexity", &one_of(&["HIGH", "MEDIUM", "LOW"])),
        ("authentication", &one_of(&["MULTIPLE", "SINGLE", "NONE"])),
        ("confidentialityImpact", &CIA_V2),
        ("integrityImpact", &CIA_V2),
        ("availabilityImpact", &CIA_V2),
        ("baseScore", &SCORE),
        ("exploitability", &one_of(&["UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH", "NOT_DEFINED"])),
        ("remediationLevel", &one_of(&["OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE", "NOT_DEFINED"])),
        ("reportConfidence", &one_of(&["UNCONFIRMED", "UNCORROBORATED", "CONFIRMED", "NOT_DEFINED"])),
        ("temporalScore", &SCORE),
        ("collateralDamagePotential", &one_of(&["NONE", "LOW", "LOW_MEDIUM", "MEDIUM_HIGH", "HIGH", "NOT_DEFINED"])),
        ("targetDistribution", &one_of(&["NONE", "LOW", "MEDIUM", "HIGH", "NOT_DEFINED"])),
        ("confidentialityRequirement", &REQ),
        ("integrityRequirement", &REQ),
        ("availabilityRequirement", &REQ),
        ("environmentalScore", &SCORE),
    ],
    &["version", "vectorString", "baseScore"],
);
static CIA_V2: Node = one_of(&["NONE", "PARTIAL", "COMPLETE"]);
static REQ: Node = one_of(&["LOW", "MEDIUM", "HIGH", "NOT_DEFINED"]);

macro_rules! cvss3 {
    ($name:ident, $version:literal, $vector:expr) => {
        static $name: Node = obj(
            &[
                ("version", &one_of(&[$version])),
                ("vectorString", &formatted($vector)),
                ("attackVector", &one_of(&["NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL"])),
                ("attackComplexity", &one_of(&["HIGH", "LOW"])),
                ("privilegesRequired", &one_of(&["HIGH", "LOW", "NONE"])),
                ("userInteraction", &one_of(&["NONE", "REQUIRED"])),
                ("scope", &one_of(&["UNCHANGED", "CHANGED"])),
                ("confidentialityImpact", &CIA_V3),
                ("integrityImpact", &CIA_V3),
                ("availabilityImpact", &CIA_V3),
                ("baseScore", &SCORE),
                ("baseSeverity", &SEVERITY),
                (
                    "exploitCodeMaturity",
                    &one_of(&["UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH", "NOT_DEFINED"]),
                ),
                (
                    "remediationLevel",
                    &one_of(&["OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE", "NOT_DEFINED"]),
                ),
                ("reportConfidence", &one_of(&["UNKNOWN", "REASONABLE", "CONFIRMED", "NOT_DEFINED"])),
                ("temporalScore", &SCORE),
                ("temporalSeverity", &SEVERITY),
                ("confidentialityRequirement", &REQ),
                ("integrityRequirement", &REQ),
                ("availabilityRequirement", &REQ),
                ("modifiedAttackVector", &one_of(&["NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL", "NOT_DEFINED"])),
                ("modifiedAttackComplexity", &one_of(&["HIGH", "LOW", "NOT_DEFINED"])),
                ("modifiedPrivilegesRequired", &one_of(&["HIGH", "LOW", "NONE", "NOT_DEFINED"])),
                ("modifiedUserInteraction", &one_of(&["NONE", "REQUIRED", "NOT_DEFINED"])),
                ("modifiedScope", &one_of(&["UNCHANGED", "CHANGED", "NOT_DEFINED"])),
                ("modifiedConfidentialityImpact", &MCIA_V3),
                ("modifiedIntegrityImpact", &MCIA_V3),
                ("modifiedAvailabilityImpact", &MCIA_V3),
                ("environmentalScore", &SCORE),
                ("environmentalSeverity", &SEVERITY),
            ],
            &["version", "vectorString", "baseScore", "baseSeverity"],
        );
    };
}
cvss3!(CVSS_V30, "3.0", Format::Cvss30Vector);
cvss3!(CVSS_V31, "3.1", Format::Cvss31Vector);
static CIA_V3: Node = one_of(&["NONE", "LOW", "HIGH"]);
static MCIA_V3: Node = one_of(&["NONE", "LOW", "HIGH", "NOT_DEFINED"]);
static SEVERITY: Node = one_of(&["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"]);

/// Checks `document` against the schema.
pub fn check(document: &Value, sink: &mut Sink) {
    let mut walker = Walker { sink };
    walker.walk(&ROOT, document, &mut String::new(), "schema");
}

struct Walker<'a> {
    sink: &'a mut Sink,
}

impl Walker<'_> {
    /// Walks `value`; `path` is its pointer, a buffer that children extend and restore.
    fn walk(&mut self, node: &'static Node, value: &Value, path: &mut String, test: &'static str) {
        match node {
            Node::Test(inner_test, inner) => self.walk(inner, value, path, inner_test),
            Node::Cvss3 => {
                let version = value.get("version").and_then(Value::as_str);
                let inner = if version == Some("3.0") { &CVSS_V30 } else { &CVSS_V31 };
                self.walk(inner, value, path, test);
            }
            Node::Str(s) => self.string(s, value, path, test),
            Node::Num { min, max } => match value.as_f64() {
                Some(n) if n < *min || n > *max => {
                    self.sink.error(test, &*path, format!("{n} is outside {min}..={max}"));
                }
                Some(_) => {}
                None => self.sink.error(test, &*path, format!("expected a number, found {}", kind(value))),
            },
            Node::Arr(a) => {
                let Some(items) = value.as_array() else {
                    self.sink.error(test, &*path, format!("expected an array, found {}", kind(value)));
                    return;
                };
                if items.len() < a.min {
                    self.sink.error(
                        test,
                        &*path,
                        format!("expected at least {} item(s), found {}", a.min, items.len()),
                    );
                }
                if a.unique {
                    self.unique(items, path, test);
                }
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    write!(path, "/{i}").expect("writing to a String");
                    self.walk(a.items, item, path, test);
                    path.truncate(len);
                }
            }
            Node::Obj(o) => {
                let Some(map) = value.as_object() else {
                    self.sink.error(test, &*path, format!("expected an object, found {}", kind(value)));
                    return;
                };
                for name in o.required {
                    if !map.contains_key(*name) {
                        self.sink.error(test, &*path, format!("required property {name:?} is missing"));
                    }
                }
                if map.len() < o.min_props {
                    self.sink.error(
                        test,
                        &*path,
                        format!("expected at least {} properties, found {}", o.min_props, map.len()),
                    );
                }
                if map.len() > o.max_props {
                    let names: Vec<&String> = map.keys().collect();
                    self.sink.error(
                        test,
                        &*path,
                        format!("expected at most {} properties, found {names:?}", o.max_props),
                    );
                }
                for (key, child) in map {
                    match o.props.iter().find(|(name, _)| name == key) {
                        Some((_, node)) => {
                            let len = path.len();
                            push_segment(path, key);
                            self.walk(node, child, path, test);
                            path.truncate(len);
                        }
                        None => self.sink.warning(
                            "6.2.20",
                            join(path, key),
                            format!("property {key:?} is not defined by the CSAF 2.0 schema"),
                        ),
                    }
                }
            }
        }
    }

    fn string(&mut self, s: &Str, value: &Value, path: &str, test: &'static str) {
        let Some(text) = value.as_str() else {
            self.sink.error(test, path, format!("expected a string, found {}", kind(value)));
            return;
        };
        let len = text.chars().count();
        if len < s.min_len {
            self.sink.error(test, path, format!("{text:?} is shorter than {} character(s)", s.min_len));
        }
        if !s.values.is_empty() && !s.values.contains(&text) {
            self.sink.error(test, path, format!("{text:?} is not one of {:?}", s.values));
        }
        let (ok, what) = match s.format {
            Format::None => (true, ""),
            Format::Uri => (format::uri(text), "a URI"),
            Format::DateTime => (format::date_time(text).is_some(), "an RFC 3339 date-time"),
            Format::Lang => (format::lang(text).is_some(), "a language tag"),
            Format::Version => (format::Version::parse(text).is_some(), "an integer or semantic version"),
            Format::TrackingId => {
                (format::trimmed_single_line(text), "a single-line ID without surrounding white space")
            }
            Format::Category => {
                (format::category(text), "a category that neither starts nor ends with white space, '-', '_' or '.'")
            }
            Format::Cve => (format::cve(text), "a CVE ID (CVE-YYYY-NNNN)"),
            Format::Cwe => (format::cwe(text), "a CWE ID (CWE-N)"),
            Format::Cpe => (format::cpe(text), "a CPE 2.2 or 2.3 name"),
            Format::Purl => (format::purl_pattern(text) && format::uri(text), "a package URL (pkg:type/…)"),
            Format::Hash => (format::hash_value(text), "a hexadecimal hash of at least 32 digits"),
            Format::Cvss2Vector => (crate::cvss::V2::parse(text).is_some(), "a CVSS v2.0 vector"),
            Format::Cvss30Vector => (crate::cvss::V3::parse(text, "3.0").is_some(), "a CVSS v3.0 vector"),
            Format::Cvss31Vector => (crate::cvss::V3::parse(text, "3.1").is_some(), "a CVSS v3.1 vector"),
        };
        if !ok {
            self.sink.error(test, path, format!("{text:?} is not {what}"));
        }
    }

    fn unique(&mut self, items: &[Value], path: &str, test: &'static str) {
        let mut seen = HashSet::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = match item {
                Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                // serde_json's maps are sorted, so equal objects print equally.
                other => std::borrow::Cow::Owned(other.to_string()),
            };
            if !seen.insert(key) {
                self.sink.error(test, join(path, i), format!("duplicate item {item} (items must be unique)"));
            }
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
