-- A fourth kind of source: statistics tables and bulletins (教育事业统计, 统计公报), which the
-- extractor recognises. SQLite cannot alter a CHECK constraint, so the table is rebuilt with the
-- same columns, ids and defaults, following SQLite's procedure for schema changes
-- (https://www.sqlite.org/lang_altertable.html#otheralter): foreign keys off outside a
-- transaction (dropping the referenced table would otherwise fail, and deferring the checks
-- does not help: the violations counted by the drop are never uncounted by the rename), the
-- rebuild in one transaction, a foreign-key check that aborts the migration if any reference
-- dangles, then foreign keys back on. Hence `run_in_transaction = false` in metadata.toml.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE sources_new (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    issuer TEXT NOT NULL,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    doc_number TEXT,
    published_on TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('self_evaluation', 'rectification_plan', 'rectification_report', 'statistics')),
    review_year INTEGER,
    note TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z'
);
INSERT INTO sources_new (id, code, title_zh, title_en, issuer, district_id, doc_number, published_on, kind, review_year, note, body, created_at)
    SELECT id, code, title_zh, title_en, issuer, district_id, doc_number, published_on, kind, review_year, note, body, created_at FROM sources;
DROP TABLE sources;
ALTER TABLE sources_new RENAME TO sources;

-- Any dangling reference makes this insert violate its CHECK and aborts before COMMIT.
CREATE TEMP TABLE fk_violations (n INTEGER CHECK (n = 0));
INSERT INTO fk_violations SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE fk_violations;
COMMIT;
PRAGMA foreign_keys = ON;
