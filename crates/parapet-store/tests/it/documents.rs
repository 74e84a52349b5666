//! Bulletins and advisories: drafts, amendment rules, scheduled publication exactly once, the
//! cases disclosed with it, imports, and what the public may read.

use parapet_model::{Document, Publication, RevisionStatus, Role, Severity, Viewer};
use parapet_store::{DocumentQuery, Schedule, StoreError};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::{TestStore, on_both, staff};

on_both!(draft_schedule_publish_and_disclose, refused_publication_keeps_the_draft, imports_and_visibility);

const RELEASE: OffsetDateTime = datetime!(2026-12-08 17:00 UTC);

fn bulletin(id: &str, case_id: Option<i64>) -> Document {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "kind": "bulletin",
        "title": format!("Security update for Widget ({id})"),
        "summary": "Fixes a heap overflow.",
        "category": null,
        "tlp": "WHITE",
        "revisions": [{"number": "1.0", "date": "2026-12-08T17:00:00Z", "summary": "Initial release", "status": "draft", "kind": "content"}],
        "products": [{"id": 1, "vendor_id": 1, "vendor_name": "Acme", "name": "Widget", "cpe": null, "purl": null,
            "versions": [{"id": 10, "product_id": 1, "version": "2.4", "branch": null, "cpe": null, "purl": null}]}],
        "vulnerabilities": [{
            "case_id": case_id, "cve": "CVE-2026-31001", "title": "Heap overflow", "description": "d",
            "cwe": null, "cvss": {"v31": null, "v4": null}, "severity": "critical", "impact": null,
            "exploitability": {"publicly_disclosed": false, "exploited": false, "index": null},
            "mitigations": [], "workarounds": [], "faq": [], "acknowledgments": [], "affected": [10]
        }],
        "updates": [{"product_id": 1, "branch": null, "fixed_version": "2.4.1", "purl": null, "url": null, "restart_required": false}],
        "references": [],
        "replaces": []
    }))
    .unwrap()
}

/// What the server makes at publication, minus the rendering and signing (tested with the server):
/// the document's file and one derived VEX file.
fn fake_publication(document: &Document, release: Option<&str>) -> Result<Vec<Publication>, String> {
    let main = fake_one(document, release)?;
    let mut vex = main.clone();
    vex.document_id = format!("{}-VEX-P1", document.id);
    vex.path = format!("2026/{}.json", vex.document_id.to_lowercase());
    vex.category = "csaf_vex".into();
    Ok(vec![main, vex])
}

fn fake_one(document: &Document, release: Option<&str>) -> Result<Publication, String> {
    let current = document.current().unwrap();
    Ok(Publication {
        document_id: document.id.clone(),
        version: current.number.to_string(),
        kind: document.kind,
        title: document.title.clone(),
        label: "WHITE".into(),
        path: format!("2026/{}.json", document.id.to_lowercase()),
        category: "csaf_security_advisory".into(),
        severity: document.severity(),
        status: "active".into(),
        release_month: release.map(str::to_owned),
        initial_release: document.initial_release().unwrap(),
        current_release: current.date,
        csaf: format!("{{\"id\":\"{}\",\"version\":\"{}\"}}", document.id, current.number),
        sha256: "00".repeat(32),
        sha512: "00".repeat(64),
        signature: "-----BEGIN PGP SIGNATURE-----".into(),
        snapshot: Some(serde_json::to_string(document).unwrap()),
        cves: document.vulnerabilities.iter().filter_map(|v| v.cve.clone()).collect(),
        products: vec!["Acme Widget 2.4".into()],
    })
}

async fn open_case(store: &TestStore) -> i64 {
    let draft: parapet_model::CaseDraft =
        serde_json::from_value(serde_json::json!({"title": "Heap overflow", "description": "d"})).unwrap();
    let fields = draft.apply(&parapet_model::CaseFields::default()).unwrap();
    let new = parapet_store::NewCase { fields, source: "staff", tracking_hash: None };
    store.create_case("analyst", new).await.unwrap().id
}

