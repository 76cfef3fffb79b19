-- The notification outbox (src/notify/relay.rs): the events of a write made outside a server
-- (`edustats import`), written in the write's transaction and announced with
-- pg_notify('edustats', 'events:ID'), so every server listening on the database sends them to
-- its subscribers and webhooks. A row is only read once, when its NOTIFY arrives; rows older
-- than an hour are deleted by the next write. `events` is the JSON array of the events, as a
-- webhook body's `event`/`data` pairs. Instants are ISO 8601 UTC text, COLLATE "C" as elsewhere.
CREATE TABLE notification_outbox (
    id SERIAL PRIMARY KEY,
    events TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
