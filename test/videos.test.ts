import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import type postgres from 'postgres'
import { afterTranscriptReplaced } from '../src/cache/scopes.ts'
import { videoListScope } from '../src/modules/videos/list-params.ts'
import { listVideosQuery, type ListVideosInput } from '../src/modules/videos/queries.ts'
import { migrate } from '../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../src/platform/migration-files.ts'
import { testApp, testCursors } from './support/app.ts'
import { planNodes } from './support/explain.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

// GET /videos, GET /videos/{id}, PATCH /videos/{id} against the real PostgreSQL: ordering, filters,
// every 400, keyset walks under concurrent inserts, and the plans of the list queries.

const TOKEN = 'videos-admin-token-0123456789abcdef'

interface ErrorJson {
  error: { code: string; message: string }
}
interface VideoJson {
  id: string
  youtube_id: string
  title: string | null
  channel_name: string | null
  language: string | null
  category: string | null
  uploaded_at: string | null
  state: string
  created_at: string
  updated_at: string
  transcript_sources?: string[]
}
interface PageJson {
  items: VideoJson[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

async function expectError(res: Response, status: number, code: string): Promise<string> {
  const body = (await res.json()) as ErrorJson
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  return body.error.message
}

/** Follows next_cursor to the end; returns the ids in the order served. */
async function walk(api: ReturnType<typeof testApp>, query: string, limit: number, onPage?: () => Promise<void>): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | null = null
  do {
    const res = await api.request(`/videos?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    expect(res.status).toBe(200)
    const page = (await res.json()) as PageJson
    expect(page.items.length).toBeLessThanOrEqual(limit)
    expect(page.page_info.has_next_page).toBe(page.page_info.next_cursor !== null)
    ids.push(...page.items.map((v) => v.id))
    cursor = page.page_info.next_cursor
    await onPage?.()
  } while (cursor)
  return ids
}

/** Ids in list order, computed independently: keys as sortable UTC text, then id, both descending. */
type Fragment = postgres.PendingQuery<postgres.Row[]>

async function expectedOrder(db: TestDatabase, sort: 'created_at' | 'uploaded_at', where: Fragment = db.sql`true`): Promise<string[]> {
  const rows = await db.sql<{ id: string; k: string }[]>`
    SELECT id::text, ${sort === 'created_at' ? db.sql`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')` : db.sql`coalesce(to_char(uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '')`} AS k
    FROM videos WHERE ${where}`
  const desc = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0)
  return rows.sort((a, b) => desc(a.k, b.k) || desc(a.id, b.id)).map((r) => r.id)
}

describe('GET /videos', () => {
  let db: TestDatabase
  let api: ReturnType<typeof testApp>
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    api = testApp(db.sql)
    // 60 videos: created_at ties in threes (id breaks them), microsecond-distinct keys, every
    // fifth without an upload date, uploaded_at ties in pairs, three channels/languages/categories.
    await db.sql`
      INSERT INTO videos (youtube_id, title, channel_name, language, category, state, created_at, uploaded_at)
      SELECT 'v' || i, 'Video ' || i, 'Channel ' || (i % 3), (ARRAY['en', 'de', 'fr'])[i % 3 + 1], 'Cat ' || (i % 4),
             (CASE WHEN i % 7 = 0 THEN 'failed' ELSE 'completed' END)::job_state,
             timestamptz '2024-01-01 00:00:00.000001+00' + (i / 3) * interval '1.000001 second',
             CASE WHEN i % 5 = 0 THEN NULL ELSE timestamptz '2020-06-01 12:00:00+00' + (i / 2) * interval '1 day' END
      FROM generate_series(1, 60) AS i`
  }, 30_000)
  afterAll(async () => {
    await db.drop()
  })

  test('newest first over (created_at, id): 20 by default, the whole list exactly once across pages', async () => {
    const res = await api.request('/videos')
    expect(res.status).toBe(200)
    const page = (await res.json()) as PageJson
    expect(page.items).toHaveLength(20)
    expect(page.page_info.has_next_page).toBe(true)
    const expected = await expectedOrder(db, 'created_at')
    expect(page.items.map((v) => v.id)).toEqual(expected.slice(0, 20))
    expect(await walk(api, 'sort=created_at', 7)).toEqual(expected)
    const first = page.items[0]
    expect(first).toMatchObject({ youtube_id: 'v60', title: 'Video 60', channel_name: 'Channel 0', state: 'completed' })
    // JSON timestamps carry milliseconds; the cursor keeps the microseconds (the walk above has ties within a millisecond).
    expect(first?.created_at).toBe('2024-01-01T00:00:20.000Z')
  })

  test('sort=uploaded_at: newest upload first, videos without an upload date last, ties by id', async () => {
    const expected = await expectedOrder(db, 'uploaded_at')
    const ids = await walk(api, 'sort=uploaded_at', 9)
    expect(ids).toEqual(expected)
    const res = await api.request(`/videos?sort=uploaded_at&limit=100`)
    const items = ((await res.json()) as PageJson).items
    const firstUndated = items.findIndex((v) => v.uploaded_at === null)
    expect(firstUndated).toBe(48)
    expect(items.slice(firstUndated).every((v) => v.uploaded_at === null)).toBe(true)
  })

  test('filters: channel (exact), language, category, state, and combinations', async () => {
    const cases: [string, Fragment][] = [
      ['channel=Channel%201', db.sql`channel_name = 'Channel 1'`],
      ['language=de', db.sql`language = 'de'`],
      ['category=Cat%202', db.sql`category = 'Cat 2'`],
      ['state=failed', db.sql`state = 'failed'`],
      ['channel=Channel%202&language=fr&state=completed', db.sql`channel_name = 'Channel 2' AND language = 'fr' AND state = 'completed'`],
    ]
    for (const [query, where] of cases) {
      for (const sort of ['created_at', 'uploaded_at'] as const) {
        const expected = await expectedOrder(db, sort, where)
        expect(expected.length).toBeGreaterThan(0)
        expect(await walk(api, `${query}&sort=${sort}`, 4)).toEqual(expected)
      }
    }
    expect(((await (await api.request('/videos?channel=Channel')).json()) as PageJson).items).toEqual([])
    expect(((await (await api.request('/videos?state=pending')).json()) as PageJson).page_info).toEqual({ next_cursor: null, has_next_page: false })
  })

  test('limit: 1..100, else 400 invalid_limit', async () => {
    expect(((await (await api.request('/videos?limit=1')).json()) as PageJson).items).toHaveLength(1)
    expect(((await (await api.request('/videos?limit=100')).json()) as PageJson).items).toHaveLength(60)
    for (const bad of ['0', '101', '-1', 'abc', '1.5', '1e2', '%20']) {
      await expectError(await api.request(`/videos?limit=${bad}`), 400, 'invalid_limit')
    }
  })

  test('unknown enum values and unusable filters are 400s', async () => {
    await expectError(await api.request('/videos?state=done'), 400, 'invalid_state')
    await expectError(await api.request('/videos?sort=title'), 400, 'invalid_sort')
    await expectError(await api.request('/videos?channel=%00'), 400, 'invalid_channel')
    await expectError(await api.request(`/videos?language=${'x'.repeat(201)}`), 400, 'invalid_language')
    await expectError(await api.request('/videos?category=a%0Ab'), 400, 'invalid_category')
  })

  test('invalid_cursor: malformed, tampered, from another filter set, sort or endpoint, or forged values', async () => {
    const page = (await (await api.request('/videos?channel=Channel%201&limit=2')).json()) as PageJson
    const cursor = page.page_info.next_cursor ?? ''
    expect(cursor).not.toBe('')
    expect((await api.request(`/videos?channel=Channel%201&limit=2&cursor=${cursor}`)).status).toBe(200)

    const [payload = '', sig = ''] = cursor.split('.')
    const flipped = `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${sig}`
    const scope = videoListScope('created_at', { channel: 'Channel 1' })
    const bad = [
      'abc',
      'not.a.cursor',
      `${payload}.`,
      flipped,
      `${payload}.${sig.slice(0, -2)}`,
      'x'.repeat(600),
      testCursors.encode('GET /jobs ["pending"]', ['2024-01-01T00:00:00.000000Z', randomUUID()]),
      // Signed with the right key and scope (as with a leaked key): the values are still checked.
      testCursors.encode(scope, ['2024-02-30T00:00:00.000000Z', randomUUID()]),
      testCursors.encode(scope, ['2024-01-01 00:00:00+00', randomUUID()]),
      testCursors.encode(scope, ['2024-01-01T00:00:00.000000Z', 'not-a-uuid']),
      testCursors.encode(scope, [1, randomUUID()]),
      testCursors.encode(scope, ['2024-01-01T00:00:00.000000Z']),
    ]
    for (const c of bad) {
      await expectError(await api.request(`/videos?channel=Channel%201&limit=2&cursor=${encodeURIComponent(c)}`), 400, 'invalid_cursor')
    }
    for (const other of ['channel=Channel%202', 'channel=Channel%201&language=en', 'channel=Channel%201&sort=uploaded_at', '']) {
      await expectError(await api.request(`/videos?${other}&limit=2&cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_cursor')
    }
    // A forged but well-formed position is just a position.
    expect((await api.request(`/videos?channel=Channel%201&cursor=${encodeURIComponent(testCursors.encode(scope, ['infinity', randomUUID()]))}`)).status).toBe(200)
  })
})

