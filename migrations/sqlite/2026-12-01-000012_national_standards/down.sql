-- Back to a source for every standard: national standards (no source) cannot be kept.
DELETE FROM standards WHERE source_id IS NULL;
CREATE TABLE standards_old (
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
    source_id INTEGER NOT NULL REFERENCES sources (id),
    quote TEXT NOT NULL,
    note TEXT,
    CHECK ((comparator IS NULL) = (value IS NULL))
);
INSERT INTO standards_old SELECT id, code, name_zh, name_en, indicator_id, comparator, value, value_text, reported_unit, scope, district_id, effective_from, effective_to, doc_title, doc_number, issuer, source_id, quote, note FROM standards;
DROP TABLE standards;
ALTER TABLE standards_old RENAME TO standards;
CREATE INDEX standards_indicator ON standards (indicator_id);
