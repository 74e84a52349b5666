-- The update catalog: sources it is synced from, their runs, and what they gave (advisories as
-- records, security updates). Every catalog write takes the next value of `catalog_clock` and
-- stamps the rows it changes with it, so that other Parapet servers replicate by cursor.
CREATE TABLE catalog_sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    -- the SourceSpec (schedule, filters, trust, options) as JSON
    spec TEXT NOT NULL,
    -- where the last committed batch left the consumer; written only with its batch
    cursor TEXT NOT NULL DEFAULT '',
    next_run_at BIGINT,
    -- the server or command that syncs it now, until when
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE catalog_runs (
    id INTEGER PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES catalog_sources(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    -- running, ok or failed
    outcome TEXT NOT NULL,
    error TEXT,
    new_count BIGINT NOT NULL DEFAULT 0,
    updated_count BIGINT NOT NULL DEFAULT 0,
    unchanged_count BIGINT NOT NULL DEFAULT 0,
    rejected_count BIGINT NOT NULL DEFAULT 0,
    withdrawn_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX catalog_runs_by_source ON catalog_runs(source_id, id);

CREATE TABLE catalog_rejections (
    run_id BIGINT NOT NULL REFERENCES catalog_runs(id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX catalog_rejections_by_run ON catalog_rejections(run_id);

-- What each document of a source was when it was last taken: a second sync of the same content
-- is recognised without parsing it.
CREATE TABLE catalog_documents (
    source_id BIGINT NOT NULL REFERENCES catalog_sources(id) ON DELETE CASCADE,
    document TEXT NOT NULL,
    digest TEXT NOT NULL,
    modified TEXT NOT NULL,
    -- the record it gave, when it gave one: withdrawn when the document disappears
    record_id TEXT,
    PRIMARY KEY (source_id, document)
);

CREATE TABLE catalog_records (
    id INTEGER PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES catalog_sources(id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    -- the catalog entry it belongs to: its one CVE when it names exactly one, else its own ID
    entry TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT,
    -- Severity::rank, 0 when none: for sorting and the minimum-severity filter
    severity_rank BIGINT NOT NULL,
    ecosystems TEXT NOT NULL,
    -- the parapet_catalog::Advisory as JSON; NULL once withdrawn (kept so replicas learn of it)
    body TEXT,
    modified TEXT NOT NULL,
    seq BIGINT NOT NULL,
    UNIQUE (source_id, record_id)
);
CREATE INDEX catalog_records_by_seq ON catalog_records(seq, id);
CREATE INDEX catalog_records_by_entry ON catalog_records(entry);

-- Every ID of a live record (its own and its aliases): how a CVE finds all its sources.
CREATE TABLE catalog_ids (
    alias TEXT NOT NULL,
    record BIGINT NOT NULL REFERENCES catalog_records(id) ON DELETE CASCADE,
    PRIMARY KEY (alias, record)
);
CREATE INDEX catalog_ids_by_record ON catalog_ids(record);

CREATE TABLE catalog_packages (
    record BIGINT NOT NULL REFERENCES catalog_records(id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL,
    PRIMARY KEY (record, ecosystem, package)
);
CREATE INDEX catalog_packages_by_name ON catalog_packages(package);

CREATE TABLE catalog_updates (
    id INTEGER PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES catalog_sources(id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    suite TEXT NOT NULL,
    package TEXT NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    source_package TEXT NOT NULL,
    source_version TEXT NOT NULL,
    -- critical, security or bugfix
    classification TEXT NOT NULL,
    released_at BIGINT NOT NULL,
    -- the newer version of the same package that replaced it, if one has
    superseded_by TEXT,
    seq BIGINT NOT NULL,
    UNIQUE (source_id, ecosystem, suite, package, arch, version)
);
CREATE INDEX catalog_updates_by_seq ON catalog_updates(seq, id);
CREATE INDEX catalog_updates_by_package ON catalog_updates(package);

CREATE TABLE catalog_clock (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO catalog_clock (id, seq) VALUES (1, 0);
