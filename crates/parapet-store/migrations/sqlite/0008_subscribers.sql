-- Email subscribers. An address is confirmed by a link mailed to it (double opt-in) before it
-- receives anything else. Links carry tokens the server derives (an HMAC over the subscriber's ID,
-- a purpose and token_nonce), so no token is stored; a new nonce voids every earlier link.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    -- as given, for the To header
    email TEXT NOT NULL,
    -- lower-cased, so that one mailbox is one subscriber
    email_key TEXT NOT NULL UNIQUE,
    -- pending (waiting for confirmation), active or unsubscribed
    status TEXT NOT NULL,
    -- preferences as JSON: {"kinds": [...], "products": [...], "min_severity": ...}
    filters TEXT NOT NULL,
    token_nonce TEXT NOT NULL,
    confirm_sent_at BIGINT,
    confirmed_at BIGINT,
    unsubscribed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscribers_active ON subscribers(id) WHERE status = 'active';

-- Fan-out goes through the webhook endpoints, then through the active subscribers.
ALTER TABLE outbox ADD COLUMN webhooks_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN email_cursor BIGINT NOT NULL DEFAULT 0;
