//! The fleet's storage: enrollment, check-ins with and without inventories, replays, revocation,
//! groups, computed findings and exposure.

use parapet_model::{AuditAction, HostFacts, InstalledPackage, Tag, Wanted};
use parapet_store::{
    CheckInOutcome, CheckInWrite, ComputedPackage, Enrollment, HostQuery, NewEnrollmentSecret, NewGroup, NewHost,
    PackageFinding, PlainAccepted, PlainCheckIn,
};

use crate::{TestStore, on_both};

pub(crate) fn facts(hostname: &str, tags: &[&str]) -> HostFacts {
    HostFacts {
        hostname: hostname.into(),
        os: "debian".into(),
        os_version: "12".into(),
        os_codename: Some("bookworm".into()),
        arch: "amd64".into(),
        kernel: "6.1.0-18-amd64".into(),
        kernels_installed: vec![],
        uptime_seconds: 10,
        reboot_required: false,
        agent_version: "0.1.0".into(),
        tags: tags.iter().map(|t| t.parse::<Tag>().unwrap()).collect(),
    }
}

pub(crate) fn package(name: &str, version: &str) -> InstalledPackage {
    InstalledPackage::dpkg(name, version, "amd64")
}

async fn enroll(store: &TestStore, secret_hash: &str, id: &str, credential: &str) -> Enrollment {
    let host = NewHost { id: id.into(), hostname: "web".into(), tags: vec![], credential_hash: credential.into() };
    store.enroll_host(secret_hash, &host).await.unwrap()
}

fn write<'a>(
    id: &'a str,
    sequence: i64,
    facts: &'a HostFacts,
    digest: &'a str,
    inventory: Option<&'a [InstalledPackage]>,
) -> CheckInWrite<'a> {
    CheckInWrite {
        host_id: id,
        sequence,
        facts,
        ecosystem: "Debian:12",
        digest,
        inventory,
        new_credential_hash: None,
        via_previous: false,
        harden: None,
    }
}

