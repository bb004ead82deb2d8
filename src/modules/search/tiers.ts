import type { PendingQuery, Row, TransactionSql } from 'postgres'
import { filterConditions, needsVideo, videoConditions } from './filters.ts'
import type { SearchParams } from './params.ts'

// The top page of a word, a phrase, or an OR of them, read from ordered postings (sql/0011)
// instead of ranking every match.
//
// The query's terms are its words, with a two-word phrase as one term (the pair of adjacent words
// sql/0011 indexes). Rank: each term the segment holds adds 10, plus 1 if it holds it twice and 2
// if three times or more (its tier, 1..3). So a segment with more of the terms ranks first, then
// one that repeats them; equal ranks go by segment id. (AND queries keep ts_rank, whose proximity
// term ranks adjacent words above words far apart: see queries.ts.)
//
// Every combination of tiers (a tier or "absent" per term) has one rank, and its segments are the
// intersection of those tier lists, already in id order in search_postings_order_idx. So a page
// is read level by level from the highest rank down: a level merges its combinations by id and
// stops at the page's size, and the search stops at the first level that fills the page. The cost
// is the page, plus the tier lists of the rare combinations at the top, not the number of matches.
// Candidates of a longer phrase or of an exclusion are checked on their segment row, one by one.

/** The most distinct terms combined: 3 terms have 63 combinations in 15 rank levels; more go through GIN. */
const MAX_TERMS = 3
const TIERS = [1, 2, 3] as const
/** A held term adds this plus its tier: 10, 11 or 12. */
const TERM_RANK = 9

export interface TierSearch {
  /** Distinct terms: lexemes as the English parser stems them, or 'a b' pairs of a phrase. */
  terms: string[]
  /** The OR's alternatives, each the terms a matching segment must hold. */
  groups: string[][]
  /** Holding a group's terms is not yet a match (a longer phrase, an exclusion): each candidate is checked against the whole query. */
  verify: boolean
}

/**
 * The tier search for a query, when it has one: querytree (the positive part) must be a word, a
 * phrase, or an OR of them, of at most 3 distinct terms, with no video filter (a video's few
 * segments are faster through GIN). AND keeps ts_rank, whose proximity ranks adjacent words first.
 */
export function tierSearchOf(shape: { positive: string; full: string }, p: SearchParams): TierSearch | undefined {
  if (p.videoId !== undefined) return undefined
  const phrases = orOfPhrases(shape.positive)
  if (!phrases) return undefined
  const groups = phrases.map(termsOf)
  const terms = [...new Set(groups.flatMap((g) => g.terms))]
  if (terms.length > MAX_TERMS) return undefined
  return { terms, groups: groups.map((g) => g.terms), verify: shape.full !== shape.positive || groups.some((g) => g.verify) }
}

/** One OR alternative: its words, and the distance from each word to the next (1 for `<->`). */
interface Phrase {
  words: string[]
  gaps: number[]
}

/** The longest pair search_terms (sql/0011) stores, in bytes: a btree entry holds at most 2,704. */
const MAX_PAIR_BYTES = 1000

/**
 * A phrase's terms: a word is itself; adjacent words are their pairs, exact for two words (the
 * pair is the phrase) and a superset for more; words farther apart, or too long to be paired, are
 * the words, checked after.
 */
function termsOf(p: Phrase): { terms: string[]; verify: boolean } {
  if (p.words.length === 1) return { terms: p.words, verify: false }
  const pairs = p.words.slice(1).map((word, i) => `${p.words[i]} ${word}`)
  if (p.gaps.some((g) => g !== 1) || pairs.some((pair) => Buffer.byteLength(pair) > MAX_PAIR_BYTES)) return { terms: p.words, verify: true }
  return { terms: pairs, verify: pairs.length > 1 }
}

/**
 * `'a' | 'b' <-> 'c'` → a, then b with c at distance 1; undefined for any other tsquery text (AND,
 * NOT, parentheses, prefix, weights, or T for a query without words).
 */
