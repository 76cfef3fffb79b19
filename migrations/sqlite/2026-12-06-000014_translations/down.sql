DROP TABLE note_translations;
ALTER TABLE findings DROP COLUMN message_zh;
