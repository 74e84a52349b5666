//! parapet-scan's one integration-test binary: findings from a small catalog (aliases merged,
//! distribution statuses, updates folding the issues they fix), VEX suppression, the report
//! formats, and the rpm database read from a real rpmdb.

mod findings;
mod rpmdb;
