-- Instance-wide values that every Herald process sharing this database must
-- agree on (for example a generated token-signing secret), keyed by name.
-- Timestamps are bound from Rust in UTC so both backends store the same thing.
CREATE TABLE instance_setting (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
