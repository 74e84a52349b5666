use parapet_model::{CaseDraft, CaseFields, CaseState, MessageVisibility, ProductInput, Role, Scope, Severity, Viewer};
use parapet_store::{CaseQuery, CaseSort, NewAttachment, NewCase, StoreError};

use crate::{TestStore, on_both, staff};

on_both!(
    scores_with_and_without_vectors,
    create_and_read,
    embargo_by_viewer,
    list_filters_sort_page,
    update_is_atomic,
    transitions,
    cve_ids,
    messages,
    attachments,
    dashboard_counts
);

fn fields(json: serde_json::Value) -> CaseFields {
    serde_json::from_value::<CaseDraft>(json).unwrap().apply(&CaseFields::default()).unwrap()
}

async fn new_case(store: &TestStore, title: &str) -> parapet_model::Case {
    let new = NewCase {
        fields: fields(serde_json::json!({"title": title, "description": "d"})),
        source: "staff",
        tracking_hash: None,
    };
    store.create_case("analyst", new).await.unwrap()
}

async fn create_and_read(store: TestStore) {
    let product = store
        .create_product(
            "root",
            &ProductInput { vendor: "Acme".into(), name: "Widget".into(), cpe: None, purl: None }.validate().unwrap(),
        )
        .await
        .unwrap();
    let new = NewCase {
        fields: fields(serde_json::json!({
            "title": "RCE in widget <script>",
            "description": "'; DROP TABLE cases; --",
            "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "cwe": "CWE-787",
            "credits": ["Ada Lovelace"],
            "affected": [{"product_id": product.id, "versions": "< 2.4.1", "fixed_version": "2.4.1"}],
            "exploitability_index": "exploitation_more_likely",
            "disclosure_date": "2026-12-08",
        })),
        source: "intake",
        tracking_hash: Some("track".into()),
    };
    let created = store.create_case("analyst", new).await.unwrap();
    assert_eq!(created.state, CaseState::New);
    assert_eq!(created.severity, Some(Severity::Critical));
    let read = store.case(&staff(Role::Auditor), created.id).await.unwrap();
    assert_eq!(read, created);
    assert_eq!(read.fields.description, "'; DROP TABLE cases; --");
    assert_eq!(read.fields.affected[0].product_name.as_deref(), Some("Acme Widget"));
    assert_eq!(read.fields.cvss.v31.as_ref().unwrap().score, 9.8);
    assert_eq!(store.case_for_tracking("track").await.unwrap(), Some(created.id));

    let bad = NewCase {
        fields: fields(
            serde_json::json!({"title": "t", "description": "d", "affected": [{"product_id": 4242, "versions": "1.0"}]}),
        ),
        source: "staff",
        tracking_hash: None,
    };
    let err = store.create_case("analyst", bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref e) if e.field == "affected.product_id"), "{err:?}");
    let all = store.cases(&staff(Role::Analyst), &CaseQuery::default()).await.unwrap();
    assert_eq!(all.total, 1, "a refused case leaves nothing behind");
}

async fn embargo_by_viewer(store: TestStore) {
    let mine = new_case(&store, "mine").await;
    let other = new_case(&store, "other").await;
    let reporter = Viewer::Reporter { case_id: mine.id };
    let no_role = [Viewer::Anonymous, Viewer::Reporter { case_id: other.id }];
    for viewer in &no_role {
        let page = store.cases(viewer, &CaseQuery::default()).await.unwrap();
        assert_eq!((page.items.len(), page.total), (0, 0), "{viewer:?}");
        let counts = store.case_counts(viewer).await.unwrap();
        assert_eq!(counts.open, 0);
        assert!(store.attachments(viewer, mine.id).await.is_err());
        assert!(store.case_timeline(viewer, mine.id).await.is_err());
    }
    assert!(matches!(store.case(&Viewer::Anonymous, mine.id).await, Err(StoreError::NotFound("case"))));
    assert!(matches!(
        store.case(&Viewer::Reporter { case_id: other.id }, mine.id).await,
        Err(StoreError::NotFound("case"))
    ));
    assert_eq!(store.case(&reporter, mine.id).await.unwrap().id, mine.id);
    assert_eq!(store.cases(&reporter, &CaseQuery::default()).await.unwrap().total, 0, "reporters cannot list");
    for role in Role::ALL {
        assert_eq!(store.cases(&staff(role), &CaseQuery::default()).await.unwrap().total, 2, "{role}");
    }
    let token_without_read =
        Viewer::Staff { user_id: 1, name: "t".into(), role: Role::Analyst, scopes: Some(vec![Scope::Write]) };
    assert_eq!(store.cases(&token_without_read, &CaseQuery::default()).await.unwrap().total, 0);
}

