-- The warehouse schema (PostgreSQL flavour). migrations/sqlite holds the same logical schema;
-- the only differences are the surrogate-key type (SERIAL vs INTEGER PRIMARY KEY) and DOUBLE PRECISION
-- vs REAL. Booleans are avoided on purpose: diesel's MultiConnection does not map them.
-- Codes use COLLATE "C" so that ORDER BY code is byte order, as in SQLite, whatever the
-- server's locale: the two backends must return byte-identical answers.

CREATE TABLE districts (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES districts (id),
    level TEXT NOT NULL CHECK (level IN ('municipality', 'district', 'county', 'autonomous_county')),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE units (
    unit TEXT PRIMARY KEY,
    canonical TEXT NOT NULL,
    factor DOUBLE PRECISION NOT NULL CHECK (factor > 0)
);

CREATE TABLE dimensions (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE dimension_members (
    id SERIAL PRIMARY KEY,
    dimension_id INTEGER NOT NULL REFERENCES dimensions (id),
    code TEXT COLLATE "C" NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    UNIQUE (dimension_id, code)
);

CREATE TABLE indicators (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    category TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better', 'neutral')),
    definition TEXT NOT NULL,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    numerator TEXT,
    denominator TEXT
);
CREATE INDEX indicators_category ON indicators (category);

CREATE TABLE indicator_dimensions (
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    dimension_id INTEGER NOT NULL REFERENCES dimensions (id),
    PRIMARY KEY (indicator_id, dimension_id)
);

-- A breakdown is a set of dimension members; `code` is its canonical text form
-- ("ownership=public;stage=primary", dimensions sorted), '' for the total.
CREATE TABLE breakdowns (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE breakdown_members (
    breakdown_id INTEGER NOT NULL REFERENCES breakdowns (id),
    member_id INTEGER NOT NULL REFERENCES dimension_members (id),
    PRIMARY KEY (breakdown_id, member_id)
);

-- `year` is the calendar year a period ends in: the year year-based queries use.
CREATE TABLE periods (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('year', 'month', 'span')),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    year INTEGER NOT NULL
);
CREATE INDEX periods_year ON periods (year);

CREATE TABLE sources (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    issuer TEXT NOT NULL,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    doc_number TEXT,
    published_on TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('self_evaluation', 'rectification_plan', 'rectification_report')),
    review_year INTEGER,
    note TEXT,
    body TEXT NOT NULL
);

CREATE TABLE observations (
    id SERIAL PRIMARY KEY,
    key TEXT COLLATE "C" NOT NULL UNIQUE,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    period_id INTEGER NOT NULL REFERENCES periods (id),
    breakdown_id INTEGER NOT NULL REFERENCES breakdowns (id),
    kind TEXT NOT NULL CHECK (kind IN ('actual', 'target', 'change', 'growth', 'rank')),
    base_period_id INTEGER REFERENCES periods (id),
    value DOUBLE PRECISION NOT NULL,
    value_text TEXT NOT NULL,
    reported_unit TEXT NOT NULL,
    qualifier TEXT NOT NULL CHECK (qualifier IN ('exact', 'approximate', 'more_than', 'at_least', 'less_than', 'at_most')),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    quote TEXT NOT NULL,
    quote_start INTEGER NOT NULL,
    quote_end INTEGER NOT NULL,
    period_note TEXT,
    note TEXT
);
-- ranking / change / compare / coverage: one indicator, one kind, one breakdown, across periods.
CREATE INDEX observations_indicator_kind ON observations (indicator_id, kind, breakdown_id, period_id);
-- time series and "a district's observations" (the DataLoader batch by district).
CREATE INDEX observations_district_indicator ON observations (district_id, indicator_id);
CREATE INDEX observations_source ON observations (source_id);
CREATE INDEX observations_period ON observations (period_id);

CREATE TABLE findings (
    id SERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('rule', 'curated')),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message TEXT NOT NULL,
    source_id INTEGER REFERENCES sources (id)
);

CREATE TABLE finding_observations (
    finding_id INTEGER NOT NULL REFERENCES findings (id),
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    PRIMARY KEY (finding_id, observation_id)
);
CREATE INDEX finding_observations_observation ON finding_observations (observation_id);
