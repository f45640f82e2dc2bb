-- Content: posts with their workflow, revisions, tags and categories;
-- comments, likes and follows; and the full-text index.

CREATE TABLE category (
    category_id INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- `tags` repeats post_tag as a comma-separated list so that reading a post
-- needs no join; post_tag serves filtering and counting. Both are written in
-- the same transaction. `version` is bumped by every change (ETag / If-Match).
CREATE TABLE post (
    post_id       INTEGER PRIMARY KEY,
    author_id     INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    excerpt       TEXT NOT NULL,
    excerpt_given INTEGER NOT NULL CHECK (excerpt_given IN (0, 1)),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published', 'archived')),
    publish_at    TEXT,
    published_at  TEXT,
    category_id   INTEGER REFERENCES category (category_id) ON DELETE SET NULL,
    tags          TEXT NOT NULL,
    platforms     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX post_author_idx ON post (author_id);
CREATE INDEX post_status_published_idx ON post (status, published_at);
CREATE INDEX post_created_idx ON post (created_at);
CREATE INDEX post_category_idx ON post (category_id);

CREATE TABLE post_tag (
    post_id INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
) STRICT;
CREATE INDEX post_tag_tag_idx ON post_tag (tag);

-- Slugs a post had before; requests for them are redirected (301).
CREATE TABLE post_slug_history (
    slug    TEXT PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE post_revision (
    post_id     INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    revision_no INTEGER NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    editor_id   INTEGER REFERENCES account (account_id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (post_id, revision_no)
) STRICT;

CREATE TABLE post_like (
    post_id    INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
) STRICT;
CREATE INDEX post_like_account_idx ON post_like (account_id);

CREATE TABLE follow (
    follower_id INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    followee_id INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) STRICT;
CREATE INDEX follow_followee_idx ON follow (followee_id);

CREATE TABLE comment (
    comment_id INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES account (account_id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES comment (comment_id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX comment_post_idx ON comment (post_id, comment_id);

-- Full-text index over title, tags and body, kept in step with `post` by
-- triggers, i.e. inside the very transaction that writes the post.
CREATE VIRTUAL TABLE post_fts USING fts5 (
    title, tags, body,
    content = 'post', content_rowid = 'post_id',
    tokenize = 'unicode61 remove_diacritics 2'
);
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
