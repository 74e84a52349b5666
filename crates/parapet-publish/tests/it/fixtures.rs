//! The documents the tests render: a bulletin fixing two CVEs in two products, and a
//! configuration advisory without vulnerabilities.

use parapet_model::{
    Acknowledgment, AdvisoryCategory, Change, CvssScores, CvssV3, CvssV4, Cwe, Document, DocumentKind, Exploitability,
    ExploitabilityIndex, Faq, Impact, Product, ProductVersion, Reference, Revision, RevisionKind, RevisionNumber,
    RevisionStatus, Tlp, Update, Vulnerability, Workaround,
};
use parapet_publish::Settings;
use time::macros::datetime;

pub fn settings() -> Settings {
    Settings {
        publisher_name: "Acme Product Security".into(),
        publisher_namespace: "https://acme.example".into(),
        contact_details: Some("mailto:security@acme.example".into()),
        public_url: "https://security.acme.example".into(),
        cna_org_id: "00000000-0000-4000-8000-000000000000".into(),
        cna_short_name: "Acme".into(),
        disclaimer: Some("The information is provided \"as is\" without warranty of any kind.".into()),
    }
}

fn version(id: i64, product_id: i64, version: &str, branch: Option<&str>) -> ProductVersion {
    ProductVersion { id, product_id, version: version.into(), branch: branch.map(Into::into), cpe: None, purl: None }
}

fn products() -> Vec<Product> {
    vec![
        Product {
            id: 2,
            vendor_id: 1,
            vendor_name: "Acme".into(),
            name: "Widget Parser".into(),
            cpe: Some("cpe:2.3:a:acme:widget_parser:*:*:*:*:*:*:*:*".into()),
            purl: Some("pkg:pypi/acme-widget-parser".into()),
            versions: vec![version(21, 2, "4.2.0", None), version(20, 2, "4.1.0", None)],
        },
        Product {
            id: 1,
            vendor_id: 1,
            vendor_name: "Acme".into(),
            name: "Widget Server".into(),
            cpe: Some("cpe:2.3:a:acme:widget_server:*:*:*:*:*:*:*:*".into()),
            purl: Some("pkg:cargo/acme-widget-server".into()),
            versions: vec![
                version(10, 1, "1.9.4", Some("1.x")),
                version(11, 1, "2.2.0", Some("2.x")),
                version(12, 1, "2.3.0", Some("2.x")),
            ],
        },
    ]
}

fn revision(date: time::OffsetDateTime) -> Revision {
    Revision {
        number: RevisionNumber::FIRST,
        date,
        summary: "Initial release".into(),
        status: RevisionStatus::Draft,
        kind: RevisionKind::Content,
    }
}

