-- The same report twice (pasted again, or its web page and its PDF): found when a draft is made
-- and refused at publication, by an indexed lookup instead of comparing whole texts.
-- `text_sha256` is the hex SHA-256 of the text without its whitespace
-- (`db::queries::text_sha256`); rows stored before this migration get it from the server when
-- it migrates (`db::queries::fill_text_sha256`: SQL has no one definition of whitespace and
-- SQLite no SHA-256), so the column stays nullable.
ALTER TABLE sources ADD COLUMN text_sha256 TEXT;
CREATE INDEX sources_text_sha256 ON sources (text_sha256);
CREATE INDEX sources_doc_number ON sources (doc_number);
-- A draft keeps its source record as JSON: the two keys are copied out to be indexed.
ALTER TABLE drafts ADD COLUMN text_sha256 TEXT;
ALTER TABLE drafts ADD COLUMN doc_number TEXT;
CREATE INDEX drafts_text_sha256 ON drafts (text_sha256);
CREATE INDEX drafts_doc_number ON drafts (doc_number);
