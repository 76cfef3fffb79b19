-- Other names reports print for an indicator (总投资 for school construction funding, 普惠率 for
-- inclusive kindergarten coverage), `;`-separated: cues for the report extractor.
ALTER TABLE indicators ADD COLUMN aliases TEXT NOT NULL DEFAULT '';
