import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseSearchQuery } from '../src/modules/search/params.ts'
import { explainSearch } from '../src/modules/search/queries.ts'
import { seedDatabase } from '../src/seed/index.ts'
import { testApp, testCursors } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { walkPages } from './support/search-pages.ts'

// GET /search against real PostgreSQL full text. The fixture words (zorblax, quibbit, plinko,
// wibble, snorkwheeze) are not in the seed's vocabulary, so the seeded rows used for the EXPLAIN test never
// show up in the other assertions.

interface Hit {
  segment_id: number
  video_id: string
  youtube_id: string
  title: string | null
  channel_name: string | null
  source: 'whisper' | 'youtube'
  start_ms: number
  end_ms: number
  snippet: string
  rank: number
}
interface SearchBody {
  items: Hit[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
  query_time_ms: number
}
interface ErrorBody {
  error: { code: string; message: string }
}

let db: TestDatabase
let request: (path: string) => Promise<Response>

const V1 = '11111111-1111-4111-8111-111111111111' // Chan A, en, 2024-03-10, whisper + youtube
const V2 = '22222222-2222-4222-8222-222222222222' // Chan B, de, 2023-07-01, youtube
const V3 = '33333333-3333-4333-8333-333333333333' // Chan A, en, 2024-12-31 23:30, whisper
const V4 = '44444444-4444-4444-8444-444444444444' // Chan P, fr: the pagination corpus
/** segment id by label, for the fixture rows whose ids the assertions name */
const seg: Record<string, number> = {}

const search = async (params: Record<string, string>): Promise<Response> => request(`/search?${new URLSearchParams(params)}`)

async function ok(params: Record<string, string>): Promise<SearchBody> {
  const res = await search(params)
  if (res.status !== 200) throw new Error(`GET /search ${JSON.stringify(params)} → ${res.status} ${await res.text()}`)
  return (await res.json()) as SearchBody
}

async function fails(params: Record<string, string>, status: number, code: string): Promise<void> {
  const res = await search(params)
  const body = (await res.json()) as ErrorBody
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code })
  expect(body.error.message.length).toBeGreaterThan(0)
}

const ids = (body: SearchBody) => body.items.map((h) => h.segment_id)

