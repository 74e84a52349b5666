-- Security configuration policies given to groups, and where each host stands with its own.

-- One policy per group: the text as it was given (comments kept, for the console), its
-- canonical form (what the agents are sent) and that form's SHA-256.
CREATE TABLE fleet_harden_policies (
    group_id BIGINT PRIMARY KEY REFERENCES fleet_groups(id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    canonical TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- What a host last reported of its configuration, and the policy last given to it as a job
-- (so that a failed apply is not given again until the policy changes or someone asks).
CREATE TABLE fleet_host_harden (
    host_id TEXT PRIMARY KEY REFERENCES fleet_hosts(id) ON DELETE CASCADE,
    -- the applied policy's digest; NULL when none is applied
    policy_digest TEXT,
    snapshot TEXT,
    pending BIGINT NOT NULL DEFAULT 0,
    -- the drift list as JSON, and why the state could not be read
    drift TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    reported_at BIGINT,
    planned_digest TEXT,
    planned_at BIGINT
);
