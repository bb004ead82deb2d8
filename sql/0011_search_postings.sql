-- Ordered postings for search: one row per (term, segment), in the order a term's top page is read.
--
-- The GIN index finds a common word's matches quickly, but ranking them reads every match's heap
-- row (a word in 4% of 5M segments is 200k random heap reads), so a search's cost grew with the
-- corpus. Here each term's segments are kept sorted by how often the segment says it (tier 1, 2,
-- or 3 for three times or more) and then by id: the top page of a word, a phrase, or an OR of
-- them is read from the front of a few tier lists and stops after one page (see
-- src/modules/search/tiers.ts).
--
-- A term is a lexeme, or two lexemes at adjacent positions ('go get', joined by a space, which no
-- lexeme holds): the pairs make a two-word phrase one list, as Elasticsearch's index_phrases does.
--
-- Statement-level triggers keep the table equal to search_terms(text_tsv) of every segment, in
-- the same transaction as the write; transcript_id rides along so filters need no segment read.
CREATE TABLE search_postings (
  term          text NOT NULL,
  tier          smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
  segment_id    bigint NOT NULL,
  transcript_id uuid NOT NULL
);

-- The terms of a segment's text_tsv with their tiers: each lexeme, and each pair of lexemes one
-- position apart (the phrase operator's <->), counted by occurrences. A pair of long words (over
-- 1,000 bytes together; a lexeme may have 2,047) is left out, as a btree entry holds at most 2,704
-- bytes: src/modules/search/tiers.ts (MAX_PAIR_BYTES) checks such a phrase on the segment row.
CREATE FUNCTION search_terms(v tsvector) RETURNS TABLE (term text, tier smallint) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT u.lexeme, least(coalesce(array_length(u.positions, 1), 1), 3)::smallint FROM unnest(v) u
  UNION ALL
  SELECT a.lexeme || ' ' || b.lexeme, least(count(*), 3)::smallint
  FROM unnest(v) a, unnest(a.positions) AS ap(pos), unnest(v) b, unnest(b.positions) AS bp(pos)
  WHERE bp.pos = ap.pos + 1 AND octet_length(a.lexeme) + 1 + octet_length(b.lexeme) <= 1000
  GROUP BY a.lexeme, b.lexeme
$$;

-- One function for the three write triggers: each names only the transition tables its operation
-- has, and PL/pgSQL plans a statement only when it first runs it.
CREATE FUNCTION search_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM search_postings p USING removed_segments o, search_terms(o.text_tsv) t
    WHERE p.term = t.term AND p.tier = t.tier AND p.segment_id = o.id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO search_postings (term, tier, segment_id, transcript_id)
    SELECT t.term, t.tier, n.id, n.transcript_id FROM added_segments n, search_terms(n.text_tsv) t;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION search_postings_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE search_postings;
  RETURN NULL;
END $$;

CREATE TRIGGER segments_postings_add AFTER INSERT ON segments
  REFERENCING NEW TABLE AS added_segments FOR EACH STATEMENT EXECUTE FUNCTION search_postings_sync();
CREATE TRIGGER segments_postings_remove AFTER DELETE ON segments
  REFERENCING OLD TABLE AS removed_segments FOR EACH STATEMENT EXECUTE FUNCTION search_postings_sync();
CREATE TRIGGER segments_postings_replace AFTER UPDATE ON segments
  REFERENCING OLD TABLE AS removed_segments NEW TABLE AS added_segments FOR EACH STATEMENT EXECUTE FUNCTION search_postings_sync();
CREATE TRIGGER segments_postings_clear AFTER TRUNCATE ON segments
  FOR EACH STATEMENT EXECUTE FUNCTION search_postings_clear();

-- Existing segments: writes wait (SHARE lock) so none lands between this copy and the triggers
-- taking over at commit. A few minutes for 5M segments.
LOCK TABLE segments IN SHARE MODE;
INSERT INTO search_postings (term, tier, segment_id, transcript_id)
SELECT t.term, t.tier, s.id, s.transcript_id FROM segments s, search_terms(s.text_tsv) t;

-- Searches read the index only where the visibility map says a page is all visible, which takes
-- a vacuum: by default autovacuum waits for inserts of 20% of the table (8M rows at 5M segments),
-- here 1% (about 500 transcripts of 100 segments at that size).
ALTER TABLE search_postings SET (autovacuum_vacuum_insert_scale_factor = 0.01);

-- The planner picks which tier list drives a combination by its size: per-(term, tier) counts,
-- gathered now so the first searches after the backfill are planned on them.
CREATE STATISTICS search_postings_tier_counts (mcv) ON term, tier FROM search_postings;
ANALYZE search_postings;
