-- The read model at scale: every listing is an index range in its own
-- order, and every count is a maintained number, never a scan.
--
-- `sort_at` is the listing key (drafts have no publication time and sort by
-- creation). The listing indexes carry what visibility needs (status,
-- publish_at, author_id), so a page, even at offset 10,000, is read from the
-- index alone.
ALTER TABLE post ADD COLUMN sort_at TIMESTAMPTZ
    GENERATED ALWAYS AS (COALESCE(published_at, publish_at, created_at)) STORED;
ALTER TABLE post ADD COLUMN like_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE post ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;

UPDATE post SET
    like_count = (SELECT COUNT(*) FROM post_like l WHERE l.post_id = post.post_id),
    comment_count = (SELECT COUNT(*) FROM comment m WHERE m.post_id = post.post_id AND NOT m.hidden);

DROP INDEX post_author_idx;
DROP INDEX post_category_idx;
DROP INDEX post_created_idx;
CREATE INDEX post_listing_idx ON post (sort_at, post_id) INCLUDE (status, publish_at, author_id);
CREATE INDEX post_author_listing_idx ON post (author_id, sort_at, post_id) INCLUDE (status, publish_at);
CREATE INDEX post_category_listing_idx ON post (category_id, sort_at, post_id) INCLUDE (status, publish_at, author_id);
CREATE INDEX post_created_idx ON post (created_at, post_id);
CREATE INDEX post_updated_idx ON post (updated_at, post_id);
CREATE INDEX post_title_idx ON post (title, post_id);
CREATE INDEX post_scheduled_idx ON post (status, publish_at);

-- post_tag repeats its post's listing key and whether it is published, so a
-- tag listing is a range of this table in order and tag counts follow
-- status changes without looking the post up.
ALTER TABLE post_tag ADD COLUMN sort_at TIMESTAMPTZ;
ALTER TABLE post_tag ADD COLUMN published BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE post_tag t SET sort_at = p.sort_at, published = (p.status = 'published')
    FROM post p WHERE p.post_id = t.post_id;
ALTER TABLE post_tag ALTER COLUMN sort_at SET NOT NULL;
DROP INDEX post_tag_tag_idx;
CREATE INDEX post_tag_listing_idx ON post_tag (tag, sort_at, post_id);

DROP INDEX post_like_account_idx;
CREATE INDEX post_like_account_idx ON post_like (account_id, post_id);

