//! The integration tests of parapet-csaf: the OASIS test cases and real documents, read in place
//! from the shared data folder.

mod cases;
mod oasis;
mod real;

use std::path::PathBuf;

/// The shared data folder (`../shared/data/csaf` beside the repository).
fn shared(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf").join(relative)
}
