-- "Favourited by" as an index range in listing order: a like repeats its
-- post's listing key (as post_tag does), so the newest page of an account's
-- likes is read from (account_id, sort_at, post_id) and stops at the page,
-- instead of looking up and sorting every post the account ever liked.
ALTER TABLE post_like ADD COLUMN sort_at TEXT NOT NULL DEFAULT '';
UPDATE post_like SET sort_at = (SELECT p.sort_at FROM post p WHERE p.post_id = post_like.post_id);
-- Replaces (account_id, post_id): same prefix for the account's foreign key.
DROP INDEX post_like_account_idx;
CREATE INDEX post_like_listing_idx ON post_like (account_id, sort_at, post_id);

-- A post's likes follow its listing key (set by post_sort_at_insert/update).
CREATE TRIGGER post_like_follow AFTER UPDATE OF sort_at ON post
WHEN old.sort_at IS NOT new.sort_at
BEGIN
    UPDATE post_like SET sort_at = new.sort_at WHERE post_id = new.post_id;
END;
