//! Syncing the server's catalog from its sources: CSAF providers ([`csaf`]), OSV databases
//! ([`osv`]), apt repositories ([`apt`]), Debian's DSA/DLA lists and Alpine's secdb ([`lists`]),
//! other Parapet servers ([`replica`]) and their malware signature packs ([`malware`]); and checking a CSAF provider's conformance
//! ([`check`]).
//!
//! A sync holds its source's lease in the store, so one sync per source runs at a time across
//! servers. Consumers read the source a batch at a time and hand each batch to
//! [`Context::commit`], which applies it in one transaction together with the cursor it leads
//! to: memory stays bounded by the batch, and a sync that dies resumes after its last batch. A
//! document that fails its hash, signature or validation is rejected with the reason and
//! changes nothing.

pub mod apt;
pub mod check;
pub mod csaf;
pub mod fetch;
pub mod lists;
pub mod malware;
pub mod osv;
pub mod published;
pub mod replica;
/// OpenPGP keyrings live with the provider's signing key; the sync crate checks sources with them.
pub use parapet_provider::trust;

pub use fetch::{FetchError, FetchOptions, Fetcher};
pub use parapet_catalog::source::is_http;
pub use trust::Keyring;

use parapet_catalog::SourceType;
use parapet_store::{CatalogBatch, LeaseError, Rejection, SourceLease, Store, StoreError, SyncCounts};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("the catalog cannot be written")]
    Store(#[from] StoreError),
    /// The source itself is unusable: discovery failed, a feed is malformed, no trusted key.
    #[error("{0}")]
    Source(String),
}

/// Called with a label, documents done and documents known so far.
pub type Progress = std::sync::Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// How a sync runs.
#[derive(Clone)]
pub struct SyncOptions {
    pub fetch: FetchOptions,
    /// Who syncs, recorded on the lease: `serve@host:pid` or `cli@host:pid`.
    pub owner: String,
    /// How long a lease lasts without a batch renewing it.
    pub lease: Duration,
    /// Documents fetched at once.
    pub concurrency: usize,
    /// Documents per batch (per transaction).
    pub batch_size: usize,
    pub progress: Progress,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            fetch: FetchOptions::default(),
            owner: default_owner("sync"),
            lease: Duration::from_secs(300),
            concurrency: 8,
            batch_size: 100,
            progress: std::sync::Arc::new(|_, _, _| {}),
        }
    }
}

/// `role@host:pid`, naming a lease's holder.
pub fn default_owner(role: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("{role}@{host}:{}", std::process::id())
}

/// What one sync did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncOutcome {
    pub source: String,
    #[serde(flatten)]
    pub counts: SyncCounts,
    pub rejections: Vec<Rejection>,
    pub duration_ms: u64,
    /// Why the sync stopped early; what it committed before stays.
    pub error: Option<String>,
}

/// Syncs the source `name` now. Fails at once when another sync holds it.
pub async fn sync_source(store: &Store, name: &str, options: &SyncOptions) -> Result<SyncOutcome, SyncError> {
    let lease_ms = options.lease.as_millis() as i64;
    let lease = store.lease_source(name, &options.owner, lease_ms).await??;
    Ok(sync_leased(store, lease, options).await)
}

