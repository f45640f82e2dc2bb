-- no-transaction
-- The post row, rebuilt with its large columns last. SQLite reads a row's
-- columns in order, and a column that follows the body sits behind the
-- body's overflow pages: a listing, which needs everything but the body,
-- walked 1-8 KB of text per row to reach `like_count` and `tags`. With body,
-- body_html and analysis at the end, a listed row is read from its first page.
--
-- The usual SQLite table rebuild: without foreign-key enforcement (dropping
-- the old table must not cascade into its children, and `foreign_keys`
-- cannot change inside a transaction, hence no-transaction), one
-- transaction, and the rename in legacy mode so it neither rewrites nor
-- re-checks the other tables' triggers, which name `post` and find the new
-- table under that name. Rowids are kept, so the external-content full-text
-- index stays valid as it is. If the process stops after the COMMIT but
-- before the migration is recorded, running it again rebuilds once more.
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN IMMEDIATE;

DROP TABLE IF EXISTS post_rebuilt;
CREATE TABLE post_rebuilt (
    post_id       INTEGER PRIMARY KEY,
    author_id     INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published', 'archived')),
    sort_at       TEXT NOT NULL DEFAULT '',
    publish_at    TEXT,
    published_at  TEXT,
    category_id   INTEGER REFERENCES category (category_id) ON DELETE SET NULL,
    brief_id      INTEGER REFERENCES generation_brief (brief_id) ON DELETE SET NULL,
    like_count    INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    tags          TEXT NOT NULL,
    platforms     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    excerpt_given INTEGER NOT NULL CHECK (excerpt_given IN (0, 1)),
    excerpt       TEXT NOT NULL,
    analysis      TEXT,
    body          TEXT NOT NULL,
    body_html     TEXT NOT NULL
) STRICT;

INSERT INTO post_rebuilt (
    post_id, author_id, slug, title, status, sort_at, publish_at, published_at, category_id,
    brief_id, like_count, comment_count, version, created_at, updated_at, tags, platforms,
    content_type, excerpt_given, excerpt, analysis, body, body_html
)
SELECT post_id, author_id, slug, title, status, sort_at, publish_at, published_at, category_id,
       brief_id, like_count, comment_count, version, created_at, updated_at, tags, platforms,
       content_type, excerpt_given, excerpt, analysis, body, body_html
FROM post ORDER BY post_id;

DROP TABLE post;
ALTER TABLE post_rebuilt RENAME TO post;

CREATE INDEX post_status_published_idx ON post (status, published_at);
CREATE INDEX post_brief_idx ON post (brief_id);
CREATE INDEX post_unanalysed_idx ON post (post_id) WHERE analysis IS NULL;
CREATE INDEX post_listing_idx ON post (sort_at, post_id, status, publish_at, author_id);
CREATE INDEX post_author_listing_idx ON post (author_id, sort_at, post_id, status, publish_at);
CREATE INDEX post_category_listing_idx ON post (category_id, sort_at, post_id, status, publish_at, author_id);
CREATE INDEX post_created_idx ON post (created_at, post_id);
CREATE INDEX post_updated_idx ON post (updated_at, post_id);
CREATE INDEX post_title_idx ON post (title, post_id);
CREATE INDEX post_scheduled_idx ON post (status, publish_at);
CREATE INDEX post_key_idx ON post (post_id, sort_at, status, publish_at, author_id, category_id);

CREATE TRIGGER post_fts_insert AFTER INSERT ON post BEGIN
    INSERT INTO post_fts (rowid, title, tags, body) VALUES (new.post_id, new.title, replace(new.tags, ',', ' '), new.body);
END;
CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN
    INSERT INTO post_fts (post_fts, rowid, title, tags, body)
    VALUES ('delete', old.post_id, old.title, replace(old.tags, ',', ' '), old.body);
