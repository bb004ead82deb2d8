-- migrate:no-transaction
-- What the jobs API and the worker query. Built CONCURRENTLY (house style: never block writes on a
-- live queue); each statement is idempotent and the migrator rebuilds any left INVALID by a crash.

-- POST /jobs dedupe: at most one unfinished job per canonical URL. INSERT … ON CONFLICT against
-- this index makes two concurrent POSTs of the same URL create one job, with no lock held by the API.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS jobs_active_input_url_key ON jobs (input_url) WHERE state NOT IN ('completed', 'failed');

-- GET /jobs: newest first, keyset over (created_at, id); scanned backwards.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_created_id_idx ON jobs (created_at, id);

-- GET /jobs?state=…: the same order within one state.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_state_created_id_idx ON jobs (state, created_at, id);

-- The worker's stuck-claim sweep: only jobs somebody holds (claimed and not yet finished or released).
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_claimed_at_idx ON jobs (claimed_at) WHERE state NOT IN ('pending', 'completed', 'failed');
