-- Content intelligence: the analysis stored with each post (JSON, recomputed
-- whenever its text changes) and the briefs generated drafts came from.

CREATE TABLE generation_brief (
    brief_id   INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    brief_hash TEXT NOT NULL,
    brief      TEXT NOT NULL,
    provider   TEXT NOT NULL,
    model      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX generation_brief_account_idx ON generation_brief (account_id);

ALTER TABLE post ADD COLUMN analysis TEXT;
ALTER TABLE post ADD COLUMN brief_id INTEGER REFERENCES generation_brief (brief_id) ON DELETE SET NULL;
CREATE INDEX post_brief_idx ON post (brief_id);
-- The background backfill looks for posts without an analysis; the partial
-- index keeps that a lookup, not a scan, and holds no entries once done.
CREATE INDEX post_unanalysed_idx ON post (post_id) WHERE analysis IS NULL;