async function insertFixtures(): Promise<void> {
  const sql = db.sql
  await sql`
    INSERT INTO videos (id, youtube_id, title, channel_name, language, uploaded_at, state) VALUES
      (${V1}, 'fx_alpha_01', 'Alpha video', 'Chan A', 'en', '2024-03-10T12:00:00Z', 'completed'),
      (${V2}, 'fx_beta_002', 'Beta video', 'Chan B', 'de', '2023-07-01T00:00:00Z', 'completed'),
      (${V3}, 'fx_gamma_03', 'Gamma video', 'Chan A', 'en', '2024-12-31T23:30:00Z', 'completed'),
      (${V4}, 'fx_delta_04', 'Delta video', 'Chan P', 'fr', '2022-01-01T00:00:00Z', 'completed')`
  const transcripts = await sql<{ id: string; video_id: string; source: string }[]>`
    INSERT INTO transcripts (video_id, source) VALUES
      (${V1}, 'whisper'), (${V1}, 'youtube'), (${V2}, 'youtube'), (${V3}, 'whisper'), (${V4}, 'whisper')
    RETURNING id, video_id, source`
  const tr = (video: string, source: string) => transcripts.find((t) => t.video_id === video && t.source === source)?.id ?? ''
  const rows = [
    { label: 'v1w', t: tr(V1, 'whisper'), v: V1, idx: 0, start: 1000, end: 2500, text: 'Zorblax, zorblax and more zorblax in one snorkwheeze.' },
    { label: 'v1y', t: tr(V1, 'youtube'), v: V1, idx: 0, start: 1000, end: 2500, text: 'a zorblax mentioned once' },
    { label: 'v2y', t: tr(V2, 'youtube'), v: V2, idx: 0, start: 0, end: 900, text: 'one zorblax here too' },
    { label: 'v3w', t: tr(V3, 'whisper'), v: V3, idx: 0, start: 5000, end: 9000, text: 'Zorblax twice: zorblax.' },
    {
      label: 'long',
      t: tr(V3, 'whisper'),
      v: V3,
      idx: 1,
      start: 9000,
      end: 30000,
      text:
        'This is a rather long segment of speech that rambles on about many unrelated matters before it finally ' +
        'reaches the quibbit that everybody came to hear about, and then it keeps going for a good while longer ' +
        'with even more words that nobody will ever read in a search snippet.',
    },
  ]
  for (const r of rows) {
    const [row] = await sql<{ id: string }[]>`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      VALUES (${r.t}, ${r.v}, ${r.idx}, ${r.start}, ${r.end}, ${r.text}) RETURNING id`
    seg[r.label] = Number(row?.id)
  }
  // The pagination corpus: 600 segments, about 510 matching `plinko wibble` with ranks that tie a
  // lot (repetition and distance vary in small cycles) and are not round floats.
  await sql`
    INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
    SELECT ${tr(V4, 'whisper')}, ${V4}, i, i * 1000, i * 1000 + 900,
           repeat('plinko ', 1 + i % 3) || repeat('filler ', i % 5) ||
           CASE WHEN i % 7 = 0 THEN 'nothing' ELSE 'wibble' END ||
           CASE WHEN i % 4 = 0 THEN ' wibble filler plinko' ELSE '' END
    FROM generate_series(0, 599) AS i`
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  // A few thousand realistic segments, so the planner has a table worth an index (EXPLAIN test).
  await seedDatabase(db.sql, { videos: 60, segmentsPerVideo: 60, seed: 7 })
  await insertFixtures()
  // VACUUM, not just ANALYZE: rows inserted with the index in place sit in the GIN pending list,
  // which every search scans and the planner prices in; a vacuumed index is what production has.
  await db.sql`VACUUM ANALYZE`
  request = testApp(db.sql).request
})

afterAll(async () => {
  await db.drop()
})

describe('GET /search results', () => {
  test('hits carry the segment, its video and transcript, a snippet and a rank, most relevant first', async () => {
    const body = await ok({ q: 'zorblax' })
    // 3 occurrences, then 2, then the two single ones by segment id
    expect(ids(body)).toEqual([seg.v1w, seg.v3w, seg.v1y, seg.v2y].map(Number))
    expect(body.page_info).toEqual({ next_cursor: null, has_next_page: false })
    expect(typeof body.query_time_ms).toBe('number')
    expect(body.query_time_ms).toBeGreaterThanOrEqual(0)
    expect(body.items[0]).toEqual({
      segment_id: Number(seg.v1w),
      video_id: V1,
      youtube_id: 'fx_alpha_01',
      title: 'Alpha video',
      channel_name: 'Chan A',
      source: 'whisper',
      start_ms: 1000,
      end_ms: 2500,
      snippet: '<mark>Zorblax</mark>, <mark>zorblax</mark> and more <mark>zorblax</mark> in one snorkwheeze',
      rank: expect.any(Number),
    })
    const ranks = body.items.map((h) => h.rank)
    expect(ranks[0]).toBeGreaterThan(ranks[1] ?? Infinity)
    expect(ranks[1]).toBeGreaterThan(ranks[2] ?? Infinity)
    expect(ranks[2]).toBe(ranks[3] ?? NaN)
  })

  test('English stemming: a different form of the word matches', async () => {
    expect(ids(await ok({ q: 'zorblaxes' }))).toContain(Number(seg.v1w))
  })

  test('the snippet is a short fragment around the match with the word in <mark>', async () => {
    const body = await ok({ q: 'quibbit' })
    expect(ids(body)).toEqual([Number(seg.long)])
    const snippet = body.items[0]?.snippet ?? ''
    expect(snippet).toContain('<mark>quibbit</mark>')
    expect(snippet.split(/\s+/).length).toBeLessThanOrEqual(22)
    expect(snippet).not.toContain('This is a rather long segment')
  })

  test('web-search syntax: phrases, OR and exclusions', async () => {
    expect(ids(await ok({ q: '"zorblax mentioned"' }))).toEqual([Number(seg.v1y)])
    expect(ids(await ok({ q: '"mentioned zorblax"' }))).toEqual([])
    expect(new Set(ids(await ok({ q: 'quibbit or snorkwheeze' })))).toEqual(new Set([seg.long, seg.v1w].map(Number)))
    expect(ids(await ok({ q: 'zorblax -snorkwheeze' }))).toEqual([seg.v3w, seg.v1y, seg.v2y].map(Number))
  })

  test('no match is an empty page, not an error', async () => {
    expect(await ok({ q: 'nonexistentword' })).toMatchObject({ items: [], page_info: { next_cursor: null, has_next_page: false } })
  })

  test('a q with no searchable word (stop words, punctuation, only exclusions) is 200 with no hits', async () => {
    for (const q of ['the and of', '!!!', '"the"', '-zorblax', 'zorblax or -quibbit', '-"a b"', '&|!():*']) {
      const body = await ok({ q })
      expect({ q, items: body.items, page_info: body.page_info }).toEqual({ q, items: [], page_info: { next_cursor: null, has_next_page: false } })
    }
  })

  test('odd but valid input never becomes a 500', async () => {
    for (const q of ['zorblax\u0000', '"unclosed zorblax', '(zorblax', 'zorblax:*', "zorblax's", 'zorblax & | !', 'ü é 中文 🎉', "'; DROP TABLE segments; --"]) {
      const res = await search({ q })
      expect({ q, status: res.status }).toEqual({ q, status: 200 })
    }
    expect(ids(await ok({ q: 'zorblax\u0000' }))).toHaveLength(4)
  })

  test('q of exactly 500 characters is accepted', async () => {
    expect((await search({ q: 'zorblax '.repeat(63).slice(0, 500) })).status).toBe(200)
  })
})

