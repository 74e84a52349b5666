-- Security bulletins and advisories, their published revisions (the CSAF provider directory is
-- read from `publications`), the words the security update guide searches, and the provider's key.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- authored in Parapet, or imported from an existing CSAF document
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    -- the Document as JSON, latest content (a draft revision included); NULL when imported
    body TEXT,
    -- unpublished, active, withdrawn or superseded, from the published revisions
    status TEXT NOT NULL,
    -- when the draft revision is to be published, as what (interim or final), in which release
    scheduled_at BIGINT,
    scheduled_status TEXT,
    scheduled_release TEXT,
    -- why the last scheduled publication was refused, if it was
    schedule_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX documents_due ON documents(scheduled_at) WHERE scheduled_at IS NOT NULL;

CREATE TABLE publications (
    document_id TEXT NOT NULL REFERENCES documents(id),
    version TEXT NOT NULL,
    -- 1 for the document's latest published revision, which the directory and guide show
    is_current BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    label TEXT NOT NULL,
    -- inside the TLP folder: YYYY/file.json
    path TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT,
    status TEXT NOT NULL,
    -- the monthly release (YYYY-MM) it came out in; NULL when out of band or imported
    release_month TEXT,
    initial_release BIGINT NOT NULL,
    current_release BIGINT NOT NULL,
    csaf TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    signature TEXT NOT NULL,
    -- the Document as published (authored documents)
    snapshot TEXT,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, version)
);
-- Two documents whose IDs give the same file name cannot both be in the directory.
CREATE UNIQUE INDEX publications_current_path ON publications(label, path) WHERE is_current = 1;
CREATE INDEX publications_current_release ON publications(current_release) WHERE is_current = 1;

CREATE TABLE document_terms (
    document_id TEXT NOT NULL REFERENCES documents(id),
    -- cve or product
    term_kind TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (document_id, term_kind, term)
);
CREATE INDEX document_terms_by_term ON document_terms(term_kind, term);

-- The provider's OpenPGP key, its secret part passphrase-protected; one row.
CREATE TABLE signing_key (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
