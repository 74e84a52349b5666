//! The update catalog: sources and their leases (one sync at a time, across servers), batches
//! with their cursor, idempotence, withdrawal, aliases merged into entries, supersession, and the
//! change feed replicas read.

use parapet_catalog::model::{AdvisoryKind, Affected, SourceKind, Status, Update};
use parapet_catalog::{Advisory, Classification, DocumentProblem, SourceSpec, SourceType};
use parapet_model::Severity;
use parapet_store::{
    CatalogBatch, CatalogQuery, DocumentState, FeedCursor, LeaseError, RecordChange, StoreError, UpdateChange,
    UpdateQuery,
};
use time::macros::datetime;

use crate::{TestStore, on_both};

on_both!(
    leases_batches_and_idempotence,
    entries_merge_aliases_and_search,
    updates_supersede_and_the_feed_replays,
    documents_taken_with_problems
);

fn advisory(id: &str, aliases: &[&str], ecosystem: &str, package: &str, severity: Option<Severity>) -> Advisory {
    Advisory {
        id: id.to_owned(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        source: SourceKind::Osv,
        kind: AdvisoryKind::Vulnerability,
        title: format!("{package}: {id}"),
        severity,
        cvss: None,
        url: None,
        affected: vec![Affected {
            ecosystem: ecosystem.to_owned(),
            package: package.to_owned(),
            by_source: false,
            status: Status::Affected,
            ranges: Vec::new(),
            versions: vec!["1.0".to_owned()],
            fixed: Vec::new(),
        }],
    }
}

fn record(advisory: Advisory) -> RecordChange {
    RecordChange { record_id: advisory.id.clone(), advisory, modified: "2026-01-01T00:00:00Z".to_owned() }
}

fn state(document: &str, digest: &str) -> DocumentState {
    DocumentState {
        document: document.to_owned(),
        digest: digest.to_owned(),
        modified: String::new(),
        record_id: Some(document.to_owned()),
        problems: Vec::new(),
    }
}

async fn documents_taken_with_problems(store: TestStore) {
    let spec = SourceSpec::new("cisa", SourceType::Csaf, "https://csaf.example");
    let source = store.add_source("admin", &spec).await.unwrap();
    let lease = store.lease_source("cisa", "server-a", 60_000).await.unwrap().unwrap();
    let problem = DocumentProblem {
        test: "6.1.31".into(),
        path: "/product_tree/branches/0/name".into(),
        message: "the version name \"vers:all/*\" is a version range".into(),
    };
    let mut flawed = state("A", "d1");
    flawed.problems = vec![problem.clone()];
    let batch = CatalogBatch {
        documents: vec![flawed.clone(), state("B", "d2")],
        records: vec![
            record(advisory("A", &["CVE-2026-7"], "cpe", "widget", None)),
            record(advisory("B", &[], "cpe", "gadget", None)),
        ],
        ..CatalogBatch::default()
    };
    let mut counts = store.apply_batch(&lease, &batch).await.unwrap().unwrap();
    counts.accepted_with_problems = 1;
    store.finish_run(&lease, counts, &[], None).await.unwrap();

    let (documents, total) = store.problem_documents(source.id, 10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!((documents[0].document.as_str(), documents[0].problems.clone()), ("A", vec![problem.clone()]));
    assert_eq!(store.document_states(source.id, None).await.unwrap()["A"], flawed);
    // The entry shows them beside its record; a clean record shows none.
    let entry = store.catalog_entry("CVE-2026-7").await.unwrap().unwrap();
    assert_eq!(entry.records[0].problems, vec![problem]);
    assert!(store.catalog_entry("B").await.unwrap().unwrap().records[0].problems.is_empty());
    let runs = store.source_runs(source.id, 1).await.unwrap();
    assert_eq!(runs[0].counts.accepted_with_problems, 1);

    // Fixed at the source: the next version of the document has none, and the list empties.
    let lease = store.lease_source("cisa", "server-a", 60_000).await.unwrap().unwrap();
    let fixed = CatalogBatch { documents: vec![state("A", "d3")], ..CatalogBatch::default() };
    store.apply_batch(&lease, &fixed).await.unwrap().unwrap();
    assert_eq!(store.problem_documents(source.id, 10).await.unwrap().1, 0);
    assert!(store.catalog_entry("CVE-2026-7").await.unwrap().unwrap().records[0].problems.is_empty());
}

async fn leases_batches_and_idempotence(store: TestStore) {
    let spec = SourceSpec::new("osv", SourceType::Osv, "/srv/osv");
    store.add_source("admin", &spec).await.unwrap();
    let duplicate = store.add_source("admin", &spec).await.unwrap_err();
    assert!(matches!(duplicate, StoreError::Invalid(ref e) if e.message.contains("already exists")), "{duplicate:?}");
    let bad = SourceSpec::new("Bad Name", SourceType::Osv, "/x");
    assert!(matches!(store.add_source("admin", &bad).await, Err(StoreError::Invalid(_))));

    // One sync at a time: a second lease is refused until the first ends.
    let lease = store.lease_source("osv", "server-a", 60_000).await.unwrap().unwrap();
    let busy = store.lease_source("osv", "server-b", 60_000).await.unwrap().unwrap_err();
    assert!(matches!(busy, LeaseError::Busy { ref owner, .. } if owner == "server-a"), "{busy:?}");
    assert!(matches!(store.lease_source("nope", "x", 1).await.unwrap(), Err(LeaseError::NotFound(_))));

    let batch = CatalogBatch {
        documents: vec![state("A.json", "d1"), state("B.json", "d2")],
        records: vec![
            record(advisory("A", &["CVE-2026-1"], "PyPI", "requests", Some(Severity::Important))),
            record(advisory("B", &[], "crates.io", "hyper", None)),
        ],
        cursor: Some("after-b".to_owned()),
        ..CatalogBatch::default()
    };
    let counts = store.apply_batch(&lease, &batch).await.unwrap().unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (2, 0, 0));
    let tick = store.catalog_tick().await.unwrap();
    assert!(tick > 0);
    // The same batch again changes nothing and moves no tick.
    let counts = store.apply_batch(&lease, &batch).await.unwrap().unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (0, 0, 2));
    assert_eq!(store.catalog_tick().await.unwrap(), tick);
    // A changed record is an update; a withdrawn one leaves the catalog.
    let mut changed = batch.clone();
    changed.records[1].advisory.title = "hyper: new title".into();
    changed.withdrawn = vec!["A".into()];
    changed.records.truncate(0);
    changed.records.push(record(Advisory { title: "hyper: new title".into(), ..batch.records[1].advisory.clone() }));
    let counts = store.apply_batch(&lease, &changed).await.unwrap().unwrap();
    assert_eq!((counts.updated, counts.withdrawn), (1, 1));
    assert!(store.catalog_entry("CVE-2026-1").await.unwrap().is_none());
    store.finish_run(&lease, counts, &[], None).await.unwrap();

    // The lease is gone: another server may sync now; the cursor survived.
    let next = store.lease_source("osv", "server-b", 60_000).await.unwrap().unwrap();
    assert_eq!(next.source.cursor, "after-b");
    assert_eq!(store.document_states(next.source.id, None).await.unwrap().len(), 2);
    // A sync that lost its lease (it stalled and another took over) cannot write.
    let stale = lease.clone();
    let lost =
        store.apply_batch(&stale, &CatalogBatch { cursor: Some("x".into()), ..Default::default() }).await.unwrap();
    assert!(matches!(lost, Err(LeaseError::Lost(_))));
    store.finish_run(&next, Default::default(), &[], Some("upstream away")).await.unwrap();
    let runs = store.source_runs(next.source.id, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].outcome.as_str(), runs[0].error.as_deref()), ("failed", Some("upstream away")));

    // Scheduled sources are claimed once each.
    let mut scheduled = SourceSpec::new("scheduled", SourceType::Osv, "/srv/other");
    scheduled.interval_minutes = 60;
    store.add_source("admin", &scheduled).await.unwrap();
    let due = store.lease_due_source("server-a", 60_000).await.unwrap().expect("due at once");
    assert_eq!(due.source.spec.name, "scheduled");
    assert!(store.lease_due_source("server-b", 60_000).await.unwrap().is_none());
    store.finish_run(&due, Default::default(), &[], None).await.unwrap();
    assert!(store.lease_due_source("server-b", 60_000).await.unwrap().is_none(), "next run is an hour away");
    store.request_sync("scheduled").await.unwrap();
    assert!(store.lease_due_source("server-b", 60_000).await.unwrap().is_some());

    store.remove_source("admin", "osv").await.unwrap();
    assert!(store.source("osv").await.unwrap().is_none());
    assert!(store.catalog_entry("B").await.unwrap().is_none());
}

