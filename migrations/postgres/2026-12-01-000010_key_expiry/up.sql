-- API keys may expire (`keys create --expires-in`, `keys rotate`), and record when they last
-- authenticated (at most once a minute, see src/auth.rs). Both are instants in the stored
-- format (ISO 8601 UTC with microseconds), compared as text: COLLATE "C", like the other
-- instants, so the comparison is bytewise whatever the database's collation. NULL: never.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT COLLATE "C";
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT COLLATE "C";
