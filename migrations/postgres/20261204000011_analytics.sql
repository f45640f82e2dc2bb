-- Engagement analytics: per post and UTC day (`day` counts days since
-- 1970-01-01, the same integer on both databases). Written by additive
-- upserts (each instance flushes its own increments), so totals stay exact
-- across a fleet. No IP address, user agent or visitor key is ever stored.
CREATE TABLE post_daily_stats (
    post_id  BIGINT NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day      BIGINT NOT NULL,
    views    BIGINT NOT NULL DEFAULT 0,
    visitors BIGINT NOT NULL DEFAULT 0,
    likes    BIGINT NOT NULL DEFAULT 0,
    unlikes  BIGINT NOT NULL DEFAULT 0,
    comments BIGINT NOT NULL DEFAULT 0,
    shares   BIGINT NOT NULL DEFAULT 0,
    clicks   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day)
);
-- Range reports over every post (overview, export) read by day.
CREATE INDEX post_daily_stats_day_idx ON post_daily_stats (day, post_id);

-- Views by referring host (never the full URL); a closed day keeps its top 10.
CREATE TABLE post_daily_referrer (
    post_id BIGINT NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day     BIGINT NOT NULL,
    host    TEXT NOT NULL,
    views   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day, host)
);

-- Shares and clicks by the platform they came from.
CREATE TABLE post_daily_platform (
    post_id  BIGINT NOT NULL REFERENCES post (post_id) ON DELETE CASCADE,
    day      BIGINT NOT NULL,
    platform TEXT NOT NULL,
    shares   BIGINT NOT NULL DEFAULT 0,
    clicks   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, day, platform)
);
