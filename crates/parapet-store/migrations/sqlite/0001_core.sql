-- Core schema: accounts, audit, products, cases. Times are Unix milliseconds (UTC).
-- Booleans are BIGINT 0/1 in both backends: sqlx's Any driver cannot decode SQLite booleans.
-- CVSS scores are stored in tenths: exact, and sqlx's Any driver mis-types NULL doubles for PostgreSQL.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures(username, at);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE vendors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    vendor_id BIGINT NOT NULL REFERENCES vendors(id),
    name TEXT NOT NULL,
    cpe TEXT,
    purl TEXT,
    UNIQUE (vendor_id, name)
);

CREATE TABLE product_versions (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    branch TEXT,
    cpe TEXT,
    purl TEXT,
    UNIQUE (product_id, version)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    duplicate_of BIGINT REFERENCES cases(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    reporter_name TEXT,
    reporter_email TEXT,
    credits_json TEXT NOT NULL,
    cwe TEXT,
    cvss_v31 TEXT,
    cvss_v31_tenths BIGINT,
    cvss_v4 TEXT,
    cvss_v4_tenths BIGINT,
    severity_rank BIGINT NOT NULL,
    severity_override TEXT,
    severity_override_reason TEXT,
    publicly_disclosed BIGINT NOT NULL,
    exploited BIGINT NOT NULL,
    exploitability_index TEXT,
    cve_id TEXT UNIQUE,
    disclosure_date TEXT,
    tracking_hash TEXT UNIQUE,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_by_state ON cases(state);
CREATE INDEX cases_by_updated ON cases(updated_at);
CREATE INDEX cases_by_severity ON cases(severity_rank);

CREATE TABLE case_products (
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    versions TEXT NOT NULL,
    fixed_version TEXT,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX case_products_by_product ON case_products(product_id);

CREATE TABLE case_messages (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_messages_by_case ON case_messages(case_id);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_by_case ON attachments(case_id);

CREATE TABLE cve_pool (
    cve_id TEXT PRIMARY KEY,
    case_id BIGINT REFERENCES cases(id)
);
