import type { PendingQuery, Row } from 'postgres'
import type { Sql } from '../../src/platform/db.ts'

// The truth about search_postings (sql/0011) and tier ranks, computed from segments without
// sql/0011's search_terms(): a suite that trusted search_terms would only check the triggers
// against themselves. Shared by test/search-tiers.test.ts and test/search-postings-crash.test.ts.

/** The longest pair stored, in bytes (a btree entry holds at most 2,704; a lexeme up to 2,047). */
export const MAX_PAIR_BYTES = 1000

/**
 * What search_postings must hold: every lexeme of text_tsv with tier min(#positions, 3), and
 * every pair of lexemes at adjacent positions ('a b', the two-word phrase term) of at most
 * MAX_PAIR_BYTES with tier min(#occurrences, 3).
 */
export function expectedPostings(sql: Sql) {
  const occurrences = sql`SELECT s.id, s.transcript_id, u.lexeme, p.pos FROM segments s, unnest(s.text_tsv) u, unnest(u.positions) AS p(pos)`
  return sql`
    SELECT u.lexeme AS term, least(array_length(u.positions, 1), 3)::smallint AS tier, s.id AS segment_id, s.transcript_id
    FROM segments s, unnest(s.text_tsv) u
    UNION ALL
    SELECT a.lexeme || ' ' || b.lexeme, least(count(*), 3)::smallint, a.id, a.transcript_id
    FROM (${occurrences}) a JOIN (${occurrences}) b ON b.id = a.id AND b.pos = a.pos + 1
    WHERE octet_length(a.lexeme) + 1 + octet_length(b.lexeme) <= ${MAX_PAIR_BYTES}
    GROUP BY a.id, a.transcript_id, a.lexeme, b.lexeme`
}

export type Posting = { term: string; tier: number; segment_id: string }

/**
 * The two sides of the postings invariant, as multiset differences both ways (EXCEPT ALL keeps
 * duplicates, so a posting stored twice shows up as `extra`), plus both sizes. One statement, so
 * one snapshot: it holds while writers run.
 */
export async function postingsAgainstSegments(sql: Sql) {
  const [row] = await sql<{ missing: Posting[] | null; extra: Posting[] | null; expected: number; actual: number }[]>`
    WITH e AS MATERIALIZED (${expectedPostings(sql)}),
         a AS MATERIALIZED (SELECT term, tier, segment_id, transcript_id FROM search_postings),
         missing AS (SELECT * FROM e EXCEPT ALL SELECT * FROM a),
         extra AS (SELECT * FROM a EXCEPT ALL SELECT * FROM e)
    SELECT (SELECT json_agg(m) FROM (SELECT term, tier, segment_id FROM missing ORDER BY 3, 1 LIMIT 20) m) AS missing,
           (SELECT json_agg(x) FROM (SELECT term, tier, segment_id FROM extra ORDER BY 3, 1 LIMIT 20) x) AS extra,
           (SELECT count(*) FROM e)::int AS expected, (SELECT count(*) FROM a)::int AS actual`
  return { missing: row?.missing ?? [], extra: row?.extra ?? [], expected: row?.expected ?? -1, actual: row?.actual ?? -2 }
}

/**
 * The tier rank of a tsvector (segment `s`'s text_tsv unless told another) for a query of these
 * terms (lexemes, or 'a b' pairs for a two-word phrase): each term it holds adds 9 + min(#occurrences, 3).
 */
export function termRank(sql: Sql, terms: readonly string[], tsv: PendingQuery<Row[]> = sql`s.text_tsv`) {
  return sql`(SELECT coalesce(sum(9 + least(x.n, 3)), 0) FROM (
      SELECT u.lexeme AS term, array_length(u.positions, 1) AS n FROM unnest(${tsv}) u
      UNION ALL
      SELECT a.lexeme || ' ' || b.lexeme, count(*) FROM unnest(${tsv}) a, unnest(a.positions) AS ap(pos), unnest(${tsv}) b, unnest(b.positions) AS bp(pos)
      WHERE bp.pos = ap.pos + 1 AND octet_length(a.lexeme) + 1 + octet_length(b.lexeme) <= ${MAX_PAIR_BYTES} GROUP BY 1
    ) x WHERE x.term = ANY(${terms as string[]}::text[]))::int`
}
