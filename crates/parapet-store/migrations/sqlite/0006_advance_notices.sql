-- Advance notices: per monthly release, each revision of the published aggregates (the Summary
-- as JSON). The key makes a revision exactly once, however many servers compute it.
CREATE TABLE advance_notices (
    month TEXT NOT NULL,
    version BIGINT NOT NULL,
    summary TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (month, version)
);
