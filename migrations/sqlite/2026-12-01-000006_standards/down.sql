DROP TABLE standards;
ALTER TABLE indicators DROP COLUMN additive;
