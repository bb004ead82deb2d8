import type { PendingQuery, Row, TransactionSql } from 'postgres'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import type { SearchHit, SearchResponse } from './model.ts'
import { filterConditions, needsVideo } from './filters.ts'
import type { SearchParams } from './params.ts'
import { rankByTiers, type RunStatement, tierSearchOf } from './tiers.ts'

// Full-text search over transcript segments, one page at a time.
//
// A word, a phrase, or an OR of them of up to 3 terms (with or without exclusions and filters other
// than video_id) is ranked by tiers from ordered postings (tiers.ts): its cost is the page, not
// the matches. Every other query (AND, longer ORs, one video) goes the GIN way described here.
//
// The cost of a GIN search is ranking: a common word matches tens of thousands of the 1M segments,
// and every match must be ranked to know the top page exactly (results are never cut to a
// sample). So the query works in two steps:
//   1. rank: the GIN index (segments_text_tsv_idx) finds the matches, each is ranked from its
//      text_tsv (read from the heap once), and only (id, rank) of the top limit + 1 survive;
//   2. present: only those rows are joined to their transcript and video and get a ts_headline
//      snippet (ts_headline re-parses the text, far too slow to run on every match).
// The rank is ts_rank without length normalisation (segments are all a sentence or two long):
// measured on the 1M-segment seed it ranks 1.3-2.4x faster than ts_rank_cd, whose cover-density
// walk is costliest on exactly the broad OR queries that match the most rows.
// Order is rank DESC, id ASC; the cursor holds the last hit's exact rank (real, as Postgres's
// shortest exact text) and id, compared with the very same real expression, so pages never skip
// or repeat a hit however many ranks tie.

const HEADLINE_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxFragments=1, MaxWords=20, MinWords=8'

/** A hit as the query returns it: ids and ranks also as exact text, for the cursor. */
interface HitRow extends Omit<SearchHit, 'segment_id'> {
  id_key: string
  rank_key: string
}

/**
 * Per-transaction planner settings (SET LOCAL through set_config(..., true): gone at COMMIT).
 * - plan_cache_mode: postgres.js prepares statements; a generic plan would not see the tsquery,
 *   so it could not estimate how many segments match (a rare word and a common one need
 *   different plans when a filter is present). Planning costs well under a millisecond.
 * - jit: a common word's plan can cost enough to trigger JIT, whose compile time exceeds any gain.
 * - max_parallel_workers_per_gather: on the 2-core benchmark machine a parallel bitmap heap scan
 *   of a common word was 1.5-2x slower than a serial one when the heap does not fit in
 *   shared_buffers (the workers fight over buffer eviction), and no faster when it does; the API
 *   serves concurrent requests anyway.
 * - work_mem: the bitmap of a common word needs about 2MB at 1M segments; 32MB keeps it exact
 *   (a lossy bitmap rechecks @@ on every row of its pages) as the table grows.
 * - extra_float_digits: > 0 makes real::text the shortest exact form, which the cursor relies on.
 */
const SETTINGS_SQL = `SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true),
  set_config('max_parallel_workers_per_gather', '0', true), set_config('work_mem', '32MB', true),
  set_config('extra_float_digits', '1', true)`

/**
 * One snapshot for all of a search's statements (a tier search reads level by level, then the
 * page): a segment rewritten meanwhile can neither show twice nor be missed.
 */
const SNAPSHOT = 'isolation level repeatable read read only'

export async function searchSegments(sql: Sql, p: SearchParams): Promise<SearchResponse> {
  const started = performance.now()
  const rows = await sql.begin(SNAPSHOT, async (tx) => {
    const { page } = await statements(tx, p, async (statement) => await statement)
    return await page
  })
  const queryTimeMs = Math.round((performance.now() - started) * 100) / 100
  const page = toPage(p.cursors, rows, p.limit, p.scope, (r) => [r.rank_key, r.id_key], toHit)
  return { ...page, query_time_ms: queryTimeMs }
}

/** How a search is ranked: from the tier lists (tiers.ts) or through the GIN index. */
export type SearchPath = 'tiers' | 'gin'

/**
 * The plans of a search's statements, under the same settings (tests pin their shape; the
 * benchmark prints them): one per tier level read, then the page's.
 */
export async function explainSearch(sql: Sql, p: SearchParams, options: { analyze?: boolean } = {}): Promise<{ path: SearchPath; plans: unknown[] }> {
  const explain = options.analyze ? 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)' : 'EXPLAIN (FORMAT JSON)'
  return sql.begin(SNAPSHOT, async (tx) => {
    const plans: unknown[] = []
    const explained = async <T extends readonly object[]>(query: PendingQuery<T>) => {
      const [row] = await tx`${tx.unsafe(explain)} ${query}`
      plans.push(row?.['QUERY PLAN'])
    }
    // A tier level's ids decide the next statement, so each is explained, then run for real.
    const { path, page } = await statements(tx, p, async (statement) => {
      await explained(statement)
      return await statement
    })
    await explained(page)
    return { path, plans }
  })
}

