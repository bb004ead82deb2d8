import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { listJobsQuery } from '../src/modules/jobs/queries.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp, testCursors } from './support/app.ts'
import { describeNode, indexesOf, planNodes } from './support/explain.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// POST /jobs, GET /jobs/{id}, GET /jobs against the real PostgreSQL.

interface JobBody {
  id: string
  kind: string
  url: string
  state: string
  attempts: number
  meta: Record<string, unknown>
  video_id: string | null
  created_at: string
}
interface PageBody {
  items: JobBody[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}
interface ErrorBody {
  error: { code: string; message: string }
}

let db: TestDatabase
let request: ReturnType<typeof testApp>['request']

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  // Every request with a pro user's key: jobs need an owner (test/job-owner.test.ts), and pro has no daily quota.
  const api = testApp(db.sql)
  const { auth } = await userWithKey(db.sql, { plan: 'pro' })
  request = (path, init = {}) => api.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } })
})
afterAll(async () => {
  await db.drop()
})

const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  request('/jobs', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })

async function expectError(res: Response, status: number, code: string, messagePart?: string | RegExp): Promise<ErrorBody> {
  const body = (await res.json()) as ErrorBody
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  if (messagePart !== undefined) expect(body.error.message).toMatch(messagePart)
  return body
}

describe('POST /jobs: URL forms', () => {
  const VIDEO = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ'
  // Every spelling of one video: the first creates the job, the rest find it.
  const videoForms = [
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    'http://youtube.com/watch?v=dQw4w9WgXcQ&t=42s',
    'https://m.youtube.com/watch?v=dQw4w9WgXcQ',
    'https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVMdQw4w9WgXcQ',
    'https://youtu.be/dQw4w9WgXcQ?si=abcdef',
    'https://www.youtube.com/shorts/dQw4w9WgXcQ',
    'https://youtube.com/shorts/dQw4w9WgXcQ/',
    'youtube.com/watch?v=dQw4w9WgXcQ',
    '  https://WWW.YOUTUBE.COM/watch?feature=share&v=dQw4w9WgXcQ  ',
    'https://www.youtube.com:443/watch?v=dQw4w9WgXcQ',
  ]

  test('every video URL form is accepted and normalised to one job', async () => {
    const ids = new Set<string>()
    for (const [i, url] of videoForms.entries()) {
      const res = await post({ url, kind: 'single' })
      expect({ url, status: res.status }).toEqual({ url, status: i === 0 ? 201 : 200 })
      const job = (await res.json()) as JobBody
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('location')).toBe(`/jobs/${job.id}`)
      expect(job.url).toBe(VIDEO)
      expect(job.kind).toBe('single')
      expect(job.state).toBe('pending')
      expect(job.meta).toEqual({ youtube_id: 'dQw4w9WgXcQ' })
      ids.add(job.id)
    }
    expect(ids.size).toBe(1)
  })

  test('every channel URL form is accepted and normalised', async () => {
    const cases: [string, string][] = [
      ['https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw', 'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw'],
      ['https://m.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw/videos', 'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw'],
      ['https://www.youtube.com/@LinusTechTips', 'https://www.youtube.com/@linustechtips'],
      ['youtube.com/@linustechtips/streams/', 'https://www.youtube.com/@linustechtips'],
      ['https://www.youtube.com/@%E6%97%A5%E6%9C%AC%E8%AA%9E', 'https://www.youtube.com/@%E6%97%A5%E6%9C%AC%E8%AA%9E'],
      ['https://www.youtube.com/c/LinusTechTips', 'https://www.youtube.com/c/linustechtips'],
      ['https://music.youtube.com/user/LinusTechTips/featured', 'https://www.youtube.com/user/linustechtips'],
    ]
    const seen = new Map<string, string>()
    for (const [url, canonical] of cases) {
      const res = await post({ url, kind: 'channel' })
      expect({ url, status: res.status }).toEqual({ url, status: seen.has(canonical) ? 200 : 201 })
      const job = (await res.json()) as JobBody
      expect(job.url).toBe(canonical)
      expect(job.kind).toBe('channel')
      expect(job.meta.channel).toBeDefined()
      if (seen.has(canonical)) expect(job.id).toBe(seen.get(canonical) ?? '')
      seen.set(canonical, job.id)
    }
  })

  const rejected: [string, 'single' | 'channel', RegExp][] = [
    ['', 'single', /empty/],
    ['not a url at all', 'single', /not a valid URL/],
    ['ftp://youtube.com/watch?v=dQw4w9WgXcQ', 'single', /https/],
    ['javascript:alert(1)', 'single', /https/],
    ['https://vimeo.com/123456', 'single', /not a YouTube host/],
    ['https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ', 'single', /not a YouTube host/],
    ['https://notyoutube.com/watch?v=dQw4w9WgXcQ', 'single', /not a YouTube host/],
    ['https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ', 'single', /credentials/],
    ['https://www.youtube.com:8080/watch?v=dQw4w9WgXcQ', 'single', /port/],
    ['https://www.youtube.com/watch', 'single', /no video id/],
    ['https://www.youtube.com/watch?v=', 'single', /no video id/],
    ['https://www.youtube.com/watch?v=tooShort', 'single', /not a YouTube video id/],
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ!', 'single', /not a YouTube video id/],
    ['https://youtu.be/', 'single', /no video id/],
    ['https://youtu.be/dQw4w9WgXcQ/extra', 'single', /youtu\.be\/ID/],
    ['https://www.youtube.com/shorts/', 'single', /no video id/],
    ['https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf', 'single', /playlist/],
    ['https://www.youtube.com/feed/trending', 'single', /unsupported YouTube URL path/],
    ['https://www.youtube.com/', 'channel', /unsupported YouTube URL path/],
    ['https://www.youtube.com/channel/notachannelid', 'channel', /channel id/],
    ['https://www.youtube.com/@a', 'channel', /handle/],
    ['https://www.youtube.com/@linustechtips/community', 'channel', /unsupported channel page/],
    ['https://www.youtube.com/c/', 'channel', /channel name/],
    ['https://www.youtube.com/@LinusTechTips', 'single', /channel URL: submit it with kind "channel"/],
    ['https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw', 'single', /kind "channel"/],
    ['https://youtu.be/dQw4w9WgXcQ', 'channel', /video URL: submit it with kind "single"/],
    ['https://www.youtube.com/shorts/dQw4w9WgXcQ', 'channel', /kind "single"/],
    [`https://www.youtube.com/watch?v=dQw4w9WgXcQ&x=${'a'.repeat(2100)}`, 'single', /longer than 2048/],
  ]
  test.each(rejected)('%p (kind %p) is a 400 invalid_url naming the problem', async (url, kind, message) => {
    await expectError(await post({ url, kind }), 400, 'invalid_url', message)
  })
})

