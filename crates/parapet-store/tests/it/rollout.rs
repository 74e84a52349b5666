//! Rollouts in storage: approvals and the hosts they mark for planning, a host's approvals and
//! installed versions, one open job per host, reports recorded once with each package's
//! outcome, and the planning mark that an approval made meanwhile wins over.

use parapet_model::rollout::ApprovalAction;
use parapet_model::{AuditAction, InstalledPackage, JobOutcome, JobPackage, JobReport, PackageChange};
use parapet_store::{
    ApprovalChange, ApprovedBy, CheckInOutcome, CheckInWrite, Enrollment, NewEnrollmentSecret, NewGroup, NewHost,
    NewJobPackage, ReportRecorded,
};
use time::macros::datetime;

use crate::fleet::{facts, package};
use crate::{TestStore, on_both};

/// Enrolls `id` into group `web` with these packages; the planning mark after its first
/// inventory.
async fn host(store: &TestStore, id: &str, packages: &[InstalledPackage]) -> Option<i64> {
    let host = NewHost { id: id.into(), hostname: id.into(), tags: vec![], credential_hash: format!("c-{id}") };
    assert!(matches!(store.enroll_host("secret", &host).await.unwrap(), Enrollment::Enrolled { .. }));
    let digest = format!("{:064}", packages.len());
    let facts = facts(id, &[]);
    let write = CheckInWrite {
        host_id: id,
        sequence: 1,
        facts: &facts,
        ecosystem: "Debian:12",
        digest: &digest,
        inventory: Some(packages),
        new_credential_hash: None,
        via_previous: false,
        harden: None,
    };
    let CheckInOutcome::Accepted { plan_at, .. } = store.record_check_in(&write).await.unwrap() else {
        panic!("refused")
    };
    plan_at
}

async fn approvals_jobs_and_reports(store: TestStore) {
    store
        .create_group("admin", &NewGroup { name: "web".into(), description: String::new(), rule: vec![] })
        .await
        .unwrap();
    let secret =
        NewEnrollmentSecret { name: "web".into(), group: Some("web".into()), expires_at: None, max_uses: None };
    store.create_enrollment_secret("admin", &secret, "secret").await.unwrap();
    assert_eq!(host(&store, "h1", &[package("widget", "1.0"), package("bash", "5.2")]).await, Some(0));
    host(&store, "h2", &[package("bash", "5.2")]).await;
    let web = store.groups().await.unwrap()[0].id;

    // An approval of a version no one needed yet makes its update; the second time is no change.
    let widget = store.ensure_update("Debian:12", "widget", "1.1").await.unwrap();
    assert_eq!(store.ensure_update("Debian:12", "widget", "1.1").await.unwrap(), widget);
    let at = datetime!(2026-12-04 12:00 UTC);
    let change = ApprovalChange {
        update_ids: &[widget],
        group_ids: &[web],
        action: Some(ApprovalAction::Install),
        deadline: Some(datetime!(2026-12-10 00:00 UTC)),
        by: ApprovedBy::Person("ana"),
        at,
    };
    assert_eq!(store.set_approvals(&change).await.unwrap(), 1);
    assert_eq!(store.set_approvals(&change).await.unwrap(), 0, "the same approval changes nothing");
    let approvals = store.approvals_of(widget).await.unwrap();
    assert_eq!(
        (approvals[0].group.as_str(), approvals[0].action, approvals[0].approved_by.as_str(), approvals[0].approved_at),
        ("web", ApprovalAction::Install, "ana", at)
    );
    let audit = store.audit_entries(&parapet_store::AuditQuery { page: 1, per_page: 100, ..Default::default() }).await;
    assert_eq!(audit.unwrap().items.iter().filter(|e| e.action == AuditAction::UpdateApproval).count(), 1);

    // h1's planning input: its group, the approval, and its installed widget (not bash: no
    // approval names it).
    let rollout = store.host_rollout("h1").await.unwrap();
    assert_eq!(rollout.ecosystem, "Debian:12");
    assert_eq!(rollout.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["web"]);
    assert_eq!(rollout.approvals.len(), 1);
    assert_eq!(rollout.approvals[0].1, widget);
    let installed: Vec<(&str, &str)> =
        rollout.installed.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    assert_eq!(installed, [("widget", "1.0")]);
    assert!(store.host_rollout("h2").await.unwrap().installed.is_empty());
    assert_eq!(
        store.group_package_versions(web, "Debian:12", "widget").await.unwrap(),
        [("h1".to_owned(), "1.0".to_owned())]
    );

    // One open job per host.
    let wanted = NewJobPackage {
        package: JobPackage { name: "widget".into(), arch: "amd64".into(), version: "1.1".into() },
        from: Some("1.0".into()),
        update_id: Some(widget),
        approval_id: Some(approvals[0].id),
        group_id: Some(web),
    };
    let (job, made) =
        store.create_job("h1", "install", std::slice::from_ref(&wanted), "rollout", None, at).await.unwrap();
    assert!(made);
    let (same, made) = store.create_job("h1", "install", &[wanted], "rollout", None, at).await.unwrap();
    assert_eq!((same.id, made), (job.id, false), "the open job, not a second one");
    store.job_sent(job.id, at).await.unwrap();
    store.job_sent(job.id, at).await.unwrap();
    let sent = store.job(job.id).await.unwrap().unwrap();
    assert_eq!((sent.state.as_str(), sent.sent_count), ("sent", 2));

    // The report, once: the package reached its version.
    let report = JobReport {
        outcome: JobOutcome::Succeeded,
        message: "installed".into(),
        changes: vec![PackageChange {
            name: "widget".into(),
            arch: "amd64".into(),
            before: Some("1.0".into()),
            after: Some("1.1".into()),
        }],
        reboot_required: true,
        log: "Setting up widget (1.1) ...".into(),
        started_at: at,
        finished_at: at,
        malware: None,
    };
    assert_eq!(store.record_job_report("h1", job.id, &report, at).await.unwrap(), ReportRecorded::Recorded);
    assert_eq!(
        store.record_job_report("h1", job.id, &report, at).await.unwrap(),
        ReportRecorded::AlreadyFinished("succeeded".into())
    );
    assert!(
        matches!(store.record_job_report("h2", job.id, &report, at).await, Err(parapet_store::StoreError::NotFound(_))),
        "another host's job"
    );
    let done = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (done.state.as_str(), done.report.as_ref().map(|r| r.log.as_str())),
        ("succeeded", Some("Setting up widget (1.1) ..."))
    );
    let counts = store.install_counts(widget, web).await.unwrap();
    assert_eq!((counts.succeeded, counts.failed, counts.in_flight), (1, 0, 0));
    assert!(store.open_job("h1").await.unwrap().is_none());
    assert_eq!(store.update_jobs(widget, 10).await.unwrap().len(), 1);
    let detail = store.host("h1", 3_600_000).await.unwrap().unwrap();
    assert!(detail.summary.reboot_required, "the report said a reboot is required");

    // A cancelled job is over; cancelling it again is refused, naming why.
    let (reboot, _) = store.create_job("h1", "reboot", &[], "rollout", None, at).await.unwrap();
    store.cancel_job("ana", reboot.id, at).await.unwrap();
    let again = store.cancel_job("ana", reboot.id, at).await.unwrap_err().to_string();
    assert!(again.contains("cancelled"), "{again}");
}

on_both!(approvals_jobs_and_reports);