describe('GET /videos/{id} and PATCH /videos/{id}', () => {
  let db: TestDatabase
  let api: ReturnType<typeof testApp>
  let videoId: string
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    api = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN } })
    const [row] = await db.sql<{ id: string }[]>`
      INSERT INTO videos (youtube_id, title, channel_name, language, category, duration_seconds, uploaded_at, created_at, updated_at)
      VALUES ('dQw4w9WgXcQ', 'Original', 'Chan', 'en', 'Music', 213, '2009-10-25T06:57:33Z', now() - interval '1 day', now() - interval '1 day')
      RETURNING id`
    videoId = row?.id ?? ''
  }, 30_000)
  afterAll(async () => {
    await db.drop()
  })

  const patch = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    api.request(`/videos/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  test('GET: full metadata and the transcript sources present', async () => {
    const res = await api.request(`/videos/${videoId.toUpperCase()}`)
    expect(res.status).toBe(200)
    const video = (await res.json()) as VideoJson
    expect(video).toMatchObject({
      id: videoId,
      youtube_id: 'dQw4w9WgXcQ',
      title: 'Original',
      channel_name: 'Chan',
      language: 'en',
      category: 'Music',
      duration_seconds: 213,
      uploaded_at: '2009-10-25T06:57:33.000Z',
      state: 'pending',
      error: null,
      job_id: null,
      transcript_sources: [],
    })
    await db.sql`INSERT INTO transcripts (video_id, source) VALUES (${videoId}, 'youtube'), (${videoId}, 'whisper')`
    // A write made outside the API is invisible until the cached copy is invalidated, as the
    // ingest path and the worker do after writing.
    expect(((await (await api.request(`/videos/${videoId}`)).json()) as VideoJson).transcript_sources).toEqual([])
    await api.cache.invalidate(afterTranscriptReplaced(videoId))
    expect(((await (await api.request(`/videos/${videoId}`)).json()) as VideoJson).transcript_sources).toEqual(['whisper', 'youtube'])
  })

  test('GET: 400 invalid_id, 404 video_not_found', async () => {
    await expectError(await api.request('/videos/1234'), 400, 'invalid_id')
    await expectError(await api.request('/videos/not-a-uuid.srt'), 400, 'invalid_id')
    await expectError(await api.request(`/videos/${randomUUID()}`), 404, 'video_not_found')
  })

  test('PATCH: edits the fields given (trimmed, null clears), bumps updated_at, returns the video', async () => {
    const before = (await (await api.request(`/videos/${videoId}`)).json()) as VideoJson
    const res = await patch(videoId, { title: '  New title ', category: null, language: 'pt-BR' })
    expect(res.status).toBe(200)
    const after = (await res.json()) as VideoJson
    expect(after).toMatchObject({ id: videoId, title: 'New title', category: null, language: 'pt-BR', channel_name: 'Chan' })
    expect(after.transcript_sources).toEqual(['whisper', 'youtube'])
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at))
    expect(after.created_at).toBe(before.created_at)
    expect(await (await api.request(`/videos/${videoId}`)).json()).toEqual(after)
    const again = (await (await patch(videoId, { channel_name: 'Other channel' })).json()) as VideoJson
    expect(again).toMatchObject({ title: 'New title', channel_name: 'Other channel' })
  })

  test('PATCH: admins only; the bootstrap token works only while ADMIN_TOKEN is set; 401 before anything else', async () => {
    const disabled = testApp(db.sql)
    const res = await disabled.request(`/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"title":"x"}',
    })
    await expectError(res, 401, 'invalid_token')
    await expectError(await api.request(`/videos/${videoId}`, { method: 'PATCH', body: '{"title":"x"}' }), 401, 'unauthorized')
    await expectError(await patch(videoId, { title: 'x' }, { authorization: `Bearer ${TOKEN}x` }), 401, 'invalid_token')
    await expectError(await patch('bad-id', '{', { authorization: 'Bearer nope' }), 401, 'invalid_token')
    expect(((await (await api.request(`/videos/${videoId}`)).json()) as VideoJson).title).not.toBe('x')
  })

  test('PATCH: every bad input is a specific 4xx, and nothing changes', async () => {
    const before = await (await api.request(`/videos/${videoId}`)).json()
    await expectError(await patch('nope', { title: 'x' }), 400, 'invalid_id')
    await expectError(await patch(randomUUID(), { title: 'x' }), 404, 'video_not_found')
    await expectError(await patch(videoId, { title: 'x' }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type')
    await expectError(await patch(videoId, '{"title":', {}), 400, 'invalid_json')
    await expectError(await patch(videoId, '[1]'), 400, 'invalid_body')
    expect(await expectError(await patch(videoId, { title: 'x', youtube_id: 'hijack' }), 400, 'unknown_field')).toContain('youtube_id')
    await expectError(await patch(videoId, { state: 'completed' }), 400, 'unknown_field')
    await expectError(await patch(videoId, {}), 400, 'empty_patch')
    await expectError(await patch(videoId, { title: 'x'.repeat(501) }), 400, 'invalid_title')
    await expectError(await patch(videoId, { title: '   ' }), 400, 'invalid_title')
    await expectError(await patch(videoId, { title: 42 }), 400, 'invalid_title')
    await expectError(await patch(videoId, { channel_name: 'x'.repeat(201) }), 400, 'invalid_channel_name')
    await expectError(await patch(videoId, { category: 'a\u0000b' }), 400, 'invalid_category')
    await expectError(await patch(videoId, { language: 'English' }), 400, 'invalid_language')
    await expectError(await patch(videoId, { title: 'x'.repeat(20_000) }), 413, 'payload_too_large')
    expect(await (await api.request(`/videos/${videoId}`)).json()).toEqual(before)
  })
})

