-- Webhooks (src/notify/webhook.rs): the registrations an administrator makes with
-- `edustats webhooks add`, and the log of every delivery. A registration is never deleted
-- (`webhooks remove` sets active to 0), so its deliveries stay readable. The secret signs
-- the bodies (HMAC-SHA256), so it is stored as given: it is a shared secret, not a password.
-- Instants are ISO 8601 UTC text with microseconds, as elsewhere.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    event TEXT NOT NULL CHECK (event IN ('report_published', 'figures_changed', 'correction_made')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