describe('GET /search filters', () => {
  const zorblax = async (filters: Record<string, string>) => ids(await ok({ q: 'zorblax', ...filters }))

  test('video_id', async () => {
    expect(await zorblax({ video_id: V1 })).toEqual([seg.v1w, seg.v1y].map(Number))
    expect(await zorblax({ video_id: V1.toUpperCase() })).toEqual([seg.v1w, seg.v1y].map(Number))
    expect(await zorblax({ video_id: '99999999-9999-4999-8999-999999999999' })).toEqual([])
  })

  test('channel (exact name)', async () => {
    expect(await zorblax({ channel: 'Chan A' })).toEqual([seg.v1w, seg.v3w, seg.v1y].map(Number))
    expect(await zorblax({ channel: 'chan a' })).toEqual([])
  })

  test('language', async () => {
    expect(await zorblax({ language: 'de' })).toEqual([Number(seg.v2y)])
    expect(await zorblax({ language: 'en' })).toEqual([seg.v1w, seg.v3w, seg.v1y].map(Number))
  })

  test('source', async () => {
    expect(await zorblax({ source: 'youtube' })).toEqual([seg.v1y, seg.v2y].map(Number))
    expect(await zorblax({ source: 'whisper' })).toEqual([seg.v1w, seg.v3w].map(Number))
  })

  test('the calendar ends are answered: 0001-01-01 and 9999-12-31 (its whole day), never a database error', async () => {
    expect(await zorblax({ date_to: '9999-12-31' })).toHaveLength(4)
    expect(await zorblax({ date_from: '0001-01-01', date_to: '9999-12-31T23:59:59.999Z' })).toHaveLength(4)
    expect(await zorblax({ date_from: '9999-12-31' })).toEqual([])
    expect(await zorblax({ date_to: '0001-01-01T00:00:00+00:00' })).toEqual([])
  })

  test('date_from and date_to on uploaded_at: inclusive; a bare date_to includes its whole day', async () => {
    expect(await zorblax({ date_from: '2024-01-01' })).toEqual([seg.v1w, seg.v3w, seg.v1y].map(Number))
    expect(await zorblax({ date_to: '2023-12-31' })).toEqual([Number(seg.v2y)])
    expect(await zorblax({ date_to: '2024-12-31' })).toHaveLength(4)
    expect(await zorblax({ date_to: '2024-12-31T23:00:00Z' })).toEqual([seg.v1w, seg.v1y, seg.v2y].map(Number))
    expect(await zorblax({ date_from: '2024-12-31T23:30:00Z' })).toEqual([Number(seg.v3w)])
    expect(await zorblax({ date_from: '2024-03-10', date_to: '2024-03-10' })).toEqual([seg.v1w, seg.v1y].map(Number))
    expect(await zorblax({ date_from: '2025-01-01', date_to: '2024-01-01' })).toEqual([])
  })

  test('filters combine', async () => {
    expect(await zorblax({ channel: 'Chan A', source: 'youtube' })).toEqual([Number(seg.v1y)])
    expect(await zorblax({ channel: 'Chan A', language: 'en', source: 'whisper', date_to: '2024-06-30' })).toEqual([Number(seg.v1w)])
    expect(await zorblax({ video_id: V3, source: 'youtube' })).toEqual([])
  })

  test('empty filter values are ignored', async () => {
    expect(await zorblax({ channel: '', language: '', source: '', video_id: '', date_from: '', date_to: '', cursor: '', limit: '' })).toHaveLength(4)
  })
})

