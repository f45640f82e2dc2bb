-- Accounts and everything that authenticates them.
--
-- Uniqueness of e-mail and username ignores case (expression indexes on
-- lower(), which both SQLite and PostgreSQL support), while the username
-- keeps the case the user chose for display. E-mails are stored lower-cased.
CREATE TABLE account (
    account_id    INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'author', 'editor', 'admin')),
    display_name  TEXT,
    bio           TEXT,
    avatar_url    TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX account_email_key ON account (lower(email));
CREATE UNIQUE INDEX account_username_key ON account (lower(username));

-- A session is one sign-in: the family of refresh tokens that rotate from it.
-- Access tokens name their session (`sid`), so revoking the session cuts
-- them off at once rather than when they expire.
CREATE TABLE session (
    session_id TEXT PRIMARY KEY NOT NULL,
    account_id INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoke_reason TEXT
) STRICT;
CREATE INDEX session_account_idx ON session (account_id);

-- Only SHA-256 digests of refresh tokens are stored. A token is used once:
-- `used_at` is set when it is rotated, and presenting it again revokes the
-- whole session (the token was stolen, or the client is replaying it).
CREATE TABLE refresh_token (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES session (session_id) ON DELETE CASCADE,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX refresh_token_session_idx ON refresh_token (session_id);

CREATE TABLE api_key (
    api_key_id   INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    expires_at   TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX api_key_account_idx ON api_key (account_id);

-- Failed sign-ins per throttle key (`account:<login>` or `ip:<address>`), in
-- the database so that every instance enforces the same back-off.
CREATE TABLE login_failure (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until TEXT,
    updated_at   TEXT NOT NULL
) STRICT;
