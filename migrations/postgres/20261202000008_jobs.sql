-- The durable job queue.

-- A job runs when `run_at` has come and it is `queued` (or `failed`, to be
-- retried); a `running` job whose lease ran out is claimable again (its
-- worker died). `unique_key` allows at most one live job per key (one
-- scheduled publication, one pending analysis per post).
CREATE TABLE job (
    job_id       BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    priority     BIGINT NOT NULL CHECK (priority BETWEEN 0 AND 3),
    state        TEXT NOT NULL
                 CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    last_error   TEXT,
    lease_until  TIMESTAMPTZ,
    worker       TEXT,
    unique_key   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX job_due_idx ON job (priority, run_at) WHERE state IN ('queued', 'failed');
CREATE INDEX job_lease_idx ON job (lease_until) WHERE state = 'running';
CREATE UNIQUE INDEX job_live_key_idx ON job (unique_key) WHERE state IN ('queued', 'running', 'failed');
CREATE INDEX job_state_idx ON job (state, job_id);
CREATE INDEX job_kind_idx ON job (kind, job_id);

-- Posts scheduled before the queue existed get their publication job.
INSERT INTO job (kind, payload, priority, state, run_at, max_attempts, unique_key, created_at, updated_at)
SELECT 'publish_post', '{"post_id":' || post_id || '}', 0, 'queued', publish_at, 10,
       'publish_post:' || post_id, updated_at, updated_at
FROM post WHERE status = 'scheduled' AND publish_at IS NOT NULL;
