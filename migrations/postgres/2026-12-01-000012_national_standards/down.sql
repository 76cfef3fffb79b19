-- Back to a source for every standard: national standards (no source) cannot be kept.
DELETE FROM standards WHERE source_id IS NULL;
ALTER TABLE standards ALTER COLUMN source_id SET NOT NULL;