/// A search (text, ecosystem, package, minimum severity) and what it finds (total, entry IDs).
type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<Severity>, (i64, Vec<&'a str>));

async fn entries_merge_aliases_and_search(store: TestStore) {
    for name in ["ghsa", "debian", "cisa"] {
        store.add_source("admin", &SourceSpec::new(name, SourceType::Osv, format!("/srv/{name}"))).await.unwrap();
    }
    let records = [
        ("ghsa", advisory("GHSA-aaaa-bbbb-cccc", &["CVE-2026-100"], "PyPI", "django", Some(Severity::Moderate))),
        ("debian", advisory("DSA-6000-1", &["CVE-2026-100", "CVE-2026-101"], "Debian:12", "python-django", None)),
        ("cisa", advisory("CVE-2026-100", &[], "CPE", "acme:widget", Some(Severity::Critical))),
        ("ghsa", advisory("GHSA-dddd-eeee-ffff", &[], "npm", "left-pad", Some(Severity::Low))),
    ];
    for (source, advisory) in records {
        let lease = store.lease_source(source, "t", 60_000).await.unwrap().unwrap();
        store
            .apply_batch(&lease, &CatalogBatch { records: vec![record(advisory)], ..Default::default() })
            .await
            .unwrap()
            .unwrap();
        store.finish_run(&lease, Default::default(), &[], None).await.unwrap();
    }
    // A CVE that three sources describe is one entry listing all three.
    let entry = store.catalog_entry("CVE-2026-100").await.unwrap().unwrap();
    assert_eq!(entry.sources, vec!["cisa", "debian", "ghsa"]);
    assert_eq!(entry.severity, Some(Severity::Critical));
    assert!(entry.aliases.starts_with(&["CVE-2026-100".to_owned()]));
    for alias in ["GHSA-aaaa-bbbb-cccc", "DSA-6000-1", "CVE-2026-101"] {
        assert!(entry.aliases.contains(&alias.to_owned()), "{alias}");
    }
    // The DSA covers two CVEs: it is found from either.
    assert_eq!(store.catalog_entry("CVE-2026-101").await.unwrap().unwrap().records.len(), 1);

    let search = |text: Option<&str>, ecosystem: Option<&str>, package: Option<&str>, severity: Option<Severity>| {
        let query = CatalogQuery {
            text: text.map(str::to_owned),
            ecosystem: ecosystem.map(str::to_owned),
            package: package.map(str::to_owned),
            source: None,
            min_severity: severity,
            page: 1,
            per_page: 50,
        };
        let store = store.store.clone();
        async move {
            let page = store.catalog_entries(&query).await.unwrap();
            (page.total, page.items.into_iter().map(|e| e.id).collect::<Vec<_>>())
        }
    };
    let cases: [Case; 7] = [
        (None, None, None, None, (3, vec!["GHSA-dddd-eeee-ffff", "DSA-6000-1", "CVE-2026-100"])),
        (Some("CVE-2026-100"), None, None, None, (2, vec!["DSA-6000-1", "CVE-2026-100"])),
        (Some("ghsa-aaaa-bbbb-cccc"), None, None, None, (1, vec!["CVE-2026-100"])),
        (Some("left-pad"), None, None, None, (1, vec!["GHSA-dddd-eeee-ffff"])),
        (None, Some("Debian"), None, None, (1, vec!["DSA-6000-1"])),
        (None, None, Some("django"), None, (1, vec!["CVE-2026-100"])),
        (Some("100%_"), None, None, Some(Severity::Important), (0, vec![])),
    ];
    for (text, ecosystem, package, severity, (total, ids)) in cases {
        let (found_total, found) = search(text, ecosystem, package, severity).await;
        assert_eq!(
            (found_total, found.iter().map(String::as_str).collect::<Vec<_>>()),
            (total, ids),
            "{text:?} {ecosystem:?} {package:?}"
        );
    }
    let (_, critical) = search(None, None, None, Some(Severity::Critical)).await;
    assert_eq!(critical, vec!["CVE-2026-100"]);
}

fn update(version: &str) -> UpdateChange {
    UpdateChange {
        update: Update {
            ecosystem: "Debian:12".into(),
            suite: "bookworm-security".into(),
            package: "libssl3".into(),
            arch: "amd64".into(),
            version: version.into(),
            source: "openssl".into(),
            source_version: version.into(),
        },
        classification: Classification::Security,
        released_at: datetime!(2026-11-01 00:00 UTC),
        superseded_by: None,
    }
}

async fn updates_supersede_and_the_feed_replays(store: TestStore) {
    store.add_source("admin", &SourceSpec::new("apt", SourceType::Apt, "https://deb.example/dists/x")).await.unwrap();
    let lease = store.lease_source("apt", "t", 60_000).await.unwrap().unwrap();
    let one = CatalogBatch { updates: vec![update("3.0.11-1~deb12u1")], ..Default::default() };
    store.apply_batch(&lease, &one).await.unwrap().unwrap();
    let mut records = Vec::new();
    for i in 0..7 {
        records.push(record(advisory(&format!("OSV-{i}"), &[], "PyPI", "pkg", None)));
    }
    store.apply_batch(&lease, &CatalogBatch { records, ..Default::default() }).await.unwrap().unwrap();
    let two = CatalogBatch {
        updates: vec![update("3.0.11-1~deb12u2")],
        withdrawn: vec!["OSV-3".into()],
        ..Default::default()
    };
    let counts = store.apply_batch(&lease, &two).await.unwrap().unwrap();
    assert_eq!((counts.new, counts.withdrawn), (1, 1));
    let all = store
        .catalog_updates(&UpdateQuery { include_superseded: true, page: 1, per_page: 10, ..Default::default() })
        .await
        .unwrap();
    let chain: Vec<_> =
        all.items.iter().map(|u| (u.change.update.version.as_str(), u.change.superseded_by.as_deref())).collect();
    assert_eq!(chain, vec![("3.0.11-1~deb12u1", Some("3.0.11-1~deb12u2")), ("3.0.11-1~deb12u2", None)]);
    let current = store.catalog_updates(&UpdateQuery { page: 1, per_page: 10, ..Default::default() }).await.unwrap();
    assert_eq!(current.total, 1);

    // Read in pages of three, the feed gives every row once, the withdrawn record as a tombstone,
    // and the superseded update as superseded.
    let mut cursor = FeedCursor::default();
    let (mut records, mut updates) = (Vec::new(), Vec::new());
    loop {
        let page = store.catalog_changes(cursor, 3).await.unwrap();
        records.extend(page.records);
        updates.extend(page.updates);
        assert_eq!(FeedCursor::decode(&page.cursor.encode()), Some(page.cursor));
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(records.len(), 7);
    let ids: std::collections::BTreeSet<_> = records.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids.len(), 7);
    assert!(records.iter().find(|r| r.record_id == "OSV-3").unwrap().advisory.is_none());
    assert_eq!(updates.len(), 2);
    assert!(updates.iter().any(|u| u.change.superseded_by.as_deref() == Some("3.0.11-1~deb12u2")));
    // Nothing after the end; a later change shows up after the cursor.
    let empty = store.catalog_changes(cursor, 3).await.unwrap();
    assert!(empty.records.is_empty() && empty.updates.is_empty() && !empty.more);
    let mut changed = record(advisory("OSV-1", &[], "PyPI", "pkg", Some(Severity::Low)));
    changed.modified = "2026-02-01T00:00:00Z".into();
    store.apply_batch(&lease, &CatalogBatch { records: vec![changed], ..Default::default() }).await.unwrap().unwrap();
    let later = store.catalog_changes(cursor, 3).await.unwrap();
    assert_eq!(later.records.iter().map(|r| r.record_id.as_str()).collect::<Vec<_>>(), ["OSV-1"]);
    assert!(store.catalog_changes(cursor, 3).await.unwrap().updates.is_empty());
}
