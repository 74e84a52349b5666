-- Rollouts: the updates the fleet needs, their approvals per group, the rules and rings that
-- approve them, when each group may install and restart, and the jobs agents run.

-- What would fix a package: its security-suite update, else the newest fix its advisories
-- name (a vendor's own bulletin, say). Every package is computed again to fill it in.
ALTER TABLE fleet_packages ADD COLUMN fix_version TEXT;
UPDATE fleet_packages SET computed_tick = NULL;
-- '' installs at any time; else the zone and weekly windows, "Europe/Berlin; sat 02:00-06:00"
ALTER TABLE fleet_groups ADD COLUMN windows TEXT NOT NULL DEFAULT '';
-- never, in-window or at-deadline
ALTER TABLE fleet_groups ADD COLUMN reboot TEXT NOT NULL DEFAULT 'never';
-- When the host's work is next to be planned, at a check-in from then on; NULL: nothing waits.
ALTER TABLE fleet_hosts ADD COLUMN plan_at BIGINT;
CREATE INDEX fleet_hosts_by_plan_at ON fleet_hosts(plan_at);

-- An update: one version of one package in one ecosystem, as the fleet has come to need it (or
-- as someone approved it).
CREATE TABLE fleet_updates (
    id INTEGER PRIMARY KEY,
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL,
    version TEXT NOT NULL,
    -- security, critical or bugfix; unclassified when the catalog does not name it
    classification TEXT NOT NULL,
    severity_rank BIGINT NOT NULL DEFAULT 0,
    -- the advisory IDs it fixes and the catalog sources that name it, as JSON arrays
    advisories TEXT NOT NULL DEFAULT '[]',
    sources TEXT NOT NULL DEFAULT '[]',
    released_at BIGINT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    UNIQUE (ecosystem, package, version)
);
CREATE INDEX fleet_updates_by_package ON fleet_updates(package);

-- An ordered set of groups an update moves through.
CREATE TABLE fleet_rings (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    promotion_delay_ms BIGINT NOT NULL,
    failure_budget_percent BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE fleet_ring_stages (
    ring_id BIGINT NOT NULL REFERENCES fleet_rings(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES fleet_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (ring_id, position),
    UNIQUE (ring_id, group_id)
);

-- Auto-approval: updates matching the criteria (RuleCriteria as JSON) are approved for a group,
-- or for a ring's first stage, once their deferral has passed.
CREATE TABLE fleet_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    group_id BIGINT REFERENCES fleet_groups(id) ON DELETE CASCADE,
    ring_id BIGINT REFERENCES fleet_rings(id) ON DELETE CASCADE,
    criteria TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A rule acts on an update once: an approval a person takes back stays taken back.
CREATE TABLE fleet_rule_applied (
    rule_id BIGINT NOT NULL REFERENCES fleet_rules(id) ON DELETE CASCADE,
    update_id BIGINT NOT NULL REFERENCES fleet_updates(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, update_id)
);

CREATE TABLE fleet_approvals (
    id INTEGER PRIMARY KEY,
    update_id BIGINT NOT NULL REFERENCES fleet_updates(id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES fleet_groups(id) ON DELETE CASCADE,
    -- install or decline
    action TEXT NOT NULL,
    deadline BIGINT,
    -- the person, or "rule:NAME"; with the rule and the ring that made it, when one did
    approved_by TEXT NOT NULL,
    rule_id BIGINT REFERENCES fleet_rules(id) ON DELETE SET NULL,
    ring_id BIGINT REFERENCES fleet_rings(id) ON DELETE SET NULL,
    approved_at BIGINT NOT NULL,
    -- a ring's failure budget was spent: installs wait until someone resumes it
    paused_at BIGINT,
    paused_reason TEXT,
    UNIQUE (update_id, group_id)
);
CREATE INDEX fleet_approvals_by_group ON fleet_approvals(group_id);

-- How far each update has moved through each ring.
CREATE TABLE fleet_ring_progress (
    ring_id BIGINT NOT NULL REFERENCES fleet_rings(id) ON DELETE CASCADE,
    update_id BIGINT NOT NULL REFERENCES fleet_updates(id) ON DELETE CASCADE,
    -- the position of the last stage approved
    stage BIGINT NOT NULL,
    -- rolling, stopped or done
    state TEXT NOT NULL,
    reason TEXT,
    -- the deadline each stage's approval gets, in days after it (from the rule)
    deadline_days BIGINT,
    rule_id BIGINT REFERENCES fleet_rules(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (ring_id, update_id)
);

-- Work for one host: install, rollback or reboot.
CREATE TABLE fleet_jobs (
    id INTEGER PRIMARY KEY,
    host_id TEXT NOT NULL REFERENCES fleet_hosts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- pending (not yet given to the agent), sent, succeeded, failed or cancelled
    state TEXT NOT NULL,
    -- the JobPackage list, as JSON
    packages TEXT NOT NULL DEFAULT '[]',
    -- the install a rollback undoes
    rollback_of BIGINT REFERENCES fleet_jobs(id) ON DELETE SET NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    sent_count BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT,
    message TEXT,
    -- the agent's JobReport, as JSON
    report TEXT
);
CREATE INDEX fleet_jobs_by_host ON fleet_jobs(host_id, id);
-- A host has one job at a time.
CREATE UNIQUE INDEX fleet_jobs_one_open ON fleet_jobs(host_id) WHERE state IN ('pending', 'sent');

-- Each package of an install or rollback, with the approval it carried out.
CREATE TABLE fleet_job_packages (
    job_id BIGINT NOT NULL REFERENCES fleet_jobs(id) ON DELETE CASCADE,
    package TEXT NOT NULL,
    arch TEXT NOT NULL,
    from_version TEXT,
    version TEXT NOT NULL,
    update_id BIGINT REFERENCES fleet_updates(id) ON DELETE SET NULL,
    approval_id BIGINT REFERENCES fleet_approvals(id) ON DELETE SET NULL,
    group_id BIGINT REFERENCES fleet_groups(id) ON DELETE SET NULL,
    -- succeeded or failed, once the job is over
    outcome TEXT,
    finished_at BIGINT,
    PRIMARY KEY (job_id, package, arch)
);
CREATE INDEX fleet_job_packages_by_update ON fleet_job_packages(update_id, group_id);
