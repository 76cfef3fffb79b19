-- The notification outbox (src/notify/relay.rs). On SQLite nothing writes it (there is no
-- LISTEN/NOTIFY to announce a row with); the table exists so both backends share one schema.
CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    events TEXT NOT NULL,
    created_at TEXT NOT NULL
);
