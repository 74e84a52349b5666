//! The integration tests of parapet-publish: a realistic bulletin and advisory rendered in every
//! format, checked against the CSAF validator and the structure OSV and CVE JSON 5 require, and
//! snapshotted (`tests/it/snapshots`; review changes with `cargo insta review`).

mod catalog;
mod csaf;
mod cve;
mod fixtures;
mod osv;
