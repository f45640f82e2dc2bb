-- Webhook subscriptions, one delivery per (subscription, event), and each
-- attempt of a delivery (the delivery log).

-- `events` is a JSON array of patterns (`post.published`, `comment.*`, `*`).
-- `secret` signs deliveries; after a rotation `previous_secret` signs too
-- until `previous_secret_until`. `failing_since` is when the first of the
-- current run of failed attempts happened (NULL after a success).
CREATE TABLE webhook (
    webhook_id            INTEGER PRIMARY KEY,
    url                   TEXT NOT NULL,
    events                TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    active                INTEGER NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until TEXT,
    disabled_reason       TEXT,
    failing_since         TEXT,
    created_by            INTEGER REFERENCES account (account_id) ON DELETE SET NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

-- The body is fixed when the delivery is created, so retries and replays
-- send the same bytes even after the event itself is pruned.
CREATE TABLE webhook_delivery (
    delivery_id INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL REFERENCES webhook (webhook_id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (webhook_id, event_id)
) STRICT;
CREATE INDEX webhook_delivery_list_idx ON webhook_delivery (webhook_id, delivery_id);
CREATE INDEX webhook_delivery_age_idx ON webhook_delivery (created_at);

CREATE TABLE webhook_attempt (
    attempt_id    INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL REFERENCES webhook_delivery (delivery_id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    attempted_at  TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    status_code   INTEGER,
    latency_ms    INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT
) STRICT;
CREATE INDEX webhook_attempt_delivery_idx ON webhook_attempt (delivery_id, attempt_id);