describe('a walk through 1,000 videos while new ones arrive', () => {
  let db: TestDatabase
  let api: ReturnType<typeof testApp>
  let existing: string[]
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    api = testApp(db.sql)
    // Created in the past with many ties; uploaded_at with ties and NULLs.
    const rows = await db.sql<{ id: string }[]>`
      INSERT INTO videos (youtube_id, channel_name, created_at, uploaded_at)
      SELECT 'old' || i, 'c' || (i % 2), now() - interval '1 day' + (i / 4) * interval '1 ms',
             CASE WHEN i % 10 = 0 THEN NULL ELSE now() - (i / 3) * interval '1 hour' END
      FROM generate_series(1, 1000) AS i
      RETURNING id`
    existing = rows.map((r) => r.id)
  }, 30_000)
  afterAll(async () => {
    await db.drop()
  })

  for (const sort of ['created_at', 'uploaded_at'] as const) {
    test(`sort=${sort}: every pre-existing video exactly once, no duplicates`, async () => {
      let inserting = true
      let inserted = 0
      const writer = (async () => {
        while (inserting) {
          await db.sql`
            INSERT INTO videos (youtube_id, uploaded_at)
            VALUES (${`new-${sort}-${++inserted}`}, CASE WHEN ${inserted} % 3 = 0 THEN NULL ELSE now() - random() * interval '500 hours' END)`
          await Bun.sleep(1)
        }
      })()
      let pages = 0
      let ids: string[]
      try {
        ids = await walk(api, `sort=${sort}`, 25, async () => {
          // Give the writer room between pages too.
          if (++pages % 5 === 0) await Bun.sleep(3)
        })
      } finally {
        inserting = false
        await writer
      }
      expect(inserted).toBeGreaterThan(10)
      expect(new Set(ids).size).toBe(ids.length)
      const seen = new Set(ids)
      expect(existing.filter((id) => !seen.has(id))).toEqual([])
      if (sort === 'created_at') {
        // New rows are newer than the walk's position: after the first page none can appear.
        expect(ids.slice(25).every((id) => existing.includes(id))).toBe(true)
      }
    }, 30_000)
  }
})

