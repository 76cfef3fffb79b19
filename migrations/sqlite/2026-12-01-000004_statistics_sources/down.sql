-- Back to three kinds (same procedure as up.sql); fails, and changes nothing, while a
-- statistics source exists.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE sources_old (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    issuer TEXT NOT NULL,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    doc_number TEXT,
    published_on TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('self_evaluation', 'rectification_plan', 'rectification_report')),
    review_year INTEGER,
    note TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000000Z'
);
INSERT INTO sources_old (id, code, title_zh, title_en, issuer, district_id, doc_number, published_on, kind, review_year, note, body, created_at)
    SELECT id, code, title_zh, title_en, issuer, district_id, doc_number, published_on, kind, review_year, note, body, created_at FROM sources;
DROP TABLE sources;
ALTER TABLE sources_old RENAME TO sources;

-- Any dangling reference makes this insert violate its CHECK and aborts before COMMIT.
CREATE TEMP TABLE fk_violations (n INTEGER CHECK (n = 0));
INSERT INTO fk_violations SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE fk_violations;
COMMIT;
PRAGMA foreign_keys = ON;
