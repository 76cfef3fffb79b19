-- Chinese text for the dashboard's Chinese view. A curated finding's message and a rule
-- finding's message are written in both languages when the finding is (findings are never
-- corrected, so the two cannot drift apart); empty when there is no Chinese.
ALTER TABLE findings ADD COLUMN message_zh TEXT NOT NULL DEFAULT '';
-- A curator's note may be corrected later, so its translation records the SHA-256 (hex) of the
-- English note it translates: a translation whose note has changed since is not shown.
CREATE TABLE note_translations (
    observation_key TEXT PRIMARY KEY NOT NULL,
    note_sha256 TEXT NOT NULL,
    note_zh TEXT NOT NULL
);
