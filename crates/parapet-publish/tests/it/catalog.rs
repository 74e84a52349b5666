//! What Parapet publishes, Parapet's own catalog reads back: the OSV records and the CSAF
//! document both say which installed versions are affected and which update fixes them.

use parapet_catalog::matching::affects;
use parapet_catalog::model::Advisory;
use parapet_catalog::sources::{self, Record};

use crate::fixtures;

/// (ecosystem, package, installed version, expected: `None` not affected, else the fix).
const TABLE: &[(&str, &str, &str, Option<&str>)] = &[
    ("crates.io", "acme-widget-server", "1.9.4", Some("1.9.5")),
    ("crates.io", "acme-widget-server", "1.9.5", None),
    ("crates.io", "acme-widget-server", "2.1.0", None),
    ("crates.io", "acme-widget-server", "2.2.0", Some("2.3.1")),
    ("crates.io", "acme-widget-server", "2.3.0", Some("2.3.1")),
    ("crates.io", "acme-widget-server", "2.3.1", None),
    ("PyPI", "acme-widget-parser", "4.1.0", Some("4.2.1")),
    ("PyPI", "acme-widget-parser", "4.2.1", None),
];

fn advisory(record: Result<Record, String>) -> Advisory {
    match record.unwrap() {
        Record::Advisory { advisory, problems } => {
            assert!(problems.is_empty(), "{problems:?}");
            advisory
        }
        Record::Withdrawn(id) => panic!("{id} read as withdrawn"),
    }
}

#[track_caller]
fn check(advisory: &Advisory) {
    for &(ecosystem, package, version, expected) in TABLE {
        let found = advisory
            .affected
            .iter()
            .filter(|a| a.ecosystem == ecosystem && a.package == package)
            .map(|a| affects(a, version).unwrap())
            .find(Option::is_some)
            .flatten();
        assert_eq!(found.as_ref().map(|fix| fix.as_deref()), expected.map(Some), "{} {package} {version}", advisory.id);
    }
}

#[test]
fn osv_reads_back() {
    let records = parapet_publish::osv::records(&fixtures::bulletin(), &fixtures::settings());
    let advisory = advisory(sources::osv::parse_json(&records[0].to_string()));
    assert_eq!(advisory.id, "CVE-2026-31001");
    check(&advisory);
}

#[test]
fn csaf_reads_back() {
    let csaf = parapet_publish::csaf::document(&fixtures::bulletin(), &fixtures::settings());
    let advisory = advisory(sources::csaf::parse(&csaf.to_string()));
    assert_eq!(advisory.id, "PSB-2026-014");
    check(&advisory);
}