/**
 * Runs the settings and, for a tier search, its levels (through `run`); returns the statement
 * that makes the page, not yet run: from the ranked ids, or the whole GIN search.
 */
async function statements(tx: TransactionSql, p: SearchParams, run: RunStatement): Promise<{ path: SearchPath; page: PendingQuery<HitRow[]> }> {
  const [, [shape]] = await Promise.all([
    tx.unsafe(SETTINGS_SQL),
    tx<{ positive: string; full: string }[]>`SELECT querytree(q) AS positive, q::text AS full FROM websearch_to_tsquery('english', ${p.q}) q`,
  ])
  const tiers = shape ? tierSearchOf(shape, p) : undefined
  if (!tiers) return { path: 'gin', page: pageQuery(tx, p, rankedIds(tx, p)) }
  const ranked = await rankByTiers(tx, p, tiers, run)
  const ids = tx`SELECT * FROM unnest(${ranked.map((r) => r.id)}::bigint[], ${ranked.map((r) => r.rank)}::real[]) AS h(id, rank)`
  return { path: 'tiers', page: pageQuery(tx, p, ids) }
}

/** Step 2 around step 1: the page's hits with their video, transcript source and snippet. */
function pageQuery(tx: TransactionSql, p: SearchParams, ranked: PendingQuery<Row[]>) {
  return tx<HitRow[]>`
    SELECT h.id::text AS id_key, h.rank::text AS rank_key, h.rank,
           s.video_id, v.youtube_id, v.title, v.channel_name, t.source, s.start_ms, s.end_ms,
           ts_headline('english', s.text, query, ${HEADLINE_OPTIONS}) AS snippet
    FROM (${ranked}) h
    JOIN segments s ON s.id = h.id
    JOIN transcripts t ON t.id = s.transcript_id
    JOIN videos v ON v.id = s.video_id
    CROSS JOIN websearch_to_tsquery('english', ${p.q}) query
    ORDER BY h.rank DESC, h.id`
}

/**
 * Step 1: (id, rank) of the top limit + 1 matches after the cursor. Joins only what the filters
 * need, and reads nothing but ids and text_tsv from the matching segments.
 */
function rankedIds(sql: TransactionSql, p: SearchParams) {
  const needTranscript = p.source !== undefined || p.videoId !== undefined
  const needVideo = needsVideo(p)
  const q = sql`websearch_to_tsquery('english', ${p.q})`
  // Ranked on the query's positive part (querytree drops the exclusions): an excluded word is
  // absent from every hit, so it cannot tell hits apart, and ts_rank would score every hit of
  // `a -b` the same 1e-20. Immutable functions of a constant: folded once at plan time.
  const rankQuery = sql`querytree(${q})::tsquery`
  // OFFSET 0 keeps the subquery from being flattened: the cursor's test then reads the rank
  // computed once per row instead of evaluating ts_rank a second time in the WHERE clause.
  const ranked = sql`
    SELECT s.id, ts_rank(s.text_tsv, ${rankQuery}) AS rank
    FROM segments s
    ${needTranscript ? sql`JOIN transcripts t ON t.id = s.transcript_id` : sql``}
    ${needVideo ? sql`JOIN videos v ON v.id = s.video_id` : sql``}
    WHERE s.text_tsv @@ ${q}
      -- Only exclusions (-word, or "a or -b") would match nearly every segment through a full
      -- index scan: such a query has no hits, like one made only of stop words.
      AND querytree(${q}) <> 'T'
      ${p.videoId !== undefined ? sql`AND t.video_id = ${p.videoId}::uuid` : sql``}
      ${filterConditions(sql, p)}
    ${p.after ? sql`OFFSET 0` : sql``}`
  if (!p.after) return sql`${ranked} ORDER BY rank DESC, s.id LIMIT ${p.limit + 1}`
  return sql`
    SELECT c.id, c.rank FROM (${ranked}) c
    WHERE c.rank < ${p.after.rank}::real OR (c.rank = ${p.after.rank}::real AND c.id > ${p.after.id}::bigint)
    ORDER BY c.rank DESC, c.id
    LIMIT ${p.limit + 1}`
}

function toHit(r: HitRow): SearchHit {
  return {
    // bigserial ids stay far below 2^53, so a JSON number is exact.
    segment_id: Number(r.id_key),
    video_id: r.video_id,
    youtube_id: r.youtube_id,
    title: r.title,
    channel_name: r.channel_name,
    source: r.source,
    start_ms: r.start_ms,
    end_ms: r.end_ms,
    snippet: r.snippet,
    rank: r.rank,
  }
}
