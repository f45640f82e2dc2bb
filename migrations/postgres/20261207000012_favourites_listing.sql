-- "Favourited by" as an index range in listing order: a like repeats its
-- post's listing key (as post_tag does), so the newest page of an account's
-- likes is read from (account_id, sort_at, post_id) and stops at the page,
-- instead of looking up and sorting every post the account ever liked.
ALTER TABLE post_like ADD COLUMN sort_at TIMESTAMPTZ;
UPDATE post_like l SET sort_at = p.sort_at FROM post p WHERE p.post_id = l.post_id;
ALTER TABLE post_like ALTER COLUMN sort_at SET NOT NULL;
-- Replaces (account_id, post_id): same prefix for the account's foreign key.
DROP INDEX post_like_account_idx;
CREATE INDEX post_like_listing_idx ON post_like (account_id, sort_at, post_id);

-- A post's likes follow its (generated) listing key.
CREATE FUNCTION post_like_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_like SET sort_at = NEW.sort_at WHERE post_id = NEW.post_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER post_like_follow AFTER UPDATE OF published_at, publish_at ON post
    FOR EACH ROW WHEN (OLD.sort_at IS DISTINCT FROM NEW.sort_at)
    EXECUTE FUNCTION post_like_follow();