async fn list_filters_sort_page(store: TestStore) {
    let vectors = [
        ("alpha overflow", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("beta xss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
        ("gamma 100%_done", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"),
    ];
    for (title, vector) in vectors {
        let new = NewCase {
            fields: fields(serde_json::json!({"title": title, "description": "x", "cvss_v31": vector})),
            source: "staff",
            tracking_hash: None,
        };
        store.create_case("a", new).await.unwrap();
    }
    let viewer = staff(Role::Analyst);
    let titles = |q: CaseQuery| {
        let store = &store;
        let viewer = &viewer;
        async move { store.cases(viewer, &q).await.unwrap().items.into_iter().map(|c| c.fields.title).collect::<Vec<_>>() }
    };
    let by_title = CaseQuery { sort: CaseSort::Title, ascending: true, ..Default::default() };
    assert_eq!(titles(by_title.clone()).await, ["alpha overflow", "beta xss", "gamma 100%_done"]);
    assert_eq!(titles(CaseQuery { sort: CaseSort::Severity, ..Default::default() }).await[0], "alpha overflow");
    assert_eq!(titles(CaseQuery { severity: Some(Severity::Moderate), ..Default::default() }).await, ["beta xss"]);
    assert_eq!(titles(CaseQuery { text: Some("XSS".into()), ..Default::default() }).await, ["beta xss"]);
    assert_eq!(titles(CaseQuery { text: Some("100%_".into()), ..Default::default() }).await, ["gamma 100%_done"]);
    assert!(
        titles(CaseQuery { text: Some("%".into()), ..by_title.clone() }).await.len() == 1,
        "LIKE wildcards are literal"
    );
    assert_eq!(titles(CaseQuery { states: vec![CaseState::Triaged], ..Default::default() }).await.len(), 0);
    let page2 = store.cases(&viewer, &CaseQuery { per_page: 2, page: 2, ..by_title.clone() }).await.unwrap();
    assert_eq!((page2.total, page2.items.len(), page2.items[0].fields.title.as_str()), (3, 1, "gamma 100%_done"));
    let beyond =
        store.cases(&viewer, &CaseQuery { per_page: 2, page: 9, text: Some("a".into()), ..by_title }).await.unwrap();
    assert_eq!((beyond.total, beyond.items.len()), (3, 0), "past the last page the total is still known");
}

async fn update_is_atomic(store: TestStore) {
    let case = new_case(&store, "before").await;
    let draft: CaseDraft = serde_json::from_value(serde_json::json!({"title": "after", "cvss_v4": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"})).unwrap();
    let next = draft.apply(&case.fields).unwrap();
    let updated = store.update_case("analyst", case.id, &next).await.unwrap();
    assert_eq!((updated.fields.title.as_str(), updated.severity), ("after", Some(Severity::Critical)));
    let timeline = store.case_timeline(&staff(Role::Auditor), case.id).await.unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last.action.as_str(), "case.update");
    assert_eq!(last.before.as_ref().unwrap()["title"], "before");
    assert_eq!(last.after.as_ref().unwrap()["title"], "after");
    assert!(matches!(store.update_case("analyst", 9999, &next).await, Err(StoreError::NotFound(_))));
}

async fn transitions(store: TestStore) {
    let case = new_case(&store, "flow").await;
    let err = store.transition_case("a", case.id, CaseState::Disclosed, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "state: cannot move a case from new to disclosed; allowed from new: triaged, rejected, duplicate"
    );
    for state in [
        CaseState::Triaged,
        CaseState::Confirmed,
        CaseState::FixInProgress,
        CaseState::FixReady,
        CaseState::Scheduled,
        CaseState::Disclosed,
    ] {
        assert_eq!(store.transition_case("a", case.id, state, None).await.unwrap().state, state);
    }
    let timeline = store.case_timeline(&staff(Role::Analyst), case.id).await.unwrap();
    assert_eq!(timeline.iter().filter(|e| e.action.as_str() == "case.transition").count(), 6);

    let dup = new_case(&store, "dup").await;
    let missing = store.transition_case("a", dup.id, CaseState::Duplicate, None).await.unwrap_err();
    assert!(matches!(missing, StoreError::Invalid(ref e) if e.field == "duplicate_of"));
    assert!(store.transition_case("a", dup.id, CaseState::Duplicate, Some(dup.id)).await.is_err());
    assert!(store.transition_case("a", dup.id, CaseState::Duplicate, Some(777)).await.is_err());
    let marked = store.transition_case("a", dup.id, CaseState::Duplicate, Some(case.id)).await.unwrap();
    assert_eq!((marked.state, marked.duplicate_of), (CaseState::Duplicate, Some(case.id)));
    let reopened = store.transition_case("a", dup.id, CaseState::New, None).await.unwrap();
    assert_eq!(reopened.duplicate_of, None);
}

async fn cve_ids(store: TestStore) {
    let a = new_case(&store, "a").await;
    let b = new_case(&store, "b").await;
    let with_cve = |c: &parapet_model::Case, cve: &str| {
        serde_json::from_value::<CaseDraft>(serde_json::json!({"cve_id": cve})).unwrap().apply(&c.fields).unwrap()
    };
    store.update_case("x", a.id, &with_cve(&a, "CVE-2026-1000")).await.unwrap();
    let dup = store.update_case("x", b.id, &with_cve(&b, "cve-2026-1000")).await.unwrap_err();
    assert!(matches!(dup, StoreError::Invalid(ref e) if e.field == "cve_id"), "{dup:?}");

    let pool: Vec<String> = ["CVE-2026-1000", "CVE-2026-1001", "CVE-2026-1002"].map(String::from).to_vec();
    assert_eq!(store.add_to_cve_pool(&pool).await.unwrap(), 3);
    assert_eq!(store.add_to_cve_pool(&pool).await.unwrap(), 0);
    assert_eq!(store.cve_pool_status().await.unwrap(), (3, 2), "an ID entered by hand is not free");
    let assigned = store.assign_cve("x", b.id).await.unwrap();
    assert_eq!(assigned.fields.cve_id.as_deref(), Some("CVE-2026-1001"));
    assert!(store.assign_cve("x", b.id).await.is_err(), "a case has one CVE");
    // Concurrent assignments never hand out the same ID.
    let c = new_case(&store, "c").await;
    let d = new_case(&store, "d").await;
    let (x, y) = tokio::join!(store.assign_cve("x", c.id), store.assign_cve("x", d.id));
    let mut got = [x, y].into_iter().filter_map(|r| r.ok()).map(|c| c.fields.cve_id.unwrap()).collect::<Vec<_>>();
    got.sort();
    assert_eq!(got, ["CVE-2026-1002"], "one gets the last ID, the other an empty-pool error");
    let empty = store.assign_cve("x", new_case(&store, "e").await.id).await.unwrap_err();
    assert!(empty.to_string().contains("pool is empty"));
}

async fn messages(store: TestStore) {
    let case = new_case(&store, "talk").await;
    let reporter = Viewer::Reporter { case_id: case.id };
    let analyst = staff(Role::Analyst);
    store.add_message(&reporter, case.id, MessageVisibility::Internal, "hello").await.unwrap();
    store.add_message(&analyst, case.id, MessageVisibility::Reporter, "thanks").await.unwrap();
    store.add_message(&analyst, case.id, MessageVisibility::Internal, "internal: looks real").await.unwrap();
    let seen_by_reporter = store.messages(&reporter, case.id).await.unwrap();
    assert_eq!(seen_by_reporter.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["hello", "thanks"]);
    assert_eq!(seen_by_reporter[0].visibility, MessageVisibility::Reporter, "reporters cannot write notes");
    assert_eq!(store.messages(&analyst, case.id).await.unwrap().len(), 3);
    assert!(store.messages(&Viewer::Anonymous, case.id).await.is_err());
    assert!(store.add_message(&staff(Role::Auditor), case.id, MessageVisibility::Internal, "x").await.is_err());
    assert!(
        store
            .add_message(&Viewer::Reporter { case_id: case.id + 1 }, case.id, MessageVisibility::Reporter, "x")
            .await
            .is_err()
    );
    assert!(store.add_message(&analyst, case.id, MessageVisibility::Reporter, "  ").await.is_err());
}

async fn attachments(store: TestStore) {
    let case = new_case(&store, "files").await;
    let content = b"PoC bytes \x00\xff".to_vec();
    let new = || NewAttachment {
        filename: "poc.bin".into(),
        content_type: "application/octet-stream".into(),
        sha256: "abc123".into(),
        content: content.clone(),
    };
    let first = store.add_attachment("analyst", case.id, new()).await.unwrap();
    let second = store.add_attachment("analyst", case.id, new()).await.unwrap();
    assert_ne!(first.id, second.id);
    let viewer = staff(Role::Auditor);
    assert_eq!(store.attachments(&viewer, case.id).await.unwrap().len(), 2);
    let (meta, bytes) = store.attachment(&viewer, case.id, first.id).await.unwrap();
    assert_eq!((meta.size, bytes), (content.len() as i64, content));
    assert!(store.attachment(&viewer, case.id + 1, first.id).await.is_err());
}

async fn dashboard_counts(store: TestStore) {
    let a = new_case(&store, "a").await;
    new_case(&store, "b").await;
    store.transition_case("x", a.id, CaseState::Rejected, None).await.unwrap();
    let counts = store.case_counts(&staff(Role::Analyst)).await.unwrap();
    assert_eq!(counts.open, 1);
    assert!(counts.by_state.contains(&(CaseState::New, 1)));
    assert!(counts.by_state.contains(&(CaseState::Rejected, 1)));
}

/// A statement first prepared with an absent score must still take a present one later
/// (sqlx's Any driver once typed NULL doubles wrongly for PostgreSQL).
async fn scores_with_and_without_vectors(store: TestStore) {
    let vectors = [
        None,
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        None,
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
    ];
    let mut ids = Vec::new();
    for (i, vector) in vectors.iter().enumerate() {
        let mut json = serde_json::json!({"title": format!("case {i}"), "description": "d"});
        if let Some(v) = vector {
            json["cvss_v31"] = (*v).into();
            json["cvss_v4"] = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into();
        }
        let case = store
            .create_case("a", NewCase { fields: fields(json), source: "staff", tracking_hash: None })
            .await
            .unwrap();
        ids.push(case.id);
    }
    let viewer = staff(Role::Analyst);
    let scores: Vec<Option<f64>> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(store.case(&viewer, *id).await.unwrap().fields.cvss.v31.map(|c| c.score));
        }
        v
    };
    assert_eq!(scores, [None, Some(9.8), None, Some(6.1)]);
    for (i, id) in ids.iter().enumerate() {
        let case = store.case(&viewer, *id).await.unwrap();
        let vector = if i % 2 == 0 { "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N" } else { "" };
        let next = serde_json::from_value::<CaseDraft>(serde_json::json!({"cvss_v31": vector}))
            .unwrap()
            .apply(&case.fields)
            .unwrap();
        store.update_case("a", *id, &next).await.unwrap();
    }
    let first = store.case(&viewer, ids[0]).await.unwrap();
    assert_eq!(first.fields.cvss.v31.map(|c| c.score), Some(1.8));
    assert_eq!(store.case(&viewer, ids[1]).await.unwrap().fields.cvss.v4.map(|c| c.score), Some(9.3));
}
