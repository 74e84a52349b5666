-- Time to remediation: when each advisory was published, and exposure counted at the moment
-- a host's packages changed.

-- When this server first took the record (Unix ms); NULL for records taken before.
ALTER TABLE catalog_records ADD COLUMN first_seen_at BIGINT;
-- The earliest publication of the advisories an update fixes: this server's own bulletin, or
-- the first sync of another source's record; NULL when none is known.
ALTER TABLE fleet_updates ADD COLUMN published_at BIGINT;
-- Advisories whose exposure a check-in may have changed, and the latest time one did; the
-- fleet worker counts them and writes the sample at that time.
CREATE TABLE fleet_exposure_dirty (
    advisory TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
CREATE INDEX fleet_job_packages_by_finish ON fleet_job_packages(finished_at);