describe('POST /jobs: body validation', () => {
  const url = 'https://youtu.be/aaaaaaaaaaa'
  test('missing fields', async () => {
    await expectError(await post({ url }), 400, 'missing_field', /kind/)
    await expectError(await post({ kind: 'single' }), 400, 'missing_field', /url/)
    await expectError(await post({}), 400, 'missing_field', /url, kind/)
  })
  test('unknown fields are named, not dropped', async () => {
    await expectError(await post({ url, kind: 'single', priority: 1 }), 400, 'unknown_field', /"priority"/)
    await expectError(await post({ url, kindd: 'single' }), 400, 'unknown_field', /"kindd"/)
  })
  test('wrong types and values', async () => {
    await expectError(await post({ url: 42, kind: 'single' }), 400, 'invalid_url', /string/)
    await expectError(await post({ url, kind: 'playlist' }), 400, 'invalid_kind', /single, channel/)
    await expectError(await post({ url, kind: null }), 400, 'invalid_kind')
  })
  test('not a JSON object', async () => {
    await expectError(await post('{"url":'), 400, 'invalid_json', /not valid JSON/)
    await expectError(await post(''), 400, 'invalid_body', /empty/)
    await expectError(await post('[1,2]'), 400, 'invalid_body', /JSON object/)
    await expectError(await post('"a string"'), 400, 'invalid_body', /JSON object/)
    await expectError(await post('null'), 400, 'invalid_body', /JSON object/)
  })
  test('another content type is a 415', async () => {
    await expectError(await post(JSON.stringify({ url, kind: 'single' }), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type')
    await expectError(await post('url=x&kind=single', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type')
    // JSON with a charset is fine; without a content type, JSON is not assumed (as on every JSON route).
    const ok = await post({ url: 'https://youtu.be/bbbbbbbbbbb', kind: 'single' }, { 'content-type': 'application/json; charset=utf-8' })
    expect(ok.status).toBe(201)
    await expectError(await post({ url: 'https://youtu.be/bbbbbbbbbbb', kind: 'single' }, {}), 415, 'unsupported_media_type')
  })
  test('a body over 16 KiB is a 413, with or without a Content-Length', async () => {
    const big = JSON.stringify({ url, kind: 'single', pad: 'x'.repeat(17 * 1024) })
    await expectError(await post(big), 413, 'payload_too_large', /16384/)
    const chunks = [new TextEncoder().encode('{"url":"'), new TextEncoder().encode('y'.repeat(20 * 1024)), new TextEncoder().encode('"}')]
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c)
        controller.close()
      },
    })
    const res = await request('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit)
    await expectError(res, 413, 'payload_too_large')
    // Exactly at the limit is fine (the URL itself is then what is wrong).
    const atLimit = JSON.stringify({ url: 'u'.repeat(16 * 1024 - 26), kind: 'single' })
    expect(new TextEncoder().encode(atLimit).byteLength).toBe(16 * 1024)
    await expectError(await post(atLimit), 400, 'invalid_url')
  })
})

describe('POST /jobs: dedupe', () => {
  test('a finished job no longer blocks its URL: completed and failed both make a new job (201)', async () => {
    const url = 'https://youtu.be/ccccccccccc'
    const first = (await (await post({ url, kind: 'single' })).json()) as JobBody
    for (const state of ['downloading', 'transcribing', 'persisting']) {
      await db.sql`UPDATE jobs SET state = ${state} WHERE id = ${first.id}`
      const again = await post({ url, kind: 'single' })
      expect(again.status).toBe(200)
      expect(((await again.json()) as JobBody).id).toBe(first.id)
    }
    await db.sql`UPDATE jobs SET state = 'completed' WHERE id = ${first.id}`
    const second = await post({ url, kind: 'single' })
    expect(second.status).toBe(201)
    const secondJob = (await second.json()) as JobBody
    expect(secondJob.id).not.toBe(first.id)
    await db.sql`UPDATE jobs SET state = 'failed' WHERE id = ${secondJob.id}`
    const third = await post({ url, kind: 'single' })
    expect(third.status).toBe(201)
    const [count] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE input_url = 'https://www.youtube.com/watch?v=ccccccccccc'`
    expect(count?.n).toBe(3)
  })

  test('concurrent POSTs of one URL (in any spelling) create exactly one job', async () => {
    for (const id of ['ddddddddddd', 'eeeeeeeeeee', 'fffffffffff']) {
      const spellings = [`https://youtu.be/${id}`, `https://www.youtube.com/watch?v=${id}`, `https://m.youtube.com/shorts/${id}`]
      const responses = await Promise.all(Array.from({ length: 24 }, (_, i) => post({ url: spellings[i % 3], kind: 'single' })))
      const statuses = responses.map((r) => r.status).sort()
      expect(statuses.filter((s) => s === 201).length).toBe(1)
      expect(statuses.filter((s) => s === 200).length).toBe(23)
      const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as JobBody).id)))
      expect(ids.size).toBe(1)
      const [count] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE input_url = ${`https://www.youtube.com/watch?v=${id}`}`
      expect(count?.n).toBe(1)
    }
  })
})

describe('GET /jobs/{id}', () => {
  test('returns the job, with its video once one exists', async () => {
    const created = (await (await post({ url: 'https://youtu.be/ggggggggggg', kind: 'single' })).json()) as JobBody
    const res = await request(`/jobs/${created.id}`)
    expect(res.status).toBe(200)
    expect((await res.json()) as JobBody).toEqual(created)
    const [video] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id) VALUES ('ggggggggggg') RETURNING id`
    const withVideo = (await (await request(`/jobs/${created.id.toUpperCase()}`)).json()) as JobBody
    expect(withVideo.video_id).toBe(video?.id ?? '')
  })
  test('an unknown id is a 404, a malformed one a 400', async () => {
    await expectError(await request('/jobs/00000000-0000-4000-8000-000000000000'), 404, 'job_not_found')
    await expectError(await request('/jobs/not-a-uuid'), 400, 'invalid_id')
    await expectError(await request("/jobs/1'%20OR%201=1"), 400, 'invalid_id')
  })
})