function orOfPhrases(text: string): Phrase[] | undefined {
  const phrases: Phrase[] = [{ words: [], gaps: [] }]
  let i = 0
  for (;;) {
    if (text[i] !== "'") return undefined
    let word = ''
    for (i++; ; i++) {
      if (i >= text.length) return undefined
      // tsquery text doubles a quote or a backslash inside a lexeme.
      if (text[i] === "'" || text[i] === '\\') {
        if (text[i] === "'" && text[i + 1] !== "'") break
        i++
      }
      word += text[i]
    }
    phrases.at(-1)?.words.push(word)
    i++
    if (i === text.length) return phrases
    const operator = /^ (\||<->|<(\d+)>) /.exec(text.slice(i))
    if (!operator) return undefined
    if (operator[1] === '|') phrases.push({ words: [], gaps: [] })
    else phrases.at(-1)?.gaps.push(operator[2] === undefined ? 1 : Number(operator[2]))
    i += operator[0].length
  }
}

interface Combination {
  /** term → tier, for the terms the segment holds */
  present: [string, number][]
  /** the terms it does not hold */
  absent: string[]
}

export interface Level {
  rank: number
  combinations: Combination[]
}

/** Every combination that can match (some group has all its terms), grouped by rank, highest first. */
export function levelsOf(search: Pick<TierSearch, 'terms' | 'groups'>): Level[] {
  const { terms, groups } = search
  const byRank = new Map<number, Combination[]>()
  const states = [0, ...TIERS]
  const visit = (i: number, combo: Combination, rank: number): void => {
    if (i === terms.length) {
      const held = new Set(combo.present.map(([term]) => term))
      if (groups.some((g) => g.every((term) => held.has(term)))) byRank.set(rank, [...(byRank.get(rank) ?? []), combo])
      return
    }
    const term = terms[i] as string
    for (const tier of states) {
      const next = tier === 0 ? { present: combo.present, absent: [...combo.absent, term] } : { present: [...combo.present, [term, tier] as [string, number]], absent: combo.absent }
      visit(i + 1, next, rank + (tier === 0 ? 0 : TERM_RANK + tier))
    }
  }
  visit(0, { present: [], absent: [] }, 0)
  return [...byRank.entries()].sort((a, b) => b[0] - a[0]).map(([rank, combinations]) => ({ rank, combinations }))
}

export interface RankedId {
  id: string
  rank: number
}

/** Runs one of the search's statements; explainSearch swaps in an EXPLAIN of it, then runs it. */
export type RunStatement = (query: PendingQuery<Row[]>) => Promise<readonly Row[]>

/**
 * Video filters that leave at most this many videos rank those videos' segments directly: a
 * common word's tier lists hold few of their segments, so the walk would read most of the lists
 * (every posting of `know` at 5M segments, 240 ms, for a date range no video is in).
 */
const FEW_VIDEOS = 50

/**
 * The ids (with ranks) of the page after the cursor, limit + 1 of them when there are that many.
 * Runs in the caller's transaction, with hash joins off: a combination is a nested loop (or merge)
 * over id-ordered index scans that stops at the page's size, never a hash of a whole tier list.
 */
export async function rankByTiers(tx: TransactionSql, p: SearchParams, search: TierSearch, run: RunStatement): Promise<RankedId[]> {
  await tx`SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_bitmapscan', 'off', true)`
  if (needsVideo(p)) {
    const [count] = await tx<{ few: boolean }[]>`
      SELECT count(*) <= ${FEW_VIDEOS} AS few FROM (SELECT 1 FROM videos v WHERE true ${videoConditions(tx, p)} LIMIT ${FEW_VIDEOS + 1}) x`
    if (count?.few) return rankInVideos(tx, p, search, run)
  }
  const after = p.after ? { rank: Number(p.after.rank), id: p.after.id } : undefined
  const found: RankedId[] = []
  for (const level of levelsOf(search)) {
    const need = p.limit + 1 - found.length
    if (need <= 0) break
    if (after && level.rank > after.rank) continue
    const afterId = after && level.rank === after.rank ? after.id : undefined
    const parts = level.combinations.map((c) => combinationQuery(tx, p, search, c, afterId, need))
    const union = parts.reduce((acc, part) => tx`${acc} UNION ALL ${part}`)
    // c.segment_id: the bigint. A bare `segment_id` would name the output column, the text, and
    // '108' < '22' would keep the wrong ids and skip the others on the next page.
    const rows = await run(tx`SELECT c.segment_id::text AS segment_id FROM (${union}) c ORDER BY c.segment_id LIMIT ${need}`)
    for (const r of rows) found.push({ id: String(r.segment_id), rank: level.rank })
  }
  return found
}

