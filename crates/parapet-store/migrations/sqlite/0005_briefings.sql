-- Briefings and webcasts publishers schedule; public, in the calendar feed.
CREATE TABLE briefings (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    join_url TEXT NOT NULL,
    description TEXT NOT NULL,
    cancelled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX briefings_by_start ON briefings(starts_at);