describe('GET /search errors', () => {
  test('invalid_q: q missing, empty, blank or over 500 characters', async () => {
    const res = await request('/search')
    expect(res.status).toBe(400)
    expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_q')
    await fails({ q: '' }, 400, 'invalid_q')
    await fails({ q: '   \t\n ' }, 400, 'invalid_q')
    await fails({ q: 'x'.repeat(501) }, 400, 'invalid_q')
    await fails({ q: '🎉'.repeat(501) }, 400, 'invalid_q')
  })

  test('invalid_limit', async () => {
    for (const limit of ['0', '201', '-1', '1.5', 'ten', '1e2']) await fails({ q: 'zorblax', limit }, 400, 'invalid_limit')
    expect(ids(await ok({ q: 'zorblax', limit: '1' }))).toHaveLength(1)
    expect((await search({ q: 'zorblax', limit: '200' })).status).toBe(200)
  })

  test('invalid_video_id for a video_id that is not a uuid', async () => {
    for (const video_id of ['nope', '123', `${V1}x`, "1' OR '1'='1"]) await fails({ q: 'zorblax', video_id }, 400, 'invalid_video_id')
  })

  test('invalid_source', async () => {
    await fails({ q: 'zorblax', source: 'bing' }, 400, 'invalid_source')
    await fails({ q: 'zorblax', source: 'WHISPER' }, 400, 'invalid_source')
  })

  test('invalid dates', async () => {
    for (const date of [
      'yesterday', '2024-13-01', '2024-02-30', '2023-02-29', '0000-01-01', '20240101', '2024-01-01T25:00:00Z', '2024-02-30T00:00:00Z',
      '10000-01-01', '+010000-01-01', '9999-12-31T23:00:00-05:00', '0001-01-01T00:30:00+01:00', '2024-01-01T00:00:00+24:00', '2024-01-01 ', '2024-01-01\u0000',
    ]) {
      await fails({ q: 'zorblax', date_from: date }, 400, 'invalid_date_from')
      await fails({ q: 'zorblax', date_to: date }, 400, 'invalid_date_to')
    }
  })

  test('invalid_channel / invalid_language: too long or holding NUL', async () => {
    await fails({ q: 'zorblax', channel: 'c'.repeat(201) }, 400, 'invalid_channel')
    await fails({ q: 'zorblax', channel: 'Chan\u0000A' }, 400, 'invalid_channel')
    await fails({ q: 'zorblax', language: 'l'.repeat(201) }, 400, 'invalid_language')
  })

  test('invalid_cursor: malformed, tampered, from another q, filter set or endpoint', async () => {
    const first = await ok({ q: 'zorblax', limit: '2' })
    const cursor = first.page_info.next_cursor ?? ''
    expect(cursor).not.toBe('')
    expect(ids(await ok({ q: 'zorblax', limit: '2', cursor }))).toEqual([seg.v1y, seg.v2y].map(Number))
    // the limit may change between pages; the list may not
    expect(ids(await ok({ q: 'zorblax', limit: '1', cursor }))).toEqual([Number(seg.v1y)])

    await fails({ q: 'zorblax', cursor: 'garbage' }, 400, 'invalid_cursor')
    const [payload = '', mac = ''] = cursor.split('.')
    await fails({ q: 'zorblax', cursor: `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}` }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor: `${cursor}.x` }, 400, 'invalid_cursor')
    const forged = Buffer.from(JSON.stringify(['9', '1'])).toString('base64url')
    await fails({ q: 'zorblax', cursor: `${forged}.${mac}` }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor: `${payload}.${mac.slice(1)}A` }, 400, 'invalid_cursor')

    await fails({ q: 'quibbit', cursor }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor, channel: 'Chan A' }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor, source: 'whisper' }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor, date_from: '2020-01-01' }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor, video_id: V1 }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor: testCursors.encode('jobs?state=', ['2024-01-01 00:00:00+00', V1]) }, 400, 'invalid_cursor')

    // A correctly signed cursor with values that are not a rank and an id is still a clean 400.
    const { scope } = parseSearchQuery({ q: 'zorblax' }, testCursors)
    await fails({ q: 'zorblax', cursor: testCursors.encode(scope, ['NaN', '1']) }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor: testCursors.encode(scope, ['0.1', "1; DROP TABLE segments"]) }, 400, 'invalid_cursor')
    await fails({ q: 'zorblax', cursor: testCursors.encode(scope, [0.1, 1]) }, 400, 'invalid_cursor')
  })

  test('the route is documented in OpenAPI with its query parameters and error response', async () => {
    const res = await request('/swagger/json')
    const doc = (await res.json()) as {
      paths: Record<string, { get?: { tags?: string[]; summary?: string; description?: string; parameters?: { name: string }[]; responses?: Record<string, unknown> } }>
    }
    const get = doc.paths['/search']?.get
    expect(get?.tags).toEqual(['search'])
    expect(get?.summary?.length).toBeGreaterThan(0)
    expect(get?.description).toContain('invalid_q')
    expect((get?.parameters ?? []).map((p) => p.name).sort()).toEqual(
      ['channel', 'cursor', 'date_from', 'date_to', 'language', 'limit', 'q', 'source', 'video_id'].sort(),
    )
    expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400']))
  })
})

