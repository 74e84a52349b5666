//! Matching fleet packages against the catalog, with the matching `parapet scan` uses.
//!
//! The catalog and its index live on one thread of their own: the index borrows the catalog,
//! and rebuilding it for every check-in would cost more than the check-in. The thread is handed
//! a new snapshot whenever the catalog's tick has moved, and computes batches of packages sent
//! to it in the meantime.

use std::collections::BTreeMap;
use std::sync::mpsc;

use parapet_catalog::{Catalog, Index};
use parapet_model::Severity;
use parapet_scan::collect;
use parapet_scan::finding::{Finding, FindingKind};
use parapet_store::{ComputedFix, ComputedPackage, PackageFinding, PackageToCompute, Store, StoreError, SuiteUpdate};

/// A catalog snapshot as the matcher holds it.
struct Loaded {
    catalog: Catalog,
    /// Each security-suite update, by (ecosystem, package, version).
    suites: BTreeMap<(String, String, String), SuiteUpdate>,
}

enum Job {
    Load(Box<Loaded>),
    Compute(Vec<PackageToCompute>, tokio::sync::oneshot::Sender<Vec<ComputedPackage>>),
}

/// The handle every server task shares.
pub struct Matcher {
    jobs: std::sync::Mutex<mpsc::Sender<Job>>,
    /// The catalog tick of the snapshot the thread holds (`-1` before the first).
    loaded: tokio::sync::Mutex<i64>,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::new()
    }
}

impl Matcher {
    pub fn new() -> Matcher {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("fleet-matcher".into())
            .spawn(move || run(rx))
            .expect("the fleet matcher thread starts");
        Matcher { jobs: std::sync::Mutex::new(tx), loaded: tokio::sync::Mutex::new(-1) }
    }

    /// Makes sure the thread holds the catalog as of now; the tick it holds, which the results
    /// are at least as new as.
    pub async fn current(&self, store: &Store) -> Result<i64, StoreError> {
        let mut loaded = self.loaded.lock().await;
        let tick = store.catalog_tick().await?;
        if *loaded != tick {
            // Read after the tick: the snapshot holds at least what the tick says.
            let catalog = store.catalog_snapshot(String::new()).await?;
            let suites = store.suite_updates().await?;
            self.send(Job::Load(Box::new(Loaded { catalog, suites })))?;
            *loaded = tick;
        }
        Ok(tick)
    }

    /// What the catalog the thread holds says about each package.
    pub async fn compute(&self, packages: Vec<PackageToCompute>) -> Result<Vec<ComputedPackage>, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Compute(packages, reply))?;
        answer.await.map_err(|_| StoreError::Corrupt("the fleet matcher stopped".into()))
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        let jobs = self.jobs.lock().map_err(|_| StoreError::Corrupt("the fleet matcher is poisoned".into()))?;
        jobs.send(job).map_err(|_| StoreError::Corrupt("the fleet matcher stopped".into()))
    }
}

fn run(jobs: mpsc::Receiver<Job>) {
    let mut next = Box::new(Loaded { catalog: Catalog::default(), suites: BTreeMap::new() });
    loop {
        let loaded = next;
        let index = Index::new(&loaded.catalog);
        loop {
            match jobs.recv() {
                Ok(Job::Load(catalog)) => {
                    next = catalog;
                    break;
                }
                Ok(Job::Compute(packages, reply)) => {
                    let computed = packages.iter().map(|p| compute(&index, &loaded.suites, p)).collect();
                    let _ = reply.send(computed);
                }
                Err(_) => return,
            }
        }
    }
}

/// One package, as `parapet scan --root` would assess it on the host that reported it, and what
/// would fix it.
fn compute(
    index: &Index,
    suites: &BTreeMap<(String, String, String), SuiteUpdate>,
    reported: &PackageToCompute,
) -> ComputedPackage {
    let distribution = Some(reported.ecosystem.as_str()).filter(|e| !e.is_empty());
    let ecosystem = collect::package_ecosystem(distribution, reported.package.manager);
    let package = collect::reported_package(&reported.package, &ecosystem, "fleet");
    let (findings, _) = parapet_scan::assess::package_findings(index, &package, "fleet");
    let mut computed = ComputedPackage { id: reported.id, ..ComputedPackage::default() };
    for finding in &findings {
        let fixed_by_update = match finding.kind {
            FindingKind::MissingUpdate => {
                let version = finding.fixed.version().map(str::to_owned);
                let suite =
                    version.as_ref().and_then(|v| suites.get(&(ecosystem.clone(), package.name.clone(), v.clone())));
                computed.classification =
                    version.as_ref().map(|_| suite.map_or_else(|| "security".to_owned(), |s| s.classification.clone()));
                if let Some(version) = &version {
                    computed.fix = Some(ComputedFix {
                        version: version.clone(),
                        classification: computed.classification.clone().unwrap_or_default(),
                        severity_rank: finding.severity.map_or(0, Severity::rank),
                        advisories: finding.ids.clone(),
                        released_at: suite.map(|s| s.released_at),
                        source: suite.map(|s| s.source.clone()),
                    });
                }
                computed.update_version = version;
                true
            }
            FindingKind::Vulnerable => {
                computed.unfixed += 1;
                false
            }
            FindingKind::Informational | FindingKind::Misconfiguration => continue,
        };
        computed.severity_rank = computed.severity_rank.max(finding.severity.map_or(0, Severity::rank));
        computed.advisories.extend(finding.ids.iter().map(|id| (id.clone(), fixed_by_update)));
        computed.findings.push(stored(finding));
    }
    if computed.fix.is_none() {
        computed.fix = advisory_fix(&findings, &ecosystem);
    }
    computed
}

/// Without a suite's update, the newest version the package's advisories say fixes them (a
/// vendor's bulletin for its own package), which fixes every issue fixed at or below it.
fn advisory_fix(findings: &[Finding], ecosystem: &str) -> Option<ComputedFix> {
    let order = super::rollout::version_order(ecosystem);
    let fixed: Vec<(&Finding, &str)> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Vulnerable)
        .filter_map(|f| f.fixed.version().map(|v| (f, v)))
        .collect();
    let version = fixed.iter().map(|(_, v)| *v).max_by(|a, b| order(a, b))?;
    let covered: Vec<&Finding> =
        fixed.iter().filter(|(_, v)| order(v, version) != std::cmp::Ordering::Greater).map(|(f, _)| *f).collect();
    Some(ComputedFix {
        version: version.to_owned(),
        classification: "security".to_owned(),
        severity_rank: covered.iter().filter_map(|f| f.severity).map(Severity::rank).max().unwrap_or(0),
        advisories: covered.iter().flat_map(|f| f.ids.iter().cloned()).collect(),
        released_at: None,
        source: None,
    })
}

fn stored(finding: &Finding) -> PackageFinding {
    PackageFinding {
        kind: finding.kind.as_str().to_owned(),
        severity: finding.severity,
        ids: finding.ids.clone(),
        title: finding.title.clone(),
        fixed: finding.fixed.version().map(str::to_owned),
        note: finding.note.clone(),
        url: finding.url.clone(),
    }
}
