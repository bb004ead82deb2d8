-- migrate:no-transaction
-- The five indices of the performance guide, built CONCURRENTLY so that applying this file to a
-- live database never blocks writes. Statements run one by one outside a transaction; each is
-- idempotent, and an INVALID index left by a crashed build is dropped and rebuilt by the migrator.

-- Worker job selection: WHERE state IN (...) ORDER BY priority, created_at.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_queue_ordering_idx ON jobs (state, priority, created_at);

-- The worker's hot path: only the jobs that can still be claimed.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_pending_idx ON jobs (created_at) WHERE state IN ('pending', 'downloading');

-- Authentication and admin lookups by email.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);

-- Quota checks and a user's event history, newest first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_user_created_idx ON events (user_id, created_at DESC);

-- "Sign out everywhere" and session management.
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_user_id_idx ON sessions (user_id);