describe('GET /search pagination', () => {
  const Q = 'plinko wibble'

  const walk = (limit: number, extra: Record<string, string> = {}): Promise<Hit[]> =>
    walkPages(limit, (cursor) => ok({ q: Q, limit: String(limit), ...extra, ...(cursor ? { cursor } : {}) }))

  test('walking every page returns each match exactly once, in rank order, the same as one big query', async () => {
    const truth = await db.sql<{ id: string; rank: number }[]>`
      SELECT id::text AS id, ts_rank(text_tsv, querytree(q)::tsquery) AS rank
      FROM segments, websearch_to_tsquery('english', ${Q}) q
      WHERE text_tsv @@ q
      ORDER BY rank DESC, id`
    expect(truth.length).toBeGreaterThan(450)
    expect(truth.length).toBeLessThan(600)
    // the corpus really has ties across page boundaries and non-round ranks
    const distinct = new Set(truth.map((r) => r.rank))
    expect(distinct.size).toBeGreaterThan(3)
    expect(distinct.size).toBeLessThan(truth.length / 10)
    expect([...distinct].some((r) => Math.round(r * 100) !== r * 100)).toBe(true)

    const hits = await walk(37)
    const walked = hits.map((h) => h.segment_id)
    expect(new Set(walked).size).toBe(walked.length)
    expect(walked).toEqual(truth.map((r) => Number(r.id)))
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1], hits[i]]
      if (!a || !b) continue
      expect(a.rank).toBeGreaterThanOrEqual(b.rank)
      if (a.rank === b.rank) expect(a.segment_id).toBeLessThan(b.segment_id)
    }
    // Another page size cuts the same list in other places.
    expect((await walk(200)).map((h) => h.segment_id)).toEqual(walked)
  })

  test('pagination with a filter stays within the filter', async () => {
    const walked = await walk(50, { channel: 'Chan P', source: 'whisper' })
    expect(walked.length).toBeGreaterThan(450)
    expect(walked.every((h) => h.video_id === V4 && h.source === 'whisper')).toBe(true)
  })

  test('a row inserted mid-walk with a rank above the cursor does not shift the pages after it', async () => {
    const first = await ok({ q: Q, limit: '100' })
    const [row] = await db.sql<{ id: string }[]>`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT transcript_id, video_id, 10000, 0, 1, 'plinko wibble plinko wibble plinko wibble'
      FROM segments WHERE id = ${first.items[0]?.segment_id ?? 0} RETURNING id`
    try {
      const rest = await walkFrom(first.page_info.next_cursor)
      const all = [...ids(first), ...rest]
      expect(new Set(all).size).toBe(all.length)
      expect(all).not.toContain(Number(row?.id))
    } finally {
      await db.sql`DELETE FROM segments WHERE id = ${row?.id ?? '0'}`
    }
  })

  async function walkFrom(cursor: string | null): Promise<number[]> {
    const out: number[] = []
    while (cursor) {
      const body: SearchBody = await ok({ q: Q, limit: '100', cursor })
      out.push(...ids(body))
      cursor = body.page_info.next_cursor
    }
    return out
  }
})