pub fn bulletin() -> Document {
    let heap_overflow = Vulnerability {
        case_id: Some(42),
        cve: Some("CVE-2026-31001".into()),
        title: "Widget Server and Widget Parser heap overflow in the request parser".into(),
        description: "A heap-based buffer overflow in the request parser lets an unauthenticated attacker \
                      run code with the privileges of the server by sending a crafted request."
            .into(),
        cwe: Some(Cwe { id: "CWE-122".into(), name: "Heap-based Buffer Overflow".into() }),
        cvss: CvssScores {
            v31: Some(CvssV3::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap()),
            v4: Some(CvssV4::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap()),
        },
        severity: None,
        impact: Some(Impact::RemoteCodeExecution),
        exploitability: Exploitability {
            publicly_disclosed: false,
            exploited: false,
            index: Some(ExploitabilityIndex::ExploitationMoreLikely),
        },
        mitigations: vec!["Servers that only listen on a loopback interface cannot be reached remotely.".into()],
        workarounds: vec![Workaround {
            text: "Set `max_header_size = 8192` in widget.toml and restart the server.".into(),
            undo: Some("Remove the `max_header_size` line and restart the server.".into()),
        }],
        faq: vec![Faq {
            question: "Do I need to update Widget Parser if I only use Widget Server?".into(),
            answer: "No: Widget Server bundles its own copy of the parser.".into(),
        }],
        acknowledgments: vec![Acknowledgment {
            names: vec!["Ada Lovelace".into()],
            organization: Some("Analytical Security".into()),
        }],
        affected: vec![10, 11, 12, 20, 21],
    };
    let traversal = Vulnerability {
        case_id: Some(43),
        cve: Some("CVE-2026-31002".into()),
        title: "Widget Server path traversal in the export endpoint".into(),
        description: "The export endpoint does not confine file names to the export folder, so an \
                      authenticated user can read any file the server can read."
            .into(),
        cwe: Some(Cwe {
            id: "CWE-22".into(),
            name: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')".into(),
        }),
        cvss: CvssScores {
            v31: Some(CvssV3::parse("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N").unwrap()),
            v4: Some(CvssV4::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N").unwrap()),
        },
        severity: None,
        impact: Some(Impact::InformationDisclosure),
        exploitability: Exploitability { publicly_disclosed: true, exploited: false, index: None },
        mitigations: vec![],
        workarounds: vec![],
        faq: vec![],
        acknowledgments: vec![],
        affected: vec![11, 12],
    };
    let mut doc = Document {
        id: "PSB-2026-014".into(),
        kind: DocumentKind::Bulletin,
        title: "Security update for Acme Widget Server and Widget Parser".into(),
        summary: "This update fixes a critical remote code execution vulnerability and an important \
                  information disclosure vulnerability in Widget Server, and the parser flaw in Widget Parser."
            .into(),
        category: None,
        tlp: Tlp::White,
        revisions: vec![revision(datetime!(2026-12-08 10:00 -8))],
        products: products(),
        vulnerabilities: vec![heap_overflow, traversal],
        updates: vec![
            Update {
                product_id: 1,
                branch: Some("1.x".into()),
                fixed_version: "1.9.5".into(),
                purl: None,
                url: Some("https://acme.example/downloads/widget-server".into()),
                restart_required: true,
            },
            Update {
                product_id: 1,
                branch: Some("2.x".into()),
                fixed_version: "2.3.1".into(),
                purl: None,
                url: Some("https://acme.example/downloads/widget-server".into()),
                restart_required: true,
            },
            Update {
                product_id: 2,
                branch: None,
                fixed_version: "4.2.1".into(),
                purl: None,
                url: Some("https://pypi.org/project/acme-widget-parser/4.2.1/".into()),
                restart_required: false,
            },
        ],
        references: vec![],
        replaces: vec![],
    };
    doc.publish(RevisionStatus::Final, datetime!(2026-12-08 10:00 -8)).unwrap();
    doc.revise(Change::Minor, datetime!(2026-12-10 09:30 -8), "Added an FAQ entry about Widget Parser").unwrap();
    doc.publish(RevisionStatus::Final, datetime!(2026-12-10 09:30 -8)).unwrap();
    doc.validate().unwrap();
    doc
}

pub fn advisory() -> Document {
    let mut doc = Document {
        id: "PSA-2026-003".into(),
        kind: DocumentKind::Advisory,
        title: "Hardening the TLS configuration of Acme Widget Server".into(),
        summary: "Acme recommends disabling TLS 1.0 and 1.1 on Widget Server. Newer installations already do; \
                  installations upgraded from 1.x keep the old default."
            .into(),
        category: Some(AdvisoryCategory::Configuration),
        tlp: Tlp::White,
        revisions: vec![revision(datetime!(2026-12-08 18:00 UTC))],
        products: vec![],
        vulnerabilities: vec![],
        updates: vec![],
        references: vec![Reference {
            url: "https://acme.example/docs/widget-server/tls".into(),
            summary: "Widget Server TLS configuration guide".into(),
        }],
        replaces: vec![],
    };
    doc.publish(RevisionStatus::Final, datetime!(2026-12-08 18:00 UTC)).unwrap();
    doc.validate().unwrap();
    doc
}
