ALTER TABLE indicators DROP COLUMN definition_zh;
