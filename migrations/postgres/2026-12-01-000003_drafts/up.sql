-- Review drafts: an extracted report under review. No warehouse query reads these tables; a
-- draft's figures reach `observations` only when it is published through the import path.
-- Items keep the extraction as it was (`item`, JSON) next to the reviewer's version of the row
-- (PostgreSQL flavour: SERIAL keys; the code and timestamps use COLLATE "C" so text order is byte order.)
-- (`edited`, JSON), so nothing the extractor found is lost, whatever the reviewer decides.

CREATE TABLE drafts (
    id SERIAL PRIMARY KEY,
    -- The code of the source the draft creates when published.
    code TEXT COLLATE "C" NOT NULL,
    district TEXT NOT NULL,
    -- The source record (SourceRecordInput JSON, with the full text).
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'published', 'discarded')),
    created_by TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    published_at TEXT COLLATE "C"
);
CREATE INDEX drafts_status ON drafts (status);
-- One open draft per source code: two reviewers extracting the same report at once get a
-- conflict instead of two drafts racing to publish the same source.
CREATE UNIQUE INDEX drafts_open_code ON drafts (code) WHERE status = 'open';

CREATE TABLE draft_items (
    id SERIAL PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts (id),
    -- 1-based, in text order: proposals first, then the figures that matched no indicator.
    position INTEGER NOT NULL,
    -- The proposal or the unmatched figure as extracted (JSON); never changed.
    item TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('pending', 'accepted', 'rejected')),
    -- The observation row as the reviewer left it (JSON); NULL: as extracted.
    edited TEXT,
    -- A new indicator confirmed for an unmatched figure (JSON).
    new_indicator TEXT,
    decided_by TEXT,
    decided_at TEXT,
    UNIQUE (draft_id, position)
);
