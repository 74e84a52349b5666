//! parapet-catalog's one integration-test binary: each source reader on hand-written records,
//! the catalog file format, the matching engine on tables of installed packages, and whole
//! builds from the shared reference data and this machine's apt lists.

mod build;
mod file;
mod matching;
mod sources;

use std::path::PathBuf;

/// A folder of the shared reference data, beside the repository.
pub fn shared(path: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path);
    assert!(dir.exists(), "{} is missing: the shared reference data must sit beside the repository", dir.display());
    dir
}
