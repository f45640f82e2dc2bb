-- The read model at scale: every listing is an index range in its own
-- order, and every count is a maintained number, never a scan.
--
-- `sort_at` is the listing key (drafts have no publication time and sort by
-- creation). The listing indexes carry what visibility needs (status,
-- publish_at, author_id), so a page, even at offset 10,000, is read from the
-- index alone. It is a real column kept by triggers, not a VIRTUAL generated
-- one: SQLite cannot read a virtual column from an index, and reading it from
-- the row means walking the body's overflow pages.
ALTER TABLE post ADD COLUMN sort_at TEXT NOT NULL DEFAULT '';
UPDATE post SET sort_at = COALESCE(published_at, publish_at, created_at);
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
ALTER TABLE post ADD COLUMN like_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE post ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;

UPDATE post SET
    like_count = (SELECT COUNT(*) FROM post_like l WHERE l.post_id = post.post_id),
    comment_count = (SELECT COUNT(*) FROM comment m WHERE m.post_id = post.post_id AND m.hidden = 0);

DROP INDEX post_author_idx;
DROP INDEX post_category_idx;
DROP INDEX post_created_idx;
CREATE INDEX post_listing_idx ON post (sort_at, post_id, status, publish_at, author_id);
CREATE INDEX post_author_listing_idx ON post (author_id, sort_at, post_id, status, publish_at);
CREATE INDEX post_category_listing_idx ON post (category_id, sort_at, post_id, status, publish_at, author_id);
CREATE INDEX post_created_idx ON post (created_at, post_id);
CREATE INDEX post_updated_idx ON post (updated_at, post_id);
CREATE INDEX post_title_idx ON post (title, post_id);
CREATE INDEX post_scheduled_idx ON post (status, publish_at);
-- Looked up by id, it answers what a tag listing, a search or the feed checks
-- of each candidate (listing key, visibility, author, category) without
-- reading the row, whose later columns sit behind the body's overflow pages.
CREATE INDEX post_key_idx ON post (post_id, sort_at, status, publish_at, author_id, category_id);

-- post_tag repeats its post's listing key and whether it is published, so a
-- tag listing is a range of this table in order and tag counts follow
-- status changes without looking the post up.
ALTER TABLE post_tag ADD COLUMN sort_at TEXT NOT NULL DEFAULT '';
ALTER TABLE post_tag ADD COLUMN published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1));
UPDATE post_tag SET
    sort_at = (SELECT p.sort_at FROM post p WHERE p.post_id = post_tag.post_id),
    published = (SELECT p.status = 'published' FROM post p WHERE p.post_id = post_tag.post_id);
DROP INDEX post_tag_tag_idx;
CREATE INDEX post_tag_listing_idx ON post_tag (tag, sort_at, post_id);

-- Likes by account, newest first, for "favourited by".
DROP INDEX post_like_account_idx;
CREATE INDEX post_like_account_idx ON post_like (account_id, post_id);

-- Maintained counts of posts per scope: ('all', ''), ('author', id),
-- ('category', id), ('tag', name). `published` counts published posts,
-- `total` posts in any state. Kept by the triggers below in the very
-- transaction that changes a post, a tag or a like, whatever the path
-- (API, CLI, cascading deletes).
CREATE TABLE post_count (
    scope     TEXT NOT NULL,
    key       TEXT NOT NULL,
    published INTEGER NOT NULL,
    total     INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX post_count_top_idx ON post_count (scope, published DESC, key);

INSERT INTO post_count (scope, key, published, total)
    SELECT 'all', '', COALESCE(SUM(status = 'published'), 0), COUNT(*) FROM post;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'author', CAST(author_id AS TEXT), SUM(status = 'published'), COUNT(*) FROM post GROUP BY author_id;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'category', CAST(category_id AS TEXT), SUM(status = 'published'), COUNT(*) FROM post
    WHERE category_id IS NOT NULL GROUP BY category_id;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'tag', tag, SUM(published), COUNT(*) FROM post_tag GROUP BY tag;

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

-- A post's tag rows follow its status and listing key.
CREATE TRIGGER post_tag_follow AFTER UPDATE OF status, published_at, publish_at ON post
WHEN old.status IS NOT new.status
  OR COALESCE(old.published_at, old.publish_at, old.created_at) IS NOT COALESCE(new.published_at, new.publish_at, new.created_at)
BEGIN
    UPDATE post_tag SET published = (new.status = 'published'),
                        sort_at = COALESCE(new.published_at, new.publish_at, new.created_at)
    WHERE post_id = new.post_id;
END;

CREATE TRIGGER post_tag_count_insert AFTER INSERT ON post_tag BEGIN
    INSERT INTO post_count (scope, key, published, total) VALUES ('tag', new.tag, new.published, 1)
        ON CONFLICT (scope, key) DO UPDATE SET published = published + excluded.published, total = total + 1;
END;

CREATE TRIGGER post_tag_count_delete AFTER DELETE ON post_tag BEGIN
    UPDATE post_count SET published = published - old.published, total = total - 1
    WHERE scope = 'tag' AND key = old.tag;
END;

CREATE TRIGGER post_tag_count_update AFTER UPDATE OF published ON post_tag
WHEN old.published IS NOT new.published
BEGIN
    UPDATE post_count SET published = published + new.published - old.published
    WHERE scope = 'tag' AND key = new.tag;
END;

-- Likes and visible comments per post.
CREATE TRIGGER post_like_count_insert AFTER INSERT ON post_like BEGIN
    UPDATE post SET like_count = like_count + 1 WHERE post_id = new.post_id;
END;
CREATE TRIGGER post_like_count_delete AFTER DELETE ON post_like BEGIN
    UPDATE post SET like_count = like_count - 1 WHERE post_id = old.post_id;
END;
CREATE TRIGGER comment_count_insert AFTER INSERT ON comment WHEN new.hidden = 0 BEGIN
    UPDATE post SET comment_count = comment_count + 1 WHERE post_id = new.post_id;
END;
CREATE TRIGGER comment_count_delete AFTER DELETE ON comment WHEN old.hidden = 0 BEGIN
    UPDATE post SET comment_count = comment_count - 1 WHERE post_id = old.post_id;
END;
CREATE TRIGGER comment_count_update AFTER UPDATE OF hidden ON comment WHEN old.hidden IS NOT new.hidden BEGIN
    UPDATE post SET comment_count = comment_count + (new.hidden = 0) - (old.hidden = 0) WHERE post_id = new.post_id;
END;