/// Runs a sync of a source already leased (the scheduler's way), recording its outcome.
pub async fn sync_leased(store: &Store, lease: SourceLease, options: &SyncOptions) -> SyncOutcome {
    let started = Instant::now();
    let name = lease.source.spec.name.clone();
    let mut context = match Fetcher::new(options.fetch.clone()) {
        Ok(fetcher) => Context {
            store,
            lease,
            fetcher,
            options: options.clone(),
            counts: SyncCounts::default(),
            rejections: Vec::new(),
        },
        Err(e) => {
            let error = e.to_string();
            let _ = store.finish_run(&lease, SyncCounts::default(), &[], Some(&error)).await;
            return SyncOutcome {
                source: name,
                counts: SyncCounts::default(),
                rejections: Vec::new(),
                duration_ms: 0,
                error: Some(error),
            };
        }
    };
    let result = match context.lease.source.spec.kind {
        SourceType::Csaf => csaf::sync(&mut context).await,
        SourceType::Osv => osv::sync(&mut context).await,
        SourceType::Apt => apt::sync(&mut context).await,
        SourceType::DebianList => lists::sync_debian(&mut context).await,
        SourceType::AlpineSecdb => lists::sync_alpine(&mut context).await,
        SourceType::Parapet => replica::sync(&mut context).await,
        SourceType::Published => published::sync(&mut context).await,
        SourceType::MalwarePacks => malware::sync(&mut context).await,
    };
    let error = result.err().map(|e| error_chain(&e));
    if let Some(error) = &error {
        tracing::warn!(source = %name, %error, "sync failed");
    }
    let counts = context.counts;
    let rejections = std::mem::take(&mut context.rejections);
    if let Err(e) = store.finish_run(&context.lease, counts, &rejections, error.as_deref()).await {
        tracing::error!(source = %name, error = %error_chain(&e), "cannot record the sync's outcome");
    }
    SyncOutcome { source: name, counts, rejections, duration_ms: started.elapsed().as_millis() as u64, error }
}

/// An error and its sources, on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// What a consumer works with: the source and its cursor, the fetcher, and the batch sink.
pub struct Context<'a> {
    pub store: &'a Store,
    pub lease: SourceLease,
    pub fetcher: Fetcher,
    pub options: SyncOptions,
    pub counts: SyncCounts,
    pub rejections: Vec<Rejection>,
}

impl Context<'_> {
    pub fn spec(&self) -> &parapet_catalog::SourceSpec {
        &self.lease.source.spec
    }

    /// The cursor as the last committed batch left it.
    pub fn cursor(&self) -> &str {
        &self.lease.source.cursor
    }

    /// Applies a batch in one transaction and adds what it changed to the run's counts.
    pub async fn commit(&mut self, batch: CatalogBatch) -> Result<(), SyncError> {
        if batch.is_empty() {
            return Ok(());
        }
        let counts = self.store.apply_batch(&self.lease, &batch).await??;
        if let Some(cursor) = batch.cursor {
            self.lease.source.cursor = cursor;
        }
        self.counts += counts;
        Ok(())
    }

    /// Counts documents known to be unchanged without reading them.
    pub fn unchanged(&mut self, count: u64) {
        self.counts.unchanged += count;
    }

    /// Records a rejected document.
    pub fn reject(&mut self, document: impl Into<String>, reason: impl Into<String>) {
        let (document, reason) = (document.into(), reason.into());
        tracing::info!(source = %self.spec().name, %document, %reason, "document rejected");
        self.counts.rejected += 1;
        self.rejections.push(Rejection { document, reason });
    }

    pub fn progress(&self, label: &str, done: u64, total: u64) {
        (self.options.progress)(label, done, total);
    }

    /// The keys from the source's configuration.
    pub fn configured_keys(&self) -> Result<Keyring, SyncError> {
        Keyring::read(&self.spec().keys).map_err(|e| SyncError::Source(format!("a configured key: {e}")))
    }
}

/// After a whole listing (a zip, a folder, this server's publications): documents no longer
/// there are forgotten, their records withdrawn.
pub(crate) async fn forget_missing(context: &mut Context<'_>, seen: &BTreeSet<String>) -> Result<(), SyncError> {
    let known = context.store.document_states(context.lease.source.id, None).await?;
    let mut batch = CatalogBatch::default();
    let live: BTreeSet<String> =
        known.values().filter(|s| seen.contains(&s.document)).filter_map(|s| s.record_id.clone()).collect();
    for state in known.into_values().filter(|s| !seen.contains(&s.document)) {
        // Another file may carry the same record now (a rename): it stays.
        if let Some(id) = state.record_id.filter(|id| !live.contains(id)) {
            batch.withdrawn.push(id);
        }
        batch.forgotten.push(state.document);
    }
    context.commit(batch).await
}

/// SHA-256 of `bytes`, lowercase hex: how document states are compared.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
