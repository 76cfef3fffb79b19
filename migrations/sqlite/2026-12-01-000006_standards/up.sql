-- Additivity is declared per indicator (a per-student amount is in yuan but never adds up
-- across districts); 0 until the catalogue says otherwise, so nothing is summed by default.
-- Integer, not boolean: diesel's MultiConnection does not map booleans.
ALTER TABLE indicators ADD COLUMN additive INTEGER NOT NULL DEFAULT 0 CHECK (additive IN (0, 1));

-- Norms a value can be checked against (seeds/standards/), each with the document that sets it
-- and the quote of the seed report that states or cites it. `indicator_id` is null when the
-- catalogue has no indicator for the norm; `comparator` and `value` are null together when the
-- reports name the norm but do not print its threshold.
CREATE TABLE standards (
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
CREATE INDEX standards_indicator ON standards (indicator_id);
