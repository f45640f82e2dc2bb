-- "Favourited by" counted from the likes alone: a like repeats whether its
-- post is published (as post_tag does), and the listing index carries it, so
-- RealWorld's articlesCount for `favorited=` is an index-only range of the
-- account's likes instead of a post lookup per like.
ALTER TABLE post_like ADD COLUMN published BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE post_like l SET published = TRUE FROM post p WHERE p.post_id = l.post_id AND p.status = 'published';
DROP INDEX post_like_listing_idx;
CREATE INDEX post_like_listing_idx ON post_like (account_id, sort_at, post_id) INCLUDE (published);

-- A post's likes follow whether it is published.
CREATE FUNCTION post_like_published_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_like SET published = (NEW.status = 'published') WHERE post_id = NEW.post_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER post_like_published_follow AFTER UPDATE OF status ON post
    FOR EACH ROW WHEN ((OLD.status = 'published') IS DISTINCT FROM (NEW.status = 'published'))
    EXECUTE FUNCTION post_like_published_follow();
