import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectError, userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// A JSON string may spell a lone UTF-16 surrogate (`"\ud800"`), which is no Unicode character:
// PostgreSQL refuses it in json and text (these answered 500 before). Every route that stores a
// JSON body answers it with 400 `invalid_unicode`, in a value or in a key, and stores nothing;
// a proper surrogate pair (an emoji) is ordinary text.

const ADMIN_TOKEN = 'unicode-bodies-admin-token-0123456789ab'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

let db: TestDatabase
let api: ReturnType<typeof testApp>
let user: Awaited<ReturnType<typeof userWithKey>>
let videoId: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  api = testApp(db.sql, { env: { ADMIN_TOKEN } })
  user = await userWithKey(db.sql)
  videoId = await videoWithTranscript(db.sql, 'unicodeAAAA', 3)
})
afterAll(async () => {
  await db.drop()
})

/** The JSON text of `body` with `LONE` replaced by the escape of a lone high surrogate. */
const LONE = 'LONE_SURROGATE'
const withLone = (body: unknown, escape = '\\ud800') => JSON.stringify(body).replaceAll(LONE, escape)

const send = (method: string, path: string, headers: Record<string, string>, text: string) =>
  api.request(path, { method, headers: { ...headers, 'content-type': 'application/json' }, body: text })

const routes: { name: string; method: string; path: () => string; headers: () => Record<string, string>; body: (s: string) => unknown }[] = [
  { name: 'POST /events', method: 'POST', path: () => '/events', headers: () => user.auth, body: (s) => ({ type: 'click', payload: { a: s } }) },
  { name: 'POST /events (a key)', method: 'POST', path: () => '/events', headers: () => user.auth, body: (s) => ({ type: 'click', payload: { [s]: 1 } }) },
  { name: 'POST /events/batch', method: 'POST', path: () => '/events/batch', headers: () => user.auth, body: (s) => ({ events: [{ type: 'click', payload: { deep: [[{ a: s }]] } }] }) },
  { name: 'POST /favorites', method: 'POST', path: () => '/favorites', headers: () => user.auth, body: (s) => ({ video_id: videoId, start_ms: 0, end_ms: 1, text: s }) },
  { name: 'POST /auth/api-keys', method: 'POST', path: () => '/auth/api-keys', headers: () => user.auth, body: (s) => ({ name: s }) },
  { name: 'PATCH /videos/{id}', method: 'PATCH', path: () => `/videos/${videoId}`, headers: () => admin, body: (s) => ({ title: s }) },
  {
    name: 'PUT /videos/{id}/transcript',
    method: 'PUT',
    path: () => `/videos/${videoId}/transcript?source=youtube`,
    headers: () => admin,
    body: (s) => ({ segments: [{ start_ms: 0, end_ms: 1000, text: s }] }),
  },
  { name: 'POST /jobs', method: 'POST', path: () => '/jobs', headers: () => user.auth, body: (s) => ({ url: `https://www.youtube.com/watch?v=${s}`, kind: 'single' }) },
  { name: 'POST /admin/users/{id}/plan', method: 'POST', path: () => `/admin/users/${user.account.id}/plan`, headers: () => admin, body: (s) => ({ plan: s }) },
]

describe('a lone surrogate in a JSON body is 400 invalid_unicode', () => {
  for (const r of routes) {
    test(r.name, async () => {
      const before = await db.sql`SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM favorites) AS f, (SELECT count(*) FROM api_keys) AS k`
      for (const escape of ['\\ud800', '\\uDFFF', '\\udc00\\ud800']) {
        await expectError(await send(r.method, r.path(), r.headers(), withLone(r.body(LONE), escape)), 400, 'invalid_unicode')
      }
      expect(await db.sql`SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM favorites) AS f, (SELECT count(*) FROM api_keys) AS k`).toEqual(before)
    })
  }
})

describe('surrogate pairs are text like any other', () => {
  test('an emoji, escaped or not, is stored and read back', async () => {
    for (const text of [withLone({ type: 'click', payload: { a: LONE } }, '\\ud83d\\ude00'), JSON.stringify({ type: 'click', payload: { a: '😀' } })]) {
      const res = await send('POST', '/events', user.auth, text)
      expect(res.status).toBe(201)
      expect(((await res.json()) as { payload: { a: string } }).payload.a).toBe('😀')
    }
    const fav = await send('POST', '/favorites', user.auth, withLone({ video_id: videoId, start_ms: 0, end_ms: 1, text: `x${LONE}` }, '\\ud83d\\ude00'))
    expect(fav.status).toBe(201)
    expect(((await fav.json()) as { text: string }).text).toBe('x😀')
  })

  test('a backslash before "ud800" is an escaped backslash, not an escape', async () => {
    const res = await send('POST', '/events', user.auth, '{"type":"click","payload":{"a":"\\\\ud800"}}')
    expect(res.status).toBe(201)
    expect(((await res.json()) as { payload: { a: string } }).payload.a).toBe('\\ud800')
  })
})
