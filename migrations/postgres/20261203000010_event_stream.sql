-- The order events are streamed in: the SSE change feed and the NATS fan-out.

-- `seq` is given when an event is dispatched, under one lock, so it grows in
-- the order events become visible: a reader that has seen seq N has seen
-- every event before it (an event's UUIDv7 is taken before its transaction
-- commits, so ids alone can appear out of order). Events dispatched before
-- this migration are numbered in id order.
ALTER TABLE event ADD COLUMN seq BIGINT;
UPDATE event SET seq = numbered.n
FROM (SELECT event_id, ROW_NUMBER() OVER (ORDER BY event_id) AS n FROM event WHERE dispatched_at IS NOT NULL)
    AS numbered
WHERE event.event_id = numbered.event_id;
CREATE UNIQUE INDEX event_seq_idx ON event (seq) WHERE seq IS NOT NULL;

-- How far a consumer outside the database (the NATS fan-out) has got.
CREATE TABLE stream_cursor (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
