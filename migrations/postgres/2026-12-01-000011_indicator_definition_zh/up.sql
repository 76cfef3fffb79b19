-- The indicator's definition in Chinese, beside the English `definition`: the dashboard's
-- Chinese view shows it. The seed catalogue writes one for every indicator; an indicator
-- created while reviewing a draft may have none yet (empty), and readers fall back to English.
ALTER TABLE indicators ADD COLUMN definition_zh TEXT NOT NULL DEFAULT '';