-- Maintained counts of posts per scope: ('all', ''), ('author', id),
-- ('category', id), ('tag', name). `published` counts published posts,
-- `total` posts in any state. Kept by the triggers below in the very
-- transaction that changes a post, a tag or a like, whatever the path
-- (API, CLI, cascading deletes). Rows are always locked in the same order
-- (all, author, category, tags) so concurrent writers queue, not deadlock.
CREATE TABLE post_count (
    scope     TEXT NOT NULL,
    key       TEXT NOT NULL,
    published BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX post_count_top_idx ON post_count (scope, published DESC, key);

INSERT INTO post_count (scope, key, published, total)
    SELECT 'all', '', COUNT(*) FILTER (WHERE status = 'published'), COUNT(*) FROM post;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'author', author_id::text, COUNT(*) FILTER (WHERE status = 'published'), COUNT(*) FROM post GROUP BY author_id;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'category', category_id::text, COUNT(*) FILTER (WHERE status = 'published'), COUNT(*) FROM post
    WHERE category_id IS NOT NULL GROUP BY category_id;
INSERT INTO post_count (scope, key, published, total)
    SELECT 'tag', tag, COUNT(*) FILTER (WHERE published), COUNT(*) FROM post_tag GROUP BY tag;

CREATE FUNCTION post_count_add(p_scope TEXT, p_key TEXT, p_published BIGINT, p_total BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO post_count (scope, key, published, total) VALUES (p_scope, p_key, p_published, p_total)
    ON CONFLICT (scope, key) DO UPDATE
        SET published = post_count.published + excluded.published, total = post_count.total + excluded.total;
$$;

CREATE FUNCTION post_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM post_count_add('all', '', (NEW.status = 'published')::int, 1);
        PERFORM post_count_add('author', NEW.author_id::text, (NEW.status = 'published')::int, 1);
        IF NEW.category_id IS NOT NULL THEN
            PERFORM post_count_add('category', NEW.category_id::text, (NEW.status = 'published')::int, 1);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM post_count_add('all', '', -(OLD.status = 'published')::int, -1);
        PERFORM post_count_add('author', OLD.author_id::text, -(OLD.status = 'published')::int, -1);
        IF OLD.category_id IS NOT NULL THEN
            PERFORM post_count_add('category', OLD.category_id::text, -(OLD.status = 'published')::int, -1);
        END IF;
    ELSE
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            PERFORM post_count_add('all', '', (NEW.status = 'published')::int - (OLD.status = 'published')::int, 0);
        END IF;
        IF OLD.status IS DISTINCT FROM NEW.status OR OLD.author_id IS DISTINCT FROM NEW.author_id THEN
            PERFORM post_count_add('author', OLD.author_id::text, -(OLD.status = 'published')::int, -1);
            PERFORM post_count_add('author', NEW.author_id::text, (NEW.status = 'published')::int, 1);
        END IF;
        IF OLD.status IS DISTINCT FROM NEW.status OR OLD.category_id IS DISTINCT FROM NEW.category_id THEN
            IF OLD.category_id IS NOT NULL THEN
                PERFORM post_count_add('category', OLD.category_id::text, -(OLD.status = 'published')::int, -1);
            END IF;
            IF NEW.category_id IS NOT NULL THEN
                PERFORM post_count_add('category', NEW.category_id::text, (NEW.status = 'published')::int, 1);
            END IF;
        END IF;
        IF OLD.status IS DISTINCT FROM NEW.status OR OLD.sort_at IS DISTINCT FROM NEW.sort_at THEN
            UPDATE post_tag SET published = (NEW.status = 'published'), sort_at = NEW.sort_at
            WHERE post_id = NEW.post_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER post_count_insert_delete AFTER INSERT OR DELETE ON post
    FOR EACH ROW EXECUTE FUNCTION post_count_track();
CREATE TRIGGER post_count_update AFTER UPDATE OF status, author_id, category_id, published_at, publish_at ON post
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.author_id IS DISTINCT FROM NEW.author_id
          OR OLD.category_id IS DISTINCT FROM NEW.category_id OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.publish_at IS DISTINCT FROM NEW.publish_at)
    EXECUTE FUNCTION post_count_track();

CREATE FUNCTION post_tag_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM post_count_add('tag', NEW.tag, NEW.published::int, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM post_count_add('tag', OLD.tag, -(OLD.published::int), -1);
    ELSIF OLD.published IS DISTINCT FROM NEW.published THEN
        PERFORM post_count_add('tag', NEW.tag, NEW.published::int - OLD.published::int, 0);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER post_tag_count AFTER INSERT OR DELETE OR UPDATE OF published ON post_tag
    FOR EACH ROW EXECUTE FUNCTION post_tag_count_track();

CREATE FUNCTION post_like_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE post SET like_count = like_count + 1 WHERE post_id = NEW.post_id;
    ELSE
        UPDATE post SET like_count = like_count - 1 WHERE post_id = OLD.post_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER post_like_count AFTER INSERT OR DELETE ON post_like
    FOR EACH ROW EXECUTE FUNCTION post_like_count_track();

CREATE FUNCTION comment_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT NEW.hidden THEN
            UPDATE post SET comment_count = comment_count + 1 WHERE post_id = NEW.post_id;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT OLD.hidden THEN
            UPDATE post SET comment_count = comment_count - 1 WHERE post_id = OLD.post_id;
        END IF;
    ELSIF OLD.hidden IS DISTINCT FROM NEW.hidden THEN
        UPDATE post SET comment_count = comment_count + (NOT NEW.hidden)::int - (NOT OLD.hidden)::int
        WHERE post_id = NEW.post_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER comment_count AFTER INSERT OR DELETE OR UPDATE OF hidden ON comment
    FOR EACH ROW EXECUTE FUNCTION comment_count_track();
