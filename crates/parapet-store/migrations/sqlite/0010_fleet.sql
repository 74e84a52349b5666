-- The fleet: hosts enrolled with an enrollment secret, what they report at each check-in, and
-- what each still needs. Inventories are stored once per distinct package list (hosts built from
-- one image share one), and packages once per distinct version, so that a catalog change is
-- matched against distinct packages, never host by host.
CREATE TABLE fleet_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- tags a host must all carry to be a member by rule (client-side targeting), as a JSON
    -- array of "KEY=VALUE"; empty for groups whose members are assigned on the server
    rule TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE fleet_enrollment_secrets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- SHA-256 of the secret, which is shown once
    secret_hash TEXT NOT NULL UNIQUE,
    -- the group hosts enrolled with it join
    group_id BIGINT REFERENCES fleet_groups(id) ON DELETE SET NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A distinct package list on a distinct distribution release, with what it needs in sum.
CREATE TABLE fleet_inventories (
    id INTEGER PRIMARY KEY,
    -- the distribution's ecosystem (Debian:12), '' when os-release does not place it
    ecosystem TEXT NOT NULL,
    digest TEXT NOT NULL,
    packages BIGINT NOT NULL,
    security_updates BIGINT NOT NULL DEFAULT 0,
    other_updates BIGINT NOT NULL DEFAULT 0,
    vulnerabilities BIGINT NOT NULL DEFAULT 0,
    -- Severity::rank of the worst update or vulnerability, 0 when none
    severity_rank BIGINT NOT NULL DEFAULT 0,
    UNIQUE (ecosystem, digest)
);

-- A distinct installed package, and what the catalog said about it at computed_tick.
CREATE TABLE fleet_packages (
    id INTEGER PRIMARY KEY,
    ecosystem TEXT NOT NULL,
    manager TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    arch TEXT NOT NULL,
    -- as the check-in sent them: '' when not sent
    source TEXT NOT NULL,
    source_version TEXT NOT NULL,
    -- the catalog tick its findings were computed at; NULL until they are
    computed_tick BIGINT,
    -- the newest version a security suite offers, when newer than this one
    update_version TEXT,
    -- security, critical or bugfix, with update_version
    classification TEXT,
    severity_rank BIGINT NOT NULL DEFAULT 0,
    -- how many of its vulnerabilities no update fixes
    unfixed BIGINT NOT NULL DEFAULT 0,
    -- the update and the vulnerabilities without a fix, as a JSON array of findings
    findings TEXT NOT NULL DEFAULT '[]',
    UNIQUE (ecosystem, manager, name, version, arch, source, source_version)
);
CREATE INDEX fleet_packages_by_name ON fleet_packages(name);
CREATE INDEX fleet_packages_by_source ON fleet_packages(source);
CREATE INDEX fleet_packages_uncomputed ON fleet_packages(computed_tick);

CREATE TABLE fleet_inventory_packages (
    inventory_id BIGINT NOT NULL REFERENCES fleet_inventories(id) ON DELETE CASCADE,
    package_id BIGINT NOT NULL REFERENCES fleet_packages(id) ON DELETE CASCADE,
    PRIMARY KEY (inventory_id, package_id)
);
CREATE INDEX fleet_inventory_packages_by_package ON fleet_inventory_packages(package_id, inventory_id);

-- Every advisory ID (and alias) a package is affected by, and whether its update fixes it.
CREATE TABLE fleet_package_advisories (
    package_id BIGINT NOT NULL REFERENCES fleet_packages(id) ON DELETE CASCADE,
    advisory TEXT NOT NULL,
    fixed_by_update BIGINT NOT NULL,
    PRIMARY KEY (package_id, advisory)
);
CREATE INDEX fleet_package_advisories_by_advisory ON fleet_package_advisories(advisory, package_id);

CREATE TABLE fleet_hosts (
    -- random, given at enrollment: hosts are never told apart by name
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    os TEXT NOT NULL DEFAULT '',
    os_version TEXT NOT NULL DEFAULT '',
    arch TEXT NOT NULL DEFAULT '',
    -- the distribution's ecosystem, as for fleet_inventories
    ecosystem TEXT NOT NULL DEFAULT '',
    -- the HostFacts of the last accepted check-in, as JSON; NULL before the first
    facts TEXT,
    -- its tags, as a JSON array of "KEY=VALUE"
    tags TEXT NOT NULL,
    reboot_required BIGINT NOT NULL DEFAULT 0,
    -- SHA-256 of the host credential; the one before a rotation stays valid until the agent
    -- uses the new one
    credential_hash TEXT NOT NULL UNIQUE,
    previous_credential_hash TEXT UNIQUE,
    credential_rotated_at BIGINT NOT NULL,
    -- the highest check-in sequence number accepted
    sequence BIGINT NOT NULL DEFAULT 0,
    inventory_id BIGINT REFERENCES fleet_inventories(id),
    inventory_digest TEXT,
    secret_id BIGINT REFERENCES fleet_enrollment_secrets(id) ON DELETE SET NULL,
    enrolled_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    -- a check-in reused a sequence number: the credential is in use on two machines
    clone_suspected_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX fleet_hosts_by_inventory ON fleet_hosts(inventory_id);
CREATE INDEX fleet_hosts_by_hostname ON fleet_hosts(hostname);

-- Group membership: assigned on the server (manual), by a tag rule (rule) or by the enrollment
-- secret (secret).
CREATE TABLE fleet_group_members (
    group_id BIGINT NOT NULL REFERENCES fleet_groups(id) ON DELETE CASCADE,
    host_id TEXT NOT NULL REFERENCES fleet_hosts(id) ON DELETE CASCADE,
    via TEXT NOT NULL,
    PRIMARY KEY (group_id, host_id, via)
);
CREATE INDEX fleet_group_members_by_host ON fleet_group_members(host_id);

-- The check-ins that changed something or were refused, and the last plain one of each host.
CREATE TABLE fleet_check_ins (
    id INTEGER PRIMARY KEY,
    host_id TEXT NOT NULL REFERENCES fleet_hosts(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    sequence BIGINT NOT NULL,
    -- enrolled, inventory, facts, unchanged, replayed
    outcome TEXT NOT NULL,
    packages BIGINT,
    detail TEXT
);
CREATE INDEX fleet_check_ins_by_host ON fleet_check_ins(host_id, id);

-- Where the fleet's findings stand against the catalog, and which server is bringing them up
-- to date.
CREATE TABLE fleet_clock (
    id BIGINT PRIMARY KEY,
    computed_tick BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
);
INSERT INTO fleet_clock (id, computed_tick) VALUES (1, 0);

-- How many hosts an advisory affected, each time the number changed.
CREATE TABLE fleet_exposure (
    advisory TEXT NOT NULL,
    at BIGINT NOT NULL,
    hosts BIGINT NOT NULL,
    PRIMARY KEY (advisory, at)
);
CREATE TABLE fleet_exposure_first (
    advisory TEXT PRIMARY KEY,
    first_seen_at BIGINT NOT NULL,
    hosts BIGINT NOT NULL
);