async fn draft_schedule_publish_and_disclose(store: TestStore) {
    let case = open_case(&store).await;
    let publisher = staff(Role::Publisher);
    store.create_document("pub", &bulletin("PSB-2026-001", Some(case))).await.unwrap();
    let err = store.create_document("pub", &bulletin("PSB-2026-001", None)).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");

    // Before the instant: nothing public, not even a count.
    let schedule = Schedule { at: RELEASE, status: RevisionStatus::Final, release_month: Some("2026-12".into()) };
    store.schedule_document("pub", "PSB-2026-001", &schedule).await.unwrap();
    assert!(store.publish_due(RELEASE - time::Duration::seconds(1), &fake_publication).await.unwrap().is_empty());
    let public = store.published_documents(&Viewer::Anonymous, &DocumentQuery::default()).await.unwrap();
    assert_eq!((public.total, public.items.len()), (0, 0));
    assert!(matches!(store.publication(&Viewer::Anonymous, "PSB-2026-001").await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.document(&Viewer::Anonymous, "PSB-2026-001").await, Err(StoreError::NotFound(_))));
    assert!(store.documents(&Viewer::Anonymous).await.unwrap().is_empty());

    // Two publishers racing past the instant: it is published once.
    let (a, b) = tokio::join!(
        store.publish_due(RELEASE + time::Duration::hours(5), &fake_publication),
        store.publish_due(RELEASE + time::Duration::hours(5), &fake_publication)
    );
    let outcomes: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(outcomes, [("PSB-2026-001".to_owned(), Ok("1.0".to_owned()))]);
    assert!(store.publish_due(RELEASE + time::Duration::days(1), &fake_publication).await.unwrap().is_empty());

    let published = store.publication(&Viewer::Anonymous, "PSB-2026-001").await.unwrap();
    assert_eq!(published.current_release, RELEASE, "dated at the scheduled instant, not when the server got to it");
    assert_eq!(published.release_month.as_deref(), Some("2026-12"));
    assert_eq!(published.cves, ["CVE-2026-31001"]);
    let stored = store.document(&publisher, "PSB-2026-001").await.unwrap();
    assert_eq!(stored.status, "active");
    assert!(stored.schedule.is_none());
    assert_eq!(stored.document.unwrap().current().unwrap().status, RevisionStatus::Final);
    let case = store.case(&publisher, case).await.unwrap();
    assert_eq!(case.state, parapet_model::CaseState::Disclosed);

    // The guide finds it by CVE, product, severity and release; and not by other values.
    let find = |q: DocumentQuery| {
        let store = &store;
        async move { store.published_documents(&Viewer::Anonymous, &q).await.unwrap().total }
    };
    assert_eq!(find(DocumentQuery { cve: Some("cve-2026-31001".into()), ..Default::default() }).await, 1);
    assert_eq!(find(DocumentQuery { cve: Some("CVE-2026-0001".into()), ..Default::default() }).await, 0);
    assert_eq!(find(DocumentQuery { product: Some("widget".into()), ..Default::default() }).await, 1);
    assert_eq!(find(DocumentQuery { product: Some("gadget".into()), ..Default::default() }).await, 0);
    assert_eq!(find(DocumentQuery { severity: Some(Severity::Critical), ..Default::default() }).await, 1);
    assert_eq!(find(DocumentQuery { severity: Some(Severity::Low), ..Default::default() }).await, 0);
    assert_eq!(find(DocumentQuery { release_month: Some("2026-12".into()), ..Default::default() }).await, 1);
    assert_eq!(find(DocumentQuery { text: Some("psb-2026-001".into()), ..Default::default() }).await, 1);
    assert_eq!(find(DocumentQuery { until: Some(RELEASE), ..Default::default() }).await, 0);
    assert_eq!(store.release_months(&Viewer::Anonymous).await.unwrap(), ["2026-12"]);

    // A published revision never changes; a new revision does.
    let mut edited = store.document(&publisher, "PSB-2026-001").await.unwrap().document.unwrap();
    edited.title = "Changed".into();
    let err = store.update_document("pub", &edited).await.unwrap_err();
    assert!(err.to_string().contains("start a new revision"), "{err}");
    edited.revise(parapet_model::Change::Minor, RELEASE + time::Duration::days(7), "Corrected the title").unwrap();
    store.update_document("pub", &edited).await.unwrap();
    let at = RELEASE + time::Duration::days(7);
    let again =
        store.publish_document("pub", "PSB-2026-001", RevisionStatus::Final, at, &fake_publication).await.unwrap();
    assert_eq!(again.version, "1.1");
    assert_eq!(again.release_month, None, "a revision outside the schedule is out of band");
    let history = store.publication_history(&Viewer::Anonymous, "PSB-2026-001").await.unwrap();
    assert_eq!(history.iter().map(|p| p.version.as_str()).collect::<Vec<_>>(), ["1.0", "1.1"]);
    let entries = store.provider_entries("WHITE").await.unwrap();
    let listed: Vec<(&str, &str)> = entries.iter().map(|p| (p.document_id.as_str(), p.version.as_str())).collect();
    assert_eq!(
        listed,
        [("PSB-2026-001-VEX-P1", "1.1"), ("PSB-2026-001", "1.1")],
        "current revisions by path, VEX included"
    );
    assert_eq!(
        store.published_documents(&Viewer::Anonymous, &DocumentQuery::default()).await.unwrap().total,
        1,
        "the guide lists the bulletin, not its VEX"
    );
    let file = store.provider_file("WHITE", "2026/psb-2026-001.json").await.unwrap().unwrap();
    assert!(file.csaf.contains("\"1.1\""));

    // Every step is in the audit log.
    let entries = store
        .audit_entries(&parapet_store::AuditQuery {
            entity: Some(parapet_model::Entity::Document),
            entity_id: Some("PSB-2026-001".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.items.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["document.create", "document.schedule", "document.publish", "document.update", "document.publish"]
    );
}

async fn refused_publication_keeps_the_draft(store: TestStore) {
    store.create_document("pub", &bulletin("PSB-2026-002", None)).await.unwrap();
    let schedule = Schedule { at: RELEASE, status: RevisionStatus::Final, release_month: None };
    store.schedule_document("pub", "PSB-2026-002", &schedule).await.unwrap();
    let refuse = |_: &Document, _: Option<&str>| -> Result<Vec<Publication>, String> {
        Err("6.1.8 at /vulnerabilities/0/scores/0: the CVSS vector does not match its base score".into())
    };
    let outcomes = store.publish_due(RELEASE, &refuse).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].1.as_ref().unwrap_err().starts_with("6.1.8"));
    let stored = store.document(&staff(Role::Publisher), "PSB-2026-002").await.unwrap();
    assert_eq!(stored.status, "unpublished");
    assert!(stored.schedule.is_none(), "a refused document is not retried forever");
    assert!(stored.schedule_error.unwrap().contains("6.1.8"));
    assert_eq!(store.provider_entries("WHITE").await.unwrap().len(), 0);

    let err = store.publish_document("pub", "PSB-2026-002", RevisionStatus::Final, RELEASE, &refuse).await.unwrap_err();
    assert!(err.to_string().contains("6.1.8"), "{err}");
    assert_eq!(store.document(&staff(Role::Publisher), "PSB-2026-002").await.unwrap().status, "unpublished");
}