/**
 * The same page, ranked from the segments of the few videos the filters leave: the tier rank
 * computed from each matching segment's terms (search_terms, as the postings were made), so a
 * walk can go either way page by page as videos come and go.
 */
async function rankInVideos(tx: TransactionSql, p: SearchParams, search: TierSearch, run: RunStatement): Promise<RankedId[]> {
  const rank = tx`(SELECT sum(${TERM_RANK} + st.tier) FROM search_terms(s.text_tsv) st WHERE st.term = ANY(${search.terms}::text[]))::real`
  // OFFSET 0: the cursor's test reads the rank computed once per row.
  const rows = await run(tx`
    SELECT c.segment_id::text, c.rank FROM (
      SELECT s.id AS segment_id, ${rank} AS rank
      FROM videos v JOIN transcripts t ON t.video_id = v.id JOIN segments s ON s.transcript_id = t.id
      WHERE s.text_tsv @@ websearch_to_tsquery('english', ${p.q}) ${filterConditions(tx, p)}
      OFFSET 0) c
    ${p.after ? tx`WHERE c.rank < ${p.after.rank}::real OR (c.rank = ${p.after.rank}::real AND c.segment_id > ${p.after.id}::bigint)` : tx``}
    ORDER BY c.rank DESC, c.segment_id LIMIT ${p.limit + 1}`)
  return rows.map((r) => ({ id: String(r.segment_id), rank: Number(r.rank) }))
}

/** The segments of one combination after `afterId`, in id order, at most `need`. */
function combinationQuery(tx: TransactionSql, p: SearchParams, search: TierSearch, c: Combination, afterId: string | undefined, need: number) {
  const [[leadTerm, leadTier], ...others] = c.present as [[string, number], ...[string, number][]]
  const joins = concat(tx, others.map(([term, tier], i) => {
    const alias = tx(`p${i + 1}`)
    return tx`JOIN search_postings ${alias} ON ${alias}.term = ${term} AND ${alias}.tier = ${tier} AND ${alias}.segment_id = p0.segment_id`
  }))
  // tier = ANY: three probes of the index (its second column), not a scan of the term's lists
  const absent = concat(tx, c.absent.map(
    (term) => tx`AND NOT EXISTS (SELECT 1 FROM search_postings a WHERE a.term = ${term} AND a.tier = ANY('{1,2,3}'::smallint[]) AND a.segment_id = p0.segment_id)`,
  ))
  return tx`(SELECT p0.segment_id FROM search_postings p0 ${joins}
    WHERE p0.term = ${leadTerm} AND p0.tier = ${leadTier}
      ${afterId === undefined ? tx`` : tx`AND p0.segment_id > ${afterId}::bigint`}
      ${absent}
      ${filtersOf(tx, p, others.length === 0)}
      ${search.verify ? tx`AND EXISTS (SELECT 1 FROM segments s WHERE s.id = p0.segment_id AND s.text_tsv @@ websearch_to_tsquery('english', ${p.q}))` : tx``}
    ORDER BY p0.segment_id LIMIT ${need})`
}

/** Fragments one after another (postgres.js would send an array as one parameter). */
function concat(tx: TransactionSql, parts: PendingQuery<Row[]>[]) {
  return parts.reduce((acc, part) => tx`${acc} ${part}`, tx``)
}

/**
 * The filters, checked through the posting's transcript (small tables, cached: no segment read).
 * `walk`: a combination of one tier list checks them one candidate at a time (OFFSET 0 keeps the
 * EXISTS a per-row check): as a join, PostgreSQL may plan a merge on transcript_id that sorts the
 * whole list before the LIMIT can stop it (12 ms for `coffee` in one channel at 5M segments, and
 * linear in the corpus). Where tier lists are joined the join is kept, so the filter runs after
 * the intersection instead of on every row of one list.
 */
function filtersOf(tx: TransactionSql, p: SearchParams, walk: boolean) {
  if (!needsVideo(p) && p.source === undefined) return tx``
  return tx`AND EXISTS (SELECT 1 FROM transcripts t ${needsVideo(p) ? tx`JOIN videos v ON v.id = t.video_id` : tx``}
    WHERE t.id = p0.transcript_id ${filterConditions(tx, p)} ${walk ? tx`OFFSET 0` : tx``})`
}
