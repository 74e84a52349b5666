-- The mandatory CSAF tests a document fails when its source takes it anyway (validation =
-- "schema"): a JSON array of {test, path, message}; NULL when it fails none.
ALTER TABLE catalog_documents ADD COLUMN problems TEXT;
-- How many documents a run took with problems.
ALTER TABLE catalog_runs ADD COLUMN problem_count BIGINT NOT NULL DEFAULT 0;
