-- Delivery that loses nothing: every notification is written to the outbox in the transaction of
-- the event that causes it; fan-out turns it into one delivery per matching target, in batches
-- that each commit their cursor; workers claim due deliveries, and every attempt is logged.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    -- standard (signed JSON), slack, teams or matrix
    format TEXT NOT NULL,
    -- filters as JSON: {"kinds": [...], "products": [...], "min_severity": ...}
    filters TEXT NOT NULL,
    -- the signing secret, sealed by the server (never stored in the clear)
    secret TEXT NOT NULL,
    -- the secret being rotated out, still signed with until previous_until
    previous_secret TEXT,
    previous_until BIGINT,
    -- set when the endpoint failed too often in a row; deliveries wait until it is resumed
    paused_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    -- stable: receivers drop duplicates by it
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- what filters look at
    severity TEXT,
    products TEXT NOT NULL,
    -- the message as JSON
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- fan-out: the last webhook endpoint given a delivery, and whether all have been
    fanout_cursor BIGINT NOT NULL DEFAULT 0,
    fanout_done BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_fanout ON outbox(created_at) WHERE fanout_done = 0;

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES outbox(id),
    -- webhook (target: webhook_endpoints.id)
    channel TEXT NOT NULL,
    target BIGINT NOT NULL,
    -- pending, delivered or dead
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (message_id, channel, target)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_target ON deliveries(channel, target, id);

CREATE TABLE delivery_log (
    delivery BIGINT NOT NULL REFERENCES deliveries(id),
    at BIGINT NOT NULL,
    -- delivered, failed or dead
    outcome TEXT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_log_by_delivery ON delivery_log(delivery);
