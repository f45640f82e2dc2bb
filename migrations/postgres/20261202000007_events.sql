-- Domain events: the transactional outbox and the audit log.

-- Each event is written in the transaction of the change it describes, then
-- dispatched to in-process handlers (`dispatched_at`), and kept for the
-- retention period as the audit log. `event_id` is a UUIDv7, so it orders by
-- time and serves as the paging cursor. `actor_id` has no foreign key: the
-- audit trail outlives accounts.
CREATE TABLE event (
    event_id      TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    actor_id      BIGINT,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    post_id       BIGINT,
    payload       TEXT NOT NULL,
    origin        TEXT NOT NULL,
    dispatched_at TIMESTAMPTZ
);
CREATE INDEX event_pending_idx ON event (event_id) WHERE dispatched_at IS NULL;
CREATE INDEX event_type_idx ON event (event_type, event_id);
CREATE INDEX event_actor_idx ON event (actor_id, event_id);
CREATE INDEX event_subject_idx ON event (subject_type, subject_id, event_id);
CREATE INDEX event_post_idx ON event (post_id, event_id);
CREATE INDEX event_time_idx ON event (occurred_at);
