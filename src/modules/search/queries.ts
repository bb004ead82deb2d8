import type { TransactionSql } from 'postgres'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import type { SearchHit, SearchResponse } from './model.ts'
import type { SearchParams } from './params.ts'

// Full-text search over transcript segments, one page at a time.
//
// The cost of a search is ranking: a common word matches tens of thousands of the 1M segments,
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

export async function searchSegments(sql: Sql, p: SearchParams): Promise<SearchResponse> {
  const started = performance.now()
  // One round trip for both statements: postgres.js pipelines the array.
  const [, rows] = await sql.begin('read only', (tx) => [tx.unsafe(SETTINGS_SQL), pageQuery(tx, p)] as const)
  const queryTimeMs = Math.round((performance.now() - started) * 100) / 100
  const page = toPage(p.cursors, rows, p.limit, p.scope, (r) => [r.rank_key, r.id_key], toHit)
  return { ...page, query_time_ms: queryTimeMs }
}

/** The plan of a search, under the same settings (tests assert it uses the GIN index; the benchmark prints it). */
export async function explainSearch(sql: Sql, p: SearchParams, options: { analyze?: boolean } = {}): Promise<unknown> {
  const explain = options.analyze ? 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)' : 'EXPLAIN (FORMAT JSON)'
  const [, rows] = await sql.begin('read only', (tx) => [tx.unsafe(SETTINGS_SQL), tx`${tx.unsafe(explain)} ${pageQuery(tx, p)}`] as const)
  return rows[0]?.['QUERY PLAN']
}

/** Step 2 around step 1: the page's hits with their video, transcript source and snippet. */
function pageQuery(tx: TransactionSql, p: SearchParams) {
  return tx<HitRow[]>`
    SELECT h.id::text AS id_key, h.rank::text AS rank_key, h.rank,
           s.video_id, v.youtube_id, v.title, v.channel_name, t.source, s.start_ms, s.end_ms,
           ts_headline('english', s.text, query, ${HEADLINE_OPTIONS}) AS snippet
    FROM (${rankedIds(tx, p)}) h
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
  const needVideo = p.channel !== undefined || p.language !== undefined || p.uploadedFrom !== undefined || p.uploadedTo !== undefined
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
      ${p.source !== undefined ? sql`AND t.source = ${p.source}` : sql``}
      ${p.channel !== undefined ? sql`AND v.channel_name = ${p.channel}` : sql``}
      ${p.language !== undefined ? sql`AND v.language = ${p.language}` : sql``}
      ${p.uploadedFrom !== undefined ? sql`AND v.uploaded_at >= ${p.uploadedFrom}::timestamptz` : sql``}
      ${
        p.uploadedTo === undefined
          ? sql``
          : p.uploadedTo.inclusive
            ? sql`AND v.uploaded_at <= ${p.uploadedTo.at}::timestamptz`
            : sql`AND v.uploaded_at < ${p.uploadedTo.at}::timestamptz`
      }
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