END;
CREATE TRIGGER post_fts_update AFTER UPDATE OF title, tags, body ON post BEGIN
    INSERT INTO post_fts (post_fts, rowid, title, tags, body)
    VALUES ('delete', old.post_id, old.title, replace(old.tags, ',', ' '), old.body);
    INSERT INTO post_fts (rowid, title, tags, body) VALUES (new.post_id, new.title, replace(new.tags, ',', ' '), new.body);
END;

CREATE TRIGGER post_sort_at_insert AFTER INSERT ON post
WHEN new.sort_at IS NOT COALESCE(new.published_at, new.publish_at, new.created_at)
BEGIN
    UPDATE post SET sort_at = COALESCE(new.published_at, new.publish_at, new.created_at) WHERE post_id = new.post_id;
END;
CREATE TRIGGER post_sort_at_update AFTER UPDATE OF published_at, publish_at, created_at ON post
WHEN new.sort_at IS NOT COALESCE(new.published_at, new.publish_at, new.created_at)
BEGIN
    UPDATE post SET sort_at = COALESCE(new.published_at, new.publish_at, new.created_at) WHERE post_id = new.post_id;
END;

CREATE TRIGGER post_count_insert AFTER INSERT ON post BEGIN
    INSERT INTO post_count (scope, key, published, total) VALUES ('all', '', new.status = 'published', 1)
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
    INSERT INTO post_count (scope, key, published, total)
        VALUES ('author', CAST(new.author_id AS TEXT), new.status = 'published', 1)
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
    INSERT INTO post_count (scope, key, published, total)
        SELECT 'category', CAST(new.category_id AS TEXT), new.status = 'published', 1 WHERE new.category_id IS NOT NULL
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
END;
CREATE TRIGGER post_count_delete AFTER DELETE ON post BEGIN
    UPDATE post_count SET published = published - (old.status = 'published'), total = total - 1
    WHERE (scope = 'all' AND key = '')
       OR (scope = 'author' AND key = CAST(old.author_id AS TEXT))
       OR (scope = 'category' AND key = CAST(old.category_id AS TEXT));
END;
CREATE TRIGGER post_count_update AFTER UPDATE OF status, author_id, category_id ON post
WHEN old.status IS NOT new.status OR old.author_id IS NOT new.author_id OR old.category_id IS NOT new.category_id
BEGIN
    UPDATE post_count SET published = published - (old.status = 'published'), total = total - 1
    WHERE (scope = 'all' AND key = '')
       OR (scope = 'author' AND key = CAST(old.author_id AS TEXT))
       OR (scope = 'category' AND key = CAST(old.category_id AS TEXT));
    INSERT INTO post_count (scope, key, published, total) VALUES ('all', '', new.status = 'published', 1)
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
    INSERT INTO post_count (scope, key, published, total)
        VALUES ('author', CAST(new.author_id AS TEXT), new.status = 'published', 1)
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
    INSERT INTO post_count (scope, key, published, total)
        SELECT 'category', CAST(new.category_id AS TEXT), new.status = 'published', 1 WHERE new.category_id IS NOT NULL
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
END;

CREATE TRIGGER post_tag_follow AFTER UPDATE OF status, published_at, publish_at ON post
WHEN old.status IS NOT new.status
  OR COALESCE(old.published_at, old.publish_at, old.created_at) IS NOT COALESCE(new.published_at, new.publish_at, new.created_at)
BEGIN
    UPDATE post_tag SET published = (new.status = 'published'),
                        sort_at = COALESCE(new.published_at, new.publish_at, new.created_at)
    WHERE post_id = new.post_id;
END;
CREATE TRIGGER post_like_follow AFTER UPDATE OF sort_at ON post
WHEN old.sort_at IS NOT new.sort_at
BEGIN
    UPDATE post_like SET sort_at = new.sort_at WHERE post_id = new.post_id;
END;

COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
-- The rebuild went through the write-ahead log (7 GB at a million posts),
-- which keeps its size until truncated.
PRAGMA wal_checkpoint(TRUNCATE);
-- The dropped table took its planner statistics along; what the writer does
-- when it opens (bounded work), so plans at size do not wait for the hourly run.
PRAGMA optimize = 0x10002;