async fn imports_and_visibility(store: TestStore) {
    let mut imported = fake_one(&bulletin("ICSA-24-001-01", None), None).unwrap();
    imported.document_id = "ICSA-24-001-01".into();
    imported.status = "active".into();
    imported.snapshot = None;
    assert!(store.import_publication("importer", &imported).await.unwrap());
    assert!(!store.import_publication("importer", &imported).await.unwrap(), "the same file again changes nothing");
    let mut changed = imported.clone();
    changed.sha256 = "11".repeat(32);
    let err = store.import_publication("importer", &changed).await.unwrap_err();
    assert!(err.to_string().contains("already published"), "{err}");

    // Another ID that maps to the same file name is refused rather than overwriting it.
    let mut clash = imported.clone();
    clash.document_id = "icsa-24-001-01".into();
    let err = store.import_publication("importer", &clash).await.unwrap_err();
    assert!(err.to_string().contains("already published as white/2026/"), "{err}");

    // A TLP:AMBER document is for those who may see documents only.
    let mut amber = imported.clone();
    amber.document_id = "ICSA-24-002-01".into();
    amber.label = "AMBER".into();
    amber.path = "2026/icsa-24-002-01.json".into();
    store.import_publication("importer", &amber).await.unwrap();
    let anonymous = store.published_documents(&Viewer::Anonymous, &DocumentQuery::default()).await.unwrap();
    assert_eq!(anonymous.total, 1);
    let auditor = store.published_documents(&staff(Role::Auditor), &DocumentQuery::default()).await.unwrap();
    assert_eq!(auditor.total, 2);
    assert!(store.publication(&Viewer::Anonymous, "ICSA-24-002-01").await.is_err());
    assert!(store.publication(&staff(Role::Auditor), "ICSA-24-002-01").await.is_ok());

    // A scheduled document whose file name is taken is refused, not retried forever.
    let mut taken = imported.clone();
    taken.document_id = "psb-2026-009".into();
    taken.path = "2026/psb-2026-009.json".into();
    store.import_publication("importer", &taken).await.unwrap();
    store.create_document("pub", &bulletin("PSB-2026-009", None)).await.unwrap();
    let schedule = Schedule { at: RELEASE, status: RevisionStatus::Final, release_month: None };
    store.schedule_document("pub", "PSB-2026-009", &schedule).await.unwrap();
    let outcomes = store.publish_due(RELEASE, &fake_publication).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let reason = outcomes[0].1.as_ref().unwrap_err();
    assert!(reason.contains("already published as white/2026/psb-2026-009.json"), "{reason}");
    let refused = store.document(&staff(Role::Publisher), "PSB-2026-009").await.unwrap();
    assert_eq!((refused.status.as_str(), refused.schedule.is_none()), ("unpublished", true));
    assert!(store.publish_due(RELEASE, &fake_publication).await.unwrap().is_empty());

    // Writing over an authored document by import is refused.
    store.create_document("pub", &bulletin("PSB-2026-003", None)).await.unwrap();
    let mut over = imported.clone();
    over.document_id = "PSB-2026-003".into();
    let err = store.import_publication("importer", &over).await.unwrap_err();
    assert!(err.to_string().contains("written in Parapet"), "{err}");
}