describe('list query plans on 50,000 videos', () => {
  let db: TestDatabase
  let mid: { created: string; uploaded: string; id: string }
  beforeAll(async () => {
    // Rows first, indexes after (as when 0003 meets a populated table): a bulk build is several
    // times faster than maintaining nine indexes row by row.
    db = await createTestDatabase()
    await migrate(db.sql, MIGRATION_FILES.filter((f) => f.name === '0001_schema.sql'), quietLog)
    await db.sql`
      INSERT INTO videos (youtube_id, title, channel_name, language, category, state, created_at, uploaded_at)
      SELECT 'yt' || i, 'Video ' || i, 'Channel ' || (i % 500),
             CASE WHEN i % 100 = 1 THEN 'ja' ELSE (ARRAY['en', 'de', 'fr', 'es'])[i % 4 + 1] END,
             CASE WHEN i % 100 = 2 THEN 'Rare' ELSE 'Category ' || (i % 20) END,
             (CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'completed' END)::job_state,
             now() - i * interval '1 minute',
             CASE WHEN i % 20 = 0 THEN NULL ELSE now() - (i * 7919 % 50000) * interval '1 hour' END
      FROM generate_series(1, 50000) AS i`
    await migrate(db.sql, MIGRATION_FILES, quietLog)
    await db.sql`ANALYZE videos`
    const [row] = await db.sql<{ created: string; uploaded: string; id: string }[]>`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
             to_char(uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS uploaded, id::text
      FROM videos WHERE youtube_id = 'yt25001'`
    if (!row) throw new Error('no middle row')
    mid = row
  }, 60_000)
  afterAll(async () => {
    await db.drop()
  })

  const planOf = (input: ListVideosInput) => planNodes(db.sql, listVideosQuery(db.sql, input))

  // A filter on a rare value uses its own index; on a common one (a quarter of the rows) the planner
  // rightly walks the sort index and filters, reading about four rows per row shown.
  const cases: [string, Omit<ListVideosInput, 'limit'>, string][] = [
    ['default sort', { sort: 'created_at', filters: {} }, 'videos_created_at_id_idx'],
    ['sort=uploaded_at', { sort: 'uploaded_at', filters: {} }, 'videos_uploaded_at_id_idx'],
    ['channel filter', { sort: 'created_at', filters: { channel: 'Channel 7' } }, 'videos_channel_created_at_idx'],
    ['channel filter, sort=uploaded_at', { sort: 'uploaded_at', filters: { channel: 'Channel 7' } }, 'videos_channel_uploaded_at_idx'],
    ['language filter', { sort: 'created_at', filters: { language: 'ja' } }, 'videos_language_created_at_idx'],
    ['common language filter', { sort: 'created_at', filters: { language: 'en' } }, 'videos_created_at_id_idx'],
    ['category filter', { sort: 'created_at', filters: { category: 'Rare' } }, 'videos_category_created_at_idx'],
    ['state filter', { sort: 'created_at', filters: { state: 'failed' } }, 'videos_state_created_at_idx'],
  ]
  for (const [name, base, index] of cases) {
    for (const page of ['first page', 'page from a cursor'] as const) {
      test(`${name}, ${page}: an index scan on ${index}, no Seq Scan, no Sort`, async () => {
        const key = base.sort === 'uploaded_at' ? mid.uploaded : mid.created
        const input: ListVideosInput = { ...base, limit: 20, after: page === 'first page' ? undefined : { key, id: mid.id } }
        const plan = await planOf(input)
        const scan = plan.find((n) => n['Index Name'] === index)
        expect({ scan: scan?.['Node Type'], index: scan?.['Index Name'] }).toEqual({ scan: 'Index Scan', index })
        expect(plan.filter((n) => n['Node Type'] === 'Seq Scan' || n['Node Type'] === 'Sort')).toEqual([])
      })
    }
  }
})
