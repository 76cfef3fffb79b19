DROP INDEX drafts_doc_number;
DROP INDEX drafts_text_sha256;
ALTER TABLE drafts DROP COLUMN doc_number;
ALTER TABLE drafts DROP COLUMN text_sha256;
DROP INDEX sources_doc_number;
DROP INDEX sources_text_sha256;
ALTER TABLE sources DROP COLUMN text_sha256;
