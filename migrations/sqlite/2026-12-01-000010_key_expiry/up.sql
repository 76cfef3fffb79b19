-- API keys may expire (`keys create --expires-in`, `keys rotate`), and record when they last
-- authenticated (at most once a minute, see src/auth.rs). Both are instants in the stored
-- format (ISO 8601 UTC with microseconds), which compares correctly as text; NULL: never.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
