-- migrate:no-transaction
-- Keyset pagination of GET /videos: one index per list shape, each returning rows already in
-- (sort key DESC, id DESC) order, so a page reads LIMIT + 1 index entries whatever the page.
-- Built CONCURRENTLY (no write lock on a live table); every statement is idempotent.
-- Already covered by constraints: segments (transcript_id, idx) by its UNIQUE, which serves
-- transcript reads in order; transcripts (video_id, source) by its UNIQUE.

-- Default sort: newest added first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_created_at_id_idx ON videos (created_at DESC, id DESC);

-- sort=uploaded_at. Videos with no upload date sort as '-infinity' (after every dated one): the
-- key is never NULL, so the keyset comparison (key, id) < (…) is total. Queries must use this exact expression.
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_uploaded_at_id_idx ON videos ((coalesce(uploaded_at, '-infinity'::timestamptz)) DESC, id DESC);

-- Filtered lists: the equality column first, then the sort key, so the filter and the keyset
-- position are both index conditions. A channel is browsed by either sort.
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_channel_created_at_idx ON videos (channel_name, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_channel_uploaded_at_idx ON videos (channel_name, (coalesce(uploaded_at, '-infinity'::timestamptz)) DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_language_created_at_idx ON videos (language, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_category_created_at_idx ON videos (category, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS videos_state_created_at_idx ON videos (state, created_at DESC, id DESC);
