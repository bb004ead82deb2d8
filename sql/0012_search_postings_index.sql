-- migrate:no-transaction
-- The order a tier list is read in: (term, tier, segment id), with the transcript for filters, so a
-- search reads the index only (autovacuum keeps the visibility map of this insert-mostly table).
-- Built CONCURRENTLY: on a live database with millions of segments this takes about a minute.
CREATE INDEX CONCURRENTLY IF NOT EXISTS search_postings_order_idx ON search_postings (term, tier, segment_id) INCLUDE (transcript_id);
