-- Engagement analytics: per post and UTC day (`day` counts days since
-- 1970-01-01, the same integer on both databases). Written by additive
-- upserts (each instance flushes its own increments), so totals stay exact
-- across a fleet. No IP address, user agent or visitor key is ever stored.
CREATE TABLE post_daily_stats (
    post_id  INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day      INTEGER NOT NULL,
    views    INTEGER NOT NULL DEFAULT 0,
    visitors INTEGER NOT NULL DEFAULT 0,
    likes    INTEGER NOT NULL DEFAULT 0,
    unlikes  INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    shares   INTEGER NOT NULL DEFAULT 0,
    clicks   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day)
) STRICT;
-- Range reports over every post (overview, export) read by day.
CREATE INDEX post_daily_stats_day_idx ON post_daily_stats (day, post_id);

-- Views by referring host (never the full URL); a closed day keeps its top 10.
CREATE TABLE post_daily_referrer (
    post_id INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day     INTEGER NOT NULL,
    host    TEXT NOT NULL,
    views   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day, host)
) STRICT;

-- Shares and clicks by the platform they came from.
CREATE TABLE post_daily_platform (
    post_id  INTEGER NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day      INTEGER NOT NULL,
    platform TEXT NOT NULL,
    shares   INTEGER NOT NULL DEFAULT 0,
    clicks   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day, platform)
) STRICT;