describe('GET /jobs', () => {
  let listDb: TestDatabase
  let listRequest: ReturnType<typeof testApp>['request']
  const STATES = ['pending', 'completed', 'failed'] as const
  beforeAll(async () => {
    listDb = await createTestDatabase({ migrated: true })
    listRequest = testApp(listDb.sql).request
    // 90 jobs, created_at shared by groups of three (so the id breaks ties), states in rotation.
    await listDb.sql`
      INSERT INTO jobs (kind, input_url, state, created_at)
      SELECT 'single', 'https://www.youtube.com/watch?v=list' || lpad(i::text, 7, '0'),
             (ARRAY['pending', 'completed', 'failed'])[1 + i % 3]::job_state,
             '2025-01-01T00:00:00Z'::timestamptz + (i / 3) * interval '1.000001 second'
      FROM generate_series(1, 90) AS i`
  })
  afterAll(async () => {
    await listDb.drop()
  })

  async function walk(query: string, limit: number): Promise<JobBody[]> {
    const seen: JobBody[] = []
    let cursor: string | null = null
    for (let page = 0; page < 200; page++) {
      const res = await listRequest(`/jobs?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as PageBody
      expect(body.items.length).toBeLessThanOrEqual(limit)
      seen.push(...body.items)
      expect(body.page_info.has_next_page).toBe(body.page_info.next_cursor !== null)
      cursor = body.page_info.next_cursor
      if (!cursor) return seen
    }
    throw new Error('pagination did not end')
  }

  async function expected(state?: string): Promise<string[]> {
    const rows = state
      ? await listDb.sql<{ id: string }[]>`SELECT id FROM jobs WHERE state = ${state} ORDER BY created_at DESC, id DESC`
      : await listDb.sql<{ id: string }[]>`SELECT id FROM jobs ORDER BY created_at DESC, id DESC`
    return rows.map((r) => r.id)
  }

  test('walks every job exactly once, newest first, across ties in created_at', async () => {
    for (const limit of [1, 7, 20, 100]) {
      const ids = (await walk('', limit)).map((j) => j.id)
      expect(ids).toEqual(await expected())
    }
  })

  test('default limit is 20; never cached', async () => {
    const res = await listRequest('/jobs')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as PageBody
    expect(body.items.length).toBe(20)
    expect(body.page_info.has_next_page).toBe(true)
  })

  test('filters by state', async () => {
    for (const state of STATES) {
      const items = await walk(`state=${state}`, 8)
      expect(items.every((j) => j.state === state)).toBe(true)
      expect(items.map((j) => j.id)).toEqual(await expected(state))
    }
    const none = (await (await listRequest('/jobs?state=transcribing')).json()) as PageBody
    expect(none).toEqual({ items: [], page_info: { next_cursor: null, has_next_page: false } })
  })

  test('bad parameters are 400s with their own codes', async () => {
    for (const limit of ['0', '101', '-1', '1.5', 'abc', '1e2']) {
      await expectError(await listRequest(`/jobs?limit=${limit}`), 400, 'invalid_limit', /1 to 100/)
    }
    await expectError(await listRequest('/jobs?state=done'), 400, 'invalid_state', /pending/)
    await expectError(await listRequest('/jobs?cursor=garbage'), 400, 'invalid_cursor')
    await expectError(await listRequest('/jobs?cursor=eyJhIjoxfQ.AAAAAAAAAAAA'), 400, 'invalid_cursor')
  })

  test('a cursor only works for the list and filter it came from', async () => {
    const page = (await (await listRequest('/jobs?state=pending&limit=5')).json()) as PageBody
    const cursor = encodeURIComponent(page.page_info.next_cursor ?? '')
    expect((await listRequest(`/jobs?state=pending&limit=5&cursor=${cursor}`)).status).toBe(200)
    // The limit is not part of the scope: a client may change its page size mid-walk.
    expect((await listRequest(`/jobs?state=pending&limit=50&cursor=${cursor}`)).status).toBe(200)
    await expectError(await listRequest(`/jobs?state=failed&cursor=${cursor}`), 400, 'invalid_cursor')
    await expectError(await listRequest(`/jobs?cursor=${cursor}`), 400, 'invalid_cursor')
    const tampered = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`
    await expectError(await listRequest(`/jobs?state=pending&cursor=${tampered}`), 400, 'invalid_cursor')
  })

  test('a hand-made cursor with a valid MAC but impossible values is a 400, never a 500', async () => {
    const scope = 'GET /jobs?state='
    for (const values of [
      ['2025-02-30 00:00:00+00', '00000000-0000-4000-8000-000000000000'],
      ['yesterday', '00000000-0000-4000-8000-000000000000'],
      ['2025-01-01 00:00:00+00', 'not-a-uuid'],
      [1, 2],
      ['2025-01-01 00:00:00+00'],
    ] as (string | number)[][]) {
      const cursor = encodeURIComponent(testCursors.encode(scope, values))
      await expectError(await listRequest(`/jobs?cursor=${cursor}`), 400, 'invalid_cursor')
    }
  })
})

describe('EXPLAIN: the list queries walk a keyset index (60,000 jobs, after ANALYZE)', () => {
  let big: TestDatabase
  let middle: [string, string]
  beforeAll(async () => {
    big = await createTestDatabase({ migrated: true })
    // 98% completed, 2% pending, 1% failed: the planner would scan and sort if no index fitted.
    await big.sql`
      INSERT INTO jobs (kind, input_url, state, priority, created_at)
      SELECT 'single', 'https://www.youtube.com/watch?v=x' || lpad(i::text, 10, '0'),
             (CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 97 = 0 THEN 'failed' ELSE 'completed' END)::job_state,
             100, now() - i * interval '1 second'
      FROM generate_series(1, 60000) AS i`
    await big.sql`ANALYZE jobs`
    await big.sql`ANALYZE videos`
    const [row] = await big.sql<{ key: string; id: string }[]>`
      SELECT created_at::text AS key, id::text FROM jobs ORDER BY created_at DESC, id DESC OFFSET 30000 LIMIT 1`
    middle = [row?.key ?? '', row?.id ?? '']
  })
  afterAll(async () => {
    await big.drop()
  })

  /** Node types (with their relation) and index names of the plan. */
  async function plan(query: ReturnType<typeof listJobsQuery>): Promise<{ nodes: string[]; indexes: string[] }> {
    const found = await planNodes(big.sql, query)
    return { nodes: found.map(describeNode), indexes: indexesOf(found) }
  }

  const cases: [string, JobStateFilter, string[]][] = [
    ['no filter', undefined, ['jobs_created_id_idx']],
    // A rare state: its own slice of the (state, created_at, id) index.
    ['state=failed', 'failed', ['jobs_state_created_id_idx']],
    // Pending jobs also have the worker's partial index, ordered by created_at (ties sorted incrementally).
    ['state=pending', 'pending', ['jobs_pending_idx', 'jobs_state_created_id_idx']],
    // The dominant state: walking the whole-table order and filtering stops after ~limit rows anyway.
    ['state=completed', 'completed', ['jobs_created_id_idx', 'jobs_state_created_id_idx']],
  ]
  test.each(cases)('%s: an index scan, no seq scan on jobs, no full sort', async (_, state, allowed) => {
    for (const after of [undefined, middle]) {
      const { nodes, indexes } = await plan(listJobsQuery(big.sql, state, 20, after))
      expect(indexes.some((i) => allowed.includes(i))).toBe(true)
      expect(nodes).not.toContain('Seq Scan on jobs')
      expect(nodes).not.toContain('Sort')
    }
  })
})

type JobStateFilter = Parameters<typeof listJobsQuery>[1]
