-- migrate:no-transaction
-- What accounts query: quotas, usage, favorites, API keys and the admin lists. Built CONCURRENTLY
-- (house style: never block writes on a live table); each statement is idempotent.

-- The export quota and today's usage: one user's events of one type since midnight UTC, counted
-- from the index alone. events_user_created_idx (0002) would read every event type of the day.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_user_type_created_idx ON events (user_id, type, created_at);

-- GET /admin/events is keyset-paginated over id (newest first); these serve its two filters.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_user_id_idx ON events (user_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_type_id_idx ON events (type, id);

-- GET /favorites: one user's favorites, newest first, keyset over (created_at, id).
CREATE INDEX CONCURRENTLY IF NOT EXISTS favorites_user_created_idx ON favorites (user_id, created_at DESC, id DESC);

-- GET /admin/users: newest first, keyset over (created_at, id); the email filter uses users_email_idx (0002).
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_id_idx ON users (created_at DESC, id DESC);

-- GET /auth/api-keys and `users revoke-keys`: one user's keys.
CREATE INDEX CONCURRENTLY IF NOT EXISTS api_keys_user_id_idx ON api_keys (user_id, created_at DESC);