describe('GET /search query plan', () => {
  type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: PlanNode[] }
  const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)]
  const indexesOf = (node: PlanNode): string[] => nodesOf(node).flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []))

  async function planOf(raw: Record<string, string>): Promise<PlanNode> {
    const { path, plans } = await explainSearch(db.sql, parseSearchQuery(raw, testCursors))
    expect({ raw, path }).toEqual({ raw, path: 'gin' })
    const plan = (plans[0] as { Plan: PlanNode }[] | undefined)?.[0]?.Plan
    if (!plan) throw new Error('no plan')
    return plan
  }

  test('the seeded table is big enough that the planner would otherwise scan it', async () => {
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM segments`
    expect(row?.n).toBeGreaterThan(3000)
  })

  // Words, phrases and ORs of up to 3 terms are ranked from search_postings (test/search-tiers.test.ts pins that plan).
  test('an AND or an OR of more than 3 terms uses a bitmap scan of segments_text_tsv_idx (GIN), with and without filters', async () => {
    const searches: Record<string, string>[] = [
      { q: 'coffee time' },
      { q: '"pretty good" "coffee time"' },
      { q: 'doctor or hospital or nurse or dentist' },
      { q: 'coffee time', language: 'en', source: 'whisper' },
    ]
    for (const raw of searches) {
      const plan = await planOf(raw)
      expect({ raw, indexes: indexesOf(plan) }).toEqual({ raw, indexes: expect.arrayContaining(['segments_text_tsv_idx']) })
      const gin = nodesOf(plan).filter((n) => n['Index Name'] === 'segments_text_tsv_idx')
      expect(gin.map((n) => n['Node Type'])).toEqual(['Bitmap Index Scan'])
      // the small videos and transcripts tables may be hashed whole; segments never is scanned
      expect(nodesOf(plan).filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'segments')).toEqual([])
    }
  })

  test('a second page keeps the index', async () => {
    const { scope } = parseSearchQuery({ q: 'coffee time' }, testCursors)
    const plan = await planOf({ q: 'coffee time', cursor: testCursors.encode(scope, ['0.1', '1']) })
    expect(indexesOf(plan)).toContain('segments_text_tsv_idx')
  })
})
