-- Controlled writes: revisions, API keys and the audit log.
-- Timestamps are ISO 8601 UTC text with microseconds ("2026-11-22T10:00:00.000000Z"), which
-- sorts correctly as text on both backends.

-- The row in `observations` is always the current revision; earlier revisions move to
-- `observation_revisions` when a correction is recorded, so nothing is overwritten.
ALTER TABLE observations ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE observations ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
ALTER TABLE observations ADD COLUMN recorded_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';
ALTER TABLE observations ADD COLUMN recorded_by TEXT NOT NULL DEFAULT 'seed';
ALTER TABLE observations ADD COLUMN change_reason TEXT;
CREATE INDEX observations_created ON observations (created_at);

ALTER TABLE sources ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z';

CREATE TABLE observation_revisions (
    id INTEGER PRIMARY KEY,
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    revision INTEGER NOT NULL,
    value REAL NOT NULL,
    value_text TEXT NOT NULL,
    reported_unit TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    quote TEXT NOT NULL,
    quote_start INTEGER NOT NULL,
    quote_end INTEGER NOT NULL,
    note TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    change_reason TEXT,
    superseded_at TEXT NOT NULL,
    UNIQUE (observation_id, revision)
);
-- asOf: "which revision of these observations was current at T".
CREATE INDEX observation_revisions_time ON observation_revisions (observation_id, recorded_at, superseded_at);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    row_count INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
