-- National standards (教育部 norms such as the 2017 county high-quality balance measures) are
-- cited by their own document, not by a seed report: their `source_id` is null, their quote is
-- the national document's wording (checked against `seeds/references/` when seeded) and the
-- citation is in doc_title / doc_number / issuer, which the seed loader then requires.
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt with the same columns and
-- ids (no table references `standards`, so foreign keys can stay on).
CREATE TABLE standards_new (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    indicator_id INTEGER REFERENCES indicators (id),
    comparator TEXT CHECK (comparator IN ('at_least', 'more_than', 'at_most', 'less_than')),
    value REAL,
    value_text TEXT,
    reported_unit TEXT,
    scope TEXT NOT NULL,
    district_id INTEGER REFERENCES districts (id),
    effective_from INTEGER,
    effective_to INTEGER,
    doc_title TEXT,
    doc_number TEXT,
    issuer TEXT,
    source_id INTEGER REFERENCES sources (id),
    quote TEXT NOT NULL,
    note TEXT,
    CHECK ((comparator IS NULL) = (value IS NULL))
);
INSERT INTO standards_new (id, code, name_zh, name_en, indicator_id, comparator, value, value_text, reported_unit, scope, district_id, effective_from, effective_to, doc_title, doc_number, issuer, source_id, quote, note)
    SELECT id, code, name_zh, name_en, indicator_id, comparator, value, value_text, reported_unit, scope, district_id, effective_from, effective_to, doc_title, doc_number, issuer, source_id, quote, note FROM standards;
DROP TABLE standards;
ALTER TABLE standards_new RENAME TO standards;
CREATE INDEX standards_indicator ON standards (indicator_id);