async fn fleet_round_trip(store: TestStore) {
    store
        .create_group("admin", &NewGroup { name: "web".into(), description: String::new(), rule: vec![] })
        .await
        .unwrap();
    let prod = NewGroup { name: "prod".into(), description: "by tag".into(), rule: vec!["env=prod".parse().unwrap()] };
    store.create_group("admin", &prod).await.unwrap();
    let secret = NewEnrollmentSecret {
        name: "web servers".into(),
        group: Some("web".into()),
        expires_at: None,
        max_uses: Some(2),
    };
    let created = store.create_enrollment_secret("admin", &secret, "hash-1").await.unwrap();
    assert_eq!((created.uses, created.group.as_deref()), (0, Some("web")));
    assert_eq!(enroll(&store, "wrong", "h1", "c1").await, Enrollment::Refused("unknown enrollment secret"));
    assert!(matches!(enroll(&store, "hash-1", "h1", "c1").await, Enrollment::Enrolled { .. }));
    assert!(matches!(enroll(&store, "hash-1", "h2", "c2").await, Enrollment::Enrolled { .. }));
    assert_eq!(enroll(&store, "hash-1", "h3", "c3").await, Enrollment::Refused("the enrollment secret is used up"));

    let host = store.agent_host("c1").await.unwrap().unwrap();
    assert_eq!((host.id.as_str(), host.sequence, host.via_previous), ("h1", 0, false));

    // The first check-in without an inventory is asked for one; with it, the inventory is stored
    // once for both hosts.
    let packages = vec![package("openssl", "3.0.11-1~deb12u2"), package("bash", "5.2.15-2+b2")];
    let digest = "a".repeat(64);
    let web = facts("web", &["env=prod"]);
    let outcome = store.record_check_in(&write("h1", 1, &web, &digest, None)).await.unwrap();
    assert!(matches!(outcome, CheckInOutcome::Accepted { wanted: Wanted::FullInventory, .. }), "{outcome:?}");
    let outcome = store.record_check_in(&write("h1", 2, &web, &digest, Some(&packages))).await.unwrap();
    let CheckInOutcome::Accepted { wanted, uncomputed, packages: count, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!((wanted, uncomputed.len(), count), (Wanted::Nothing, 2, 2));
    let outcome = store.record_check_in(&write("h2", 1, &facts("web", &[]), &digest, Some(&packages))).await.unwrap();
    let CheckInOutcome::Accepted { uncomputed, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(uncomputed.len(), 2, "the same packages, still to compute");
    // Unchanged but for the uptime: the plain path, proving the credential, with the counts.
    // Anything more is declined and writes nothing: another credential, a sequence not above
    // the last, other facts, another inventory, a rotation due.
    let later = HostFacts { uptime_seconds: 99, ..web.clone() };
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let plain = |credential, sequence, facts, digest, rotated_after| PlainCheckIn {
        credential_hash: credential,
        sequence,
        facts,
        digest,
        rotated_after,
    };
    let other = "b".repeat(64);
    let renamed = facts("renamed", &["env=prod"]);
    let in_future = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    for declined in [
        plain("c-unknown", 3, &later, &digest, long_ago),
        plain("c1", 2, &later, &digest, long_ago),
        plain("c1", 3, &renamed, &digest, long_ago),
        plain("c1", 3, &later, &other, long_ago),
        plain("c1", 3, &later, &digest, in_future),
    ] {
        assert_eq!(store.plain_check_in(&declined).await.unwrap(), None, "{declined:?}");
    }
    assert_eq!(store.agent_host("c1").await.unwrap().unwrap().sequence, 2, "nothing written");
    let accepted = store.plain_check_in(&plain("c1", 3, &later, &digest, long_ago)).await.unwrap();
    let plan_at = accepted.as_ref().and_then(|a| a.plan_at);
    assert!(plan_at.is_some(), "a new inventory is planned for at the next check-in: {accepted:?}");
    assert_eq!(accepted, Some(PlainAccepted { host_id: "h1".into(), packages: 2, security_updates: 0, plan_at }));
    assert_eq!(store.agent_host("c1").await.unwrap().unwrap().sequence, 3);
    let history = store.host_check_ins("h1", 10).await.unwrap();
    let outcomes: Vec<_> = history.iter().map(|c| (c.sequence, c.outcome.as_str())).collect();
    assert_eq!(outcomes, [(3, "unchanged"), (2, "inventory"), (1, "facts"), (0, "enrolled")]);

    // A replayed sequence flags the host and writes nothing else.
    let outcome = store.record_check_in(&write("h1", 3, &facts("clone", &[]), &digest, None)).await.unwrap();
    assert_eq!(outcome, CheckInOutcome::Replayed { last: 3 });
    let detail = store.host("h1", 3_600_000).await.unwrap().unwrap();
    assert!(detail.summary.clone_suspected_at.is_some());
    assert_eq!(detail.summary.hostname, "web", "the replay's facts were not taken");
    assert_eq!(detail.summary.groups, vec!["prod".to_owned(), "web".to_owned()], "by secret and by tag");
    let audit =
        store.audit_entries(&parapet_store::AuditQuery { page: 1, per_page: 100, ..Default::default() }).await.unwrap();
    assert!(audit.items.iter().any(|e| e.action == AuditAction::HostCloneSuspected));

    // Computed findings reach both hosts and the exposure of the advisory.
    let to_compute = store.packages_to_compute(&uncomputed).await.unwrap();
    let openssl = to_compute.iter().find(|p| p.package.name == "openssl").unwrap();
    let bash = to_compute.iter().find(|p| p.package.name == "bash").unwrap();
    let finding = PackageFinding {
        kind: "missing-update".into(),
        severity: Some(parapet_model::Severity::Important),
        ids: vec!["DSA-5678-1".into(), "CVE-2024-0001".into()],
        title: "Security update for openssl".into(),
        fixed: Some("3.0.13-1~deb12u1".into()),
        note: None,
        url: None,
    };
    let computed = vec![
        ComputedPackage {
            id: openssl.id,
            update_version: Some("3.0.13-1~deb12u1".into()),
            classification: Some("security".into()),
            severity_rank: parapet_model::Severity::Important.rank(),
            unfixed: 0,
            findings: vec![finding],
            advisories: vec![("DSA-5678-1".into(), true), ("CVE-2024-0001".into(), true)],
            fix: None,
        },
        ComputedPackage { id: bash.id, ..Default::default() },
    ];
    store.save_computed(7, &computed).await.unwrap();
    assert!(store.uncomputed_packages(10).await.unwrap().is_empty());
    let needing = store
        .hosts(&HostQuery {
            needs_security_updates: Some(true),
            stale_after_ms: 3_600_000,
            per_page: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(needing.total, 2);
    let exposure = store.exposure("CVE-2024-0001", 10).await.unwrap();
    assert_eq!((exposure.hosts_now, exposure.samples.len()), (2, 1));
    assert!(exposure.first_seen_at.is_some());
    let status = store.advisory_status("CVE-2024-0001", &["openssl".to_owned()]).await.unwrap();
    let all = &status.groups[0];
    assert_eq!((all.group.as_str(), all.hosts, all.needed), ("All hosts", 2, 2));
    let packages_of_h1 = store.host_packages("h1").await.unwrap();
    assert_eq!(packages_of_h1.iter().filter(|p| p.update_version.is_some()).count(), 1);

    // The catalog's change feed finds the packages a change names.
    assert!(store.packages_changed_since(0).await.unwrap().is_empty(), "an empty catalog changes nothing");

    // A revoked host is found no more, and its check-ins are refused.
    store.revoke_host("admin", "h2").await.unwrap();
    assert!(store.agent_host("c2").await.unwrap().is_none());
    let h2_facts = facts("web", &[]);
    let plain =
        PlainCheckIn { credential_hash: "c2", sequence: 9, facts: &h2_facts, digest: &digest, rotated_after: long_ago };
    assert_eq!(store.plain_check_in(&plain).await.unwrap(), None, "a revoked host's plain check-in is declined");
    let outcome = store.record_check_in(&write("h2", 9, &facts("web", &[]), &digest, None)).await.unwrap();
    assert_eq!(outcome, CheckInOutcome::Revoked);
    store.sample_all_exposure().await.unwrap();
    let exposure = store.exposure("CVE-2024-0001", 10).await.unwrap();
    assert_eq!((exposure.hosts_now, exposure.samples.last().unwrap().hosts), (1, 1));

    // The lease: one server at a time.
    assert!(store.lease_fleet("a", 60_000).await.unwrap().is_some());
    assert!(store.lease_fleet("b", 60_000).await.unwrap().is_none());
    assert!(store.finish_fleet_pass("a", 7).await.unwrap());
    assert_eq!(store.lease_fleet("a", 60_000).await.unwrap().unwrap().computed_tick, 7);
}

on_both!(fleet_round_trip);

/// Hosts that report the same new packages at once save their findings at once, each in its own
/// order: none may fail (on PostgreSQL, row locks taken in different orders deadlock).
async fn concurrent_saves_of_the_same_packages(store: TestStore) {
    store
        .create_enrollment_secret(
            "admin",
            &NewEnrollmentSecret { name: "all".into(), group: None, expires_at: None, max_uses: None },
            "hash-all",
        )
        .await
        .unwrap();
    assert!(matches!(enroll(&store, "hash-all", "h1", "c1").await, Enrollment::Enrolled { .. }));
    let packages: Vec<InstalledPackage> = (0..120).map(|i| package(&format!("lib{i:03}"), "1.0-1")).collect();
    let digest = "b".repeat(64);
    let outcome = store.record_check_in(&write("h1", 1, &facts("web", &[]), &digest, Some(&packages))).await.unwrap();
    let CheckInOutcome::Accepted { uncomputed, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(uncomputed.len(), 120);
    let computed: Vec<ComputedPackage> = uncomputed
        .iter()
        .map(|id| ComputedPackage {
            id: *id,
            update_version: Some("1.0-2".into()),
            classification: Some("security".into()),
            severity_rank: 3,
            advisories: vec![("CVE-2099-0777".into(), true)],
            ..Default::default()
        })
        .collect();
    let mut saves = Vec::new();
    for order in 0..8 {
        let mut mine = computed.clone();
        match order % 3 {
            0 => {}
            1 => mine.reverse(),
            _ => mine.rotate_left(order * 13),
        }
        let store = store.store.clone();
        saves.push(tokio::spawn(async move { store.save_computed(1, &mine).await }));
    }
    for save in saves {
        save.await.unwrap().unwrap();
    }
    assert!(store.uncomputed_packages(10).await.unwrap().is_empty());
    assert_eq!(store.exposure("CVE-2099-0777", 10).await.unwrap().hosts_now, 1);
}

on_both!(concurrent_saves_of_the_same_packages);

/// A database whose inventories were stored a row per package (before migration 0012) keeps
/// them: each inventory's packages become its list, the host's packages read the same.
async fn package_rows_become_lists(url: &str) {
    let folder = match parapet_store::Backend::from_url(url).unwrap() {
        parapet_store::Backend::Sqlite => "sqlite",
        parapet_store::Backend::Postgres => "postgres",
    };
    let before = tempfile::tempdir().unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(folder);
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, before.path().join(name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(before.path()).await.unwrap().run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO fleet_packages (id, ecosystem, manager, name, version, arch, source, source_version) VALUES \
         (3, 'Debian:12', 'dpkg', 'zlib1g', '1.2', 'amd64', '', ''), \
         (12, 'Debian:12', 'dpkg', 'bash', '5.2', 'amd64', '', ''), \
         (7, 'Debian:12', 'dpkg', 'curl', '7.88', 'amd64', '', '')",
        "INSERT INTO fleet_inventories (id, ecosystem, digest, packages) VALUES (1, 'Debian:12', 'd1', 3), (2, 'Debian:12', 'd2', 0)",
        "INSERT INTO fleet_inventory_packages (inventory_id, package_id) VALUES (1, 12), (1, 3), (1, 7)",
        "INSERT INTO fleet_hosts (id, hostname, tags, credential_hash, credential_rotated_at, enrolled_at, inventory_id, \
         inventory_digest) VALUES ('h_old', 'old', '[]', 'c1', 0, 0, 1, 'd1'), ('h_empty', 'empty', '[]', 'c2', 0, 0, 2, 'd2')",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let store = parapet_store::Store::open(url).await.unwrap();
    let names: Vec<String> = store.host_packages("h_old").await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["bash", "curl", "zlib1g"]);
    assert!(store.host_packages("h_empty").await.unwrap().is_empty());
    assert!(!store.schema().await.unwrap().contains_key("fleet_inventory_packages"));
}

#[tokio::test]
async fn package_rows_become_lists_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    package_rows_become_lists(&format!("{}?mode=rwc", parapet_store::Store::sqlite_url(dir.path()))).await;
}

#[tokio::test]
async fn package_rows_become_lists_on_postgres() {
    let (admin, url) = crate::postgres_urls();
    crate::create_database(&admin, url.rsplit('/').next().unwrap()).await;
    package_rows_become_lists(&url).await;
}
