//! Sync tests against real HTTP servers on loopback, into a SQLite store (the store's own suite
//! runs the catalog's queries on PostgreSQL too).

mod apt;
mod csaf;
mod lists;
mod osv;
mod server;

use parapet_catalog::SourceSpec;
use parapet_store::Store;
use parapet_sync::{SyncOptions, SyncOutcome};
use std::path::PathBuf;

/// `../shared/data` seen from the repository root.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path)
}

/// A store on a fresh SQLite database.
pub struct TestStore {
    pub store: Store,
    _dir: tempfile::TempDir,
}

pub async fn store() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    TestStore { store, _dir: dir }
}

/// Options for tests: short timeouts and waits, so that failure cases end quickly.
pub fn options() -> SyncOptions {
    let mut options = SyncOptions::default();
    options.fetch.retries = 2;
    options.fetch.backoff = std::time::Duration::from_millis(20);
    options.fetch.read_timeout = std::time::Duration::from_secs(2);
    options.fetch.request_timeout = std::time::Duration::from_secs(5);
    options
}

pub async fn add_and_sync(store: &Store, spec: SourceSpec) -> SyncOutcome {
    store.add_source("test", &spec).await.unwrap();
    sync(store, &spec.name).await
}

pub async fn sync(store: &Store, name: &str) -> SyncOutcome {
    parapet_sync::sync_source(store, name, &options()).await.unwrap()
}
