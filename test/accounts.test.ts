import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createApp } from '../src/app.ts'
import { createCache } from '../src/cache/create.ts'
import { EventBatcher } from '../src/modules/events/batcher.ts'
import { createSession } from '../src/modules/auth/service.ts'
import { hashToken } from '../src/modules/auth/tokens.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { expectError, userWithKey } from './support/accounts.ts'
import { TEST_CURSOR_SECRET, testConfig, testTimed } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, uniquePrefix } from './support/redis.ts'

// Accounts through one server and one two-tier cache (L1 + Redis): per-user data never crosses
// users, user-specific responses are never stored by a shared cache, public routes ignore who asks,
// every bad credential is a 401 with its own code, admin routes are for admins, and the export
// quota holds under concurrency.

const ADMIN_TOKEN = 'accounts-bootstrap-admin-token-0123456789'

let db: TestDatabase
let redis: RedisClient
let events: EventBatcher
let api: ReturnType<typeof createApp>
let cache: ReturnType<typeof createCache>
let videoId: string

const request = async (path: string, init?: RequestInit) => api.fetch(new Request(`http://localhost${path}`, init))
const get = (path: string, headers: Record<string, string> = {}) => request(path, { headers })
const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  request(path, { method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  redis = await connectedRedis()
  const config = testConfig({ ADMIN_TOKEN })
  cache = createCache(config, redis, quietLog, uniquePrefix())
  await cache.start()
  events = new EventBatcher(db.sql, quietLog, testTimed())
  api = createApp({ config, sql: db.sql, redis, cache, log: quietLog, events, cursorSecret: TEST_CURSOR_SECRET })
  videoId = await videoWithTranscript(db.sql, 'accountsAAA', 30)
}, 30_000)
afterAll(async () => {
  await events.close()
  await cache.close()
  await closeRedis(redis)
  await db.drop()
})

interface MeJson {
  user: { id: string; email: string; role: string; plan: string } | null
  role: string
  plan: string
  credential: { kind: string; scopes: string[]; key_prefix?: string }
  usage: { exports: { used: number; limit: number | null; remaining: number | null }; searches: { used: number } }
}
interface FavoriteJson {
  id: string
  video_id: string
  start_ms: number
  end_ms: number
  text: string | null
  created_at: string
}
interface PageJson<T> {
  items: T[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

/** A user with an API key and a session, and the three ways to present them. */
async function person(plan: 'free' | 'pro' = 'free') {
  const u = await userWithKey(db.sql, { plan })
  const session = await createSession(db.sql, u.account.id, { userAgent: 'test', ip: null })
  return {
    ...u,
    cookie: { cookie: `session=${session.token}` },
    bearerSession: { authorization: `Bearer ${session.token}` },
    xApiKey: { 'x-api-key': u.key },
    ways: [{ cookie: `session=${session.token}` }, { authorization: `Bearer ${u.key}` }, { 'x-api-key': u.key }, { authorization: `Bearer ${session.token}` }] as Record<string, string>[],
  }
}

const PRIVATE = 'private, no-store'
const PER_CALLER_VARY = 'Accept-Encoding, Cookie, Authorization'

describe('two users through the same server and cache', () => {
  test('interleaved, neither ever sees the other’s favorites, /auth/me, usage, keys or exports', async () => {
    const alice = await person('free')
    const bob = await person('pro')
    const users = [
      { name: 'alice', ...alice },
      { name: 'bob', ...bob },
    ]
    // Round after round, alternating users and credential kinds against the same warm cache.
    for (let round = 0; round < 4; round++) {
      for (const u of users) {
        const way = u.ways[round % u.ways.length] ?? {}
        const created = await send('POST', '/favorites', way, { video_id: videoId, start_ms: round * 1000, end_ms: round * 1000 + 500, text: `${u.name} #${round}` })
        expect(created.status).toBe(201)
      }
      for (const u of users) {
        const way = u.ways[(round + 1) % u.ways.length] ?? {}
        const favs = await get('/favorites?limit=100', way)
        expect(favs.headers.get('cache-control')).toBe(PRIVATE)
        expect(favs.headers.get('vary')).toBe(PER_CALLER_VARY)
        const texts = ((await favs.json()) as PageJson<FavoriteJson>).items.map((f) => f.text)
        expect(texts).toHaveLength(round + 1)
        expect(texts.every((t) => t?.startsWith(`${u.name} #`))).toBe(true)

        const me = await get('/auth/me', way)
        expect(me.headers.get('cache-control')).toBe(PRIVATE)
        expect(me.headers.get('vary')).toBe(PER_CALLER_VARY)
        const body = (await me.json()) as MeJson
        expect(body.user?.id).toBe(u.account.id)

        const keys = await get('/auth/api-keys', way)
        expect(keys.headers.get('cache-control')).toBe(PRIVATE)
        expect(((await keys.json()) as { items: { id: string }[] }).items.map((k) => k.id)).toEqual([u.keyId])
      }
      // Exports: the same cached body for both, but each is charged to its own caller only.
      if (round < 2) {
        for (const u of users) {
          const way = u.ways[round] ?? {}
          const res = await get(`/videos/${videoId}/transcript.srt`, way)
          expect(res.status).toBe(200)
          expect(res.headers.get('cache-control')).toBe('private, max-age=60')
          expect(res.headers.get('vary')).toBe(PER_CALLER_VARY)
        }
      }
    }
    const usage = async (u: (typeof users)[number]) => ((await (await get('/auth/me', u.ways[1])).json()) as MeJson).usage.exports
    await events.flush() // bob is exempt: his exports are recorded off the request path
    expect(await usage(users[0]!)).toEqual({ used: 2, limit: 2, remaining: 0 })
    expect(await usage(users[1]!)).toEqual({ used: 2, limit: null, remaining: null })
    // Alice's quota is spent, Bob's (pro) is not: the shared cached export never carries anyone's state.
    await expectError(await get(`/videos/${videoId}/transcript.vtt`, alice.cookie), 402, 'quota_exceeded')
    expect((await get(`/videos/${videoId}/transcript.vtt`, bob.cookie)).status).toBe(200)

    // Nothing per-user in the shared cache: only credential/account lookups and the public export body.
    expect([...cache.stats.byType.keys()].sort()).toEqual(['account', 'api-key', 'session', 'transcript-export'])
  })

  test('another user’s favorite is a 404 to delete; a cursor from another user’s list is a 400', async () => {
    const alice = await person()
    const bob = await person()
    const mine = (await (await send('POST', '/favorites', alice.cookie, { video_id: videoId, start_ms: 0, end_ms: 10 })).json()) as FavoriteJson
    await expectError(await send('DELETE', `/favorites/${mine.id}`, bob.cookie), 404, 'favorite_not_found')
    await expectError(await send('DELETE', `/favorites/${crypto.randomUUID()}`, bob.cookie), 404, 'favorite_not_found')
    expect((await send('DELETE', `/favorites/${mine.id}`, alice.cookie)).status).toBe(204)
    await expectError(await send('DELETE', `/favorites/${mine.id}`, alice.cookie), 404, 'favorite_not_found')

    for (let i = 0; i < 3; i++) await send('POST', '/favorites', alice.cookie, { video_id: videoId, start_ms: i, end_ms: i })
    const page = (await (await get('/favorites?limit=1', alice.cookie)).json()) as PageJson<FavoriteJson>
    await expectError(await get(`/favorites?limit=1&cursor=${page.page_info.next_cursor}`, bob.cookie), 400, 'invalid_cursor')
  })
})

describe('public routes ignore credentials', () => {
  test('videos, transcript and search: identical public bodies for anonymous, either user and a bad token', async () => {
    const alice = await person()
    const bob = await person('pro')
    const callers: Record<string, string>[] = [{}, alice.cookie, { authorization: `Bearer ${bob.key}` }, { authorization: 'Bearer not-a-token' }, { cookie: 'session=garbage' }]
    for (const path of ['/videos', `/videos/${videoId}`, `/videos/${videoId}/transcript`, '/search?q=cache']) {
      const bodies: string[] = []
      for (const headers of callers) {
        const res = await get(path, headers)
        expect({ path, status: res.status }).toEqual({ path, status: 200 })
        expect(res.headers.get('cache-control')).toStartWith('public')
        expect(res.headers.get('vary')).toBe('Accept-Encoding')
        expect(res.headers.getSetCookie()).toEqual([])
        bodies.push(await res.text())
      }
      expect(new Set(bodies).size).toBe(1)
    }
  })

  test('a signed-in search is recorded as a usage event off the hot path; an anonymous one is not', async () => {
    const alice = await person()
    const callers: Record<string, string>[] = [{}, alice.cookie, { authorization: `Bearer ${alice.key}` }, { authorization: 'Bearer nope' }]
    for (const headers of callers) {
      expect((await get('/search?q=hits', headers)).status).toBe(200)
    }
    // The recorder resolves the caller after the response has been produced. Counted per user:
    // other tests' recordings may still be landing in the shared batcher.
    const aliceSearches = async () => {
      await events.flush()
      return db.sql<{ payload: { q: string }; session_id: string | null }[]>`SELECT payload, session_id FROM events WHERE user_id = ${alice.account.id} AND type = 'search' ORDER BY id`
    }
    for (let i = 0; i < 100 && (await aliceSearches()).length < 2; i++) await Bun.sleep(5)
    await Bun.sleep(20)
    const rows = await aliceSearches()
    expect(rows.map((r) => r.payload.q)).toEqual(['hits', 'hits'])
    expect(rows.filter((r) => r.session_id !== null)).toHaveLength(1)
    expect(((await (await get('/auth/me', alice.cookie)).json()) as MeJson).usage.searches.used).toBe(2)
  })
})

describe('credentials', () => {
  test('missing, malformed, forged, expired and revoked credentials are 401s with their own codes', async () => {
    const u = await person()
    expect(await expectError(await get('/auth/me'), 401, 'unauthorized')).toContain('Authorization: Bearer')
    expect(await expectError(await get(`/videos/${videoId}/transcript.srt`), 401, 'unauthorized')).toContain('signed-in caller')
    await expectError(await get('/auth/me', { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'invalid_token')
    await expectError(await get('/auth/me', { authorization: 'Bearer short' }), 401, 'invalid_token')
    await expectError(await get('/auth/me', { 'x-api-key': 'not-a-key' }), 401, 'invalid_token')
    await expectError(await get('/auth/me', { cookie: 'session=tampered!' }), 401, 'invalid_token')
    // Well-formed but never issued (forged): a key with a flipped character, a random session token.
    const forgedKey = u.key.slice(0, -1) + (u.key.endsWith('A') ? 'B' : 'A')
    expect(await expectError(await get('/auth/me', { authorization: `Bearer ${forgedKey}` }), 401, 'invalid_token')).toBe('unknown API key')
    await expectError(await get('/auth/me', { cookie: `session=${'x'.repeat(43)}` }), 401, 'invalid_token')

    const expired = await userWithKey(db.sql, { expiresAt: new Date(Date.now() - 1000) })
    expect(await expectError(await get('/auth/me', expired.auth), 401, 'token_expired')).toContain('expired at')

    const revoked = await userWithKey(db.sql)
    expect((await get('/auth/me', revoked.auth)).status).toBe(200) // now cached as valid
    expect((await send('DELETE', `/auth/api-keys/${revoked.keyId}`, revoked.auth)).status).toBe(204)
    expect(await expectError(await get('/auth/me', revoked.auth), 401, 'token_revoked')).toContain('was revoked at')
  })

  test('API keys: shown once, stored hashed, scoped; the caller cannot grant what it does not hold', async () => {
    const u = await person()
    const res = await send('POST', '/auth/api-keys', u.cookie, { name: 'cli', scopes: ['read'], expires_in_days: 30 })
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; key: string; key_prefix: string; scopes: string[]; expires_at: string }
    expect(created.key).toMatch(/^ta_[A-Za-z0-9_-]{43}$/)
    expect(created.key.startsWith(created.key_prefix)).toBe(true)
    expect(created.scopes).toEqual(['read'])
    expect(Date.parse(created.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000)
    const [row] = await db.sql<{ key_hash: string }[]>`SELECT key_hash FROM api_keys WHERE id = ${created.id}`
    expect(row?.key_hash).toBe(hashToken(created.key))
    const listed = await (await get('/auth/api-keys', u.cookie)).text()
    expect(listed).not.toContain(created.key)
    expect(listed).toContain(created.key_prefix)

    // A read-only key reads, but cannot export, write, or mint keys.
    const readOnly = { 'x-api-key': created.key }
    expect((await get('/auth/me', readOnly)).status).toBe(200)
    await expectError(await get(`/videos/${videoId}/transcript.srt`, readOnly), 403, 'insufficient_scope')
    await expectError(await send('POST', '/favorites', readOnly, { video_id: videoId, start_ms: 0, end_ms: 1 }), 403, 'insufficient_scope')
    // Default scopes: everything the caller holds except admin; admin only for admins.
    const plain = (await (await send('POST', '/auth/api-keys', u.cookie, {})).json()) as { scopes: string[] }
    expect(plain.scopes).toEqual(['read', 'write', 'export'])
    await expectError(await send('POST', '/auth/api-keys', u.cookie, { scopes: ['admin'] }), 403, 'insufficient_scope')
    await expectError(await send('POST', '/auth/api-keys', u.cookie, { scopes: ['root'] }), 400, 'invalid_scopes')
    await expectError(await send('POST', '/auth/api-keys', u.cookie, { nam: 'typo' }), 400, 'unknown_field')
    await expectError(await send('POST', '/auth/api-keys', u.cookie, { expires_in_days: 0 }), 400, 'invalid_expires_in_days')
    // Someone else's key id is a 404.
    const other = await person()
    await expectError(await send('DELETE', `/auth/api-keys/${created.id}`, other.cookie), 404, 'api_key_not_found')
  })

  test('ADMIN_TOKEN is a bootstrap admin without an account', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const me = (await (await get('/auth/me', admin)).json()) as MeJson
    expect(me).toMatchObject({ user: null, role: 'admin', plan: 'pro', credential: { kind: 'admin_token' } })
    expect((await get('/admin/users', admin)).status).toBe(200)
    expect((await get(`/videos/${videoId}/transcript.srt`, admin)).status).toBe(200)
    await expectError(await get('/favorites', admin), 403, 'no_account')
  })
})

describe('admin routes', () => {
  test('non-admins get 403 forbidden; admins list users (by email, by cursor), set plans, list events', async () => {
    const user = await person()
    for (const [method, path] of [['GET', '/admin/users'], ['GET', '/admin/events'], ['POST', `/admin/users/${user.account.id}/plan`]] as const) {
      await expectError(await send(method, path, user.cookie, method === 'POST' ? { plan: 'pro' } : undefined), 403, 'forbidden')
      await expectError(await send(method, path, {}, method === 'POST' ? { plan: 'pro' } : undefined), 401, 'unauthorized')
    }
    // The write routes of the catalogue are admin routes too.
    await expectError(await send('PATCH', `/videos/${videoId}`, user.cookie, { title: 'hijacked' }), 403, 'forbidden')
    const admin = await userWithKey(db.sql, { role: 'admin' })
    const edited = await send('PATCH', `/videos/${videoId}`, admin.auth, { category: 'Edited by an admin user' })
    expect(edited.status).toBe(200)

    const byEmail = await get(`/admin/users?email=${encodeURIComponent(user.account.email?.toUpperCase() ?? '')}`, admin.auth)
    expect(byEmail.headers.get('cache-control')).toBe(PRIVATE)
    expect(byEmail.headers.get('vary')).toBe(PER_CALLER_VARY)
    expect(((await byEmail.json()) as PageJson<{ id: string }>).items.map((u) => u.id)).toEqual([user.account.id])

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = (await (await get(`/admin/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`, admin.auth)).json()) as PageJson<{ id: string }>
      seen.push(...page.items.map((u) => u.id))
      cursor = page.page_info.next_cursor
    } while (cursor)
    const all = await db.sql<{ id: string }[]>`SELECT id FROM users ORDER BY created_at DESC, id DESC`
    expect(seen).toEqual(all.map((r) => r.id))

    // Plan change: effective on the user's very next request (their cached account is invalidated).
    expect(((await (await get('/auth/me', user.cookie)).json()) as MeJson).plan).toBe('free')
    const set = await send('POST', `/admin/users/${user.account.id}/plan`, admin.auth, { plan: 'pro' })
    expect(set.status).toBe(200)
    expect(((await get('/auth/me', user.cookie).then((r) => r.json())) as MeJson).plan).toBe('pro')
    await expectError(await send('POST', `/admin/users/${user.account.id}/plan`, admin.auth, { plan: 'gold' }), 400, 'invalid_plan')
    await expectError(await send('POST', `/admin/users/${crypto.randomUUID()}/plan`, admin.auth, { plan: 'pro' }), 404, 'user_not_found')

    // Events: filter by user and type, walk by cursor.
    for (let i = 0; i < 5; i++) await send('POST', '/events', user.cookie, { type: 'page_view', payload: { i } })
    const walked: number[] = []
    cursor = null
    do {
      const res = await get(`/admin/events?type=page_view&user_id=${user.account.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin.auth)
      const page = (await res.json()) as PageJson<{ type: string; user_id: string; payload: { i: number } }>
      expect(page.items.every((e) => e.type === 'page_view' && e.user_id === user.account.id)).toBe(true)
      walked.push(...page.items.map((e) => e.payload.i))
      cursor = page.page_info.next_cursor
    } while (cursor)
    expect(walked).toEqual([4, 3, 2, 1, 0])
    await expectError(await get('/admin/events?type=Bad Type', admin.auth), 400, 'invalid_type')
    await expectError(await get('/admin/events?cursor=abc', admin.auth), 400, 'invalid_cursor')
  })
})

describe('export quota', () => {
  test('20 concurrent exports by a free user: exactly 2 succeed, 18 are 402 quota_exceeded', async () => {
    const u = await person()
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(`/videos/${videoId}/transcript.${i % 2 ? 'srt' : 'vtt'}`, i % 3 ? u.cookie : u.auth)),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(2)
    expect(statuses.filter((s) => s === 402)).toHaveLength(18)
    const refused = responses.find((r) => r.status === 402)
    expect(((await refused?.json()) as { error: { code: string; message: string } }).error.message).toContain('resets at')
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE user_id = ${u.account.id} AND type = 'export'`
    expect(row?.n).toBe(2)
  })

  test('only exports actually sent count: not 404s, not-ready transcripts, HEAD or 304 revalidations', async () => {
    const u = await person()
    const [bare] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id) VALUES ('notReady001') RETURNING id`
    await expectError(await get(`/videos/${crypto.randomUUID()}/transcript.srt`, u.cookie), 404, 'video_not_found')
    await expectError(await get(`/videos/${bare?.id}/transcript.srt`, u.cookie), 404, 'transcript_not_ready')
    await expectError(await get('/videos/nope/transcript.srt', u.cookie), 400, 'invalid_id')
    const head = await request(`/videos/${videoId}/transcript.srt`, { method: 'HEAD', headers: u.cookie })
    expect(head.status).toBe(200)
    const first = await get(`/videos/${videoId}/transcript.srt`, u.cookie)
    expect(first.status).toBe(200)
    const etag = first.headers.get('etag') ?? ''
    for (let i = 0; i < 3; i++) expect((await get(`/videos/${videoId}/transcript.srt`, { ...u.cookie, 'if-none-match': etag })).status).toBe(304)
    expect((await get(`/videos/${videoId}/transcript.vtt`, u.cookie)).status).toBe(200)
    await expectError(await get(`/videos/${videoId}/transcript.vtt`, u.cookie), 402, 'quota_exceeded')
    // HEAD answers what GET would.
    expect((await request(`/videos/${videoId}/transcript.srt`, { method: 'HEAD', headers: u.cookie })).status).toBe(402)
  })

  test('pro users and admins have no limit', async () => {
    const pro = await person('pro')
    const admin = await userWithKey(db.sql, { role: 'admin' })
    for (let i = 0; i < 5; i++) {
      expect((await get(`/videos/${videoId}/transcript.srt`, pro.cookie)).status).toBe(200)
      expect((await get(`/videos/${videoId}/transcript.srt`, admin.auth)).status).toBe(200)
    }
  })
})

describe('favorites and events', () => {
  test('favorites: validation, 404 for an unknown video, keyset walk with ties on created_at', async () => {
    const u = await person()
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: videoId, start_ms: 5, end_ms: 4 }), 400, 'invalid_range')
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: videoId, start_ms: -1, end_ms: 4 }), 400, 'invalid_start_ms')
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: 'x', start_ms: 0, end_ms: 4 }), 400, 'invalid_video_id')
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: videoId, start_ms: 0, end_ms: 4, note: 'typo' }), 400, 'unknown_field')
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: videoId, start_ms: 0, end_ms: 4, text: 'x'.repeat(2001) }), 400, 'invalid_text')
    await expectError(await send('POST', '/favorites', u.cookie, { video_id: crypto.randomUUID(), start_ms: 0, end_ms: 4 }), 404, 'video_not_found')
    await expectError(await request('/favorites', { method: 'POST', headers: { ...u.cookie, 'content-type': 'text/plain' }, body: '{}' }), 415, 'unsupported_media_type')
    await expectError(await request('/favorites', { method: 'POST', headers: { ...u.cookie, 'content-type': 'application/json' }, body: '{' }), 400, 'invalid_json')

    // Seven favorites sharing one created_at to the microsecond, plus five more: ties break by id.
    await db.sql`
      INSERT INTO favorites (user_id, video_id, start_ms, end_ms, text, created_at)
      SELECT ${u.account.id}, ${videoId}, i, i, 'f' || i,
             CASE WHEN i <= 7 THEN timestamptz '2025-01-01 00:00:00.123456+00' ELSE timestamptz '2025-01-01 00:00:00.123456+00' + i * interval '1 microsecond' END
      FROM generate_series(1, 12) AS i`
    const walked: string[] = []
    let cursor: string | null = null
    do {
      const page = (await (await get(`/favorites?limit=5${cursor ? `&cursor=${cursor}` : ''}`, u.cookie)).json()) as PageJson<FavoriteJson>
      walked.push(...page.items.map((f) => f.id))
      cursor = page.page_info.next_cursor
    } while (cursor)
    const expected = await db.sql<{ id: string }[]>`SELECT id FROM favorites WHERE user_id = ${u.account.id} ORDER BY created_at DESC, id DESC`
    expect(walked).toEqual(expected.map((r) => r.id))
    await expectError(await get('/favorites?limit=0', u.cookie), 400, 'invalid_limit')
  })

  test('events: one, a batch of up to 100 (all or nothing), reserved types and size limits', async () => {
    const u = await person()
    const one = await send('POST', '/events', u.cookie, { type: 'clip_shared', payload: { video_id: videoId } })
    expect(one.status).toBe(201)
    expect(((await one.json()) as { type: string; user_id: string }).user_id).toBe(u.account.id)
    const batch = await send('POST', '/events/batch', u.bearerSession, { events: Array.from({ length: 100 }, (_, i) => ({ type: 'tick', payload: { i } })) })
    expect(batch.status).toBe(201)
    expect(((await batch.json()) as { recorded: number; ids: string[] }).recorded).toBe(100)
    const stored = await db.sql<{ n: number; sessions: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT session_id)::int AS sessions FROM events WHERE user_id = ${u.account.id} AND type = 'tick'`
    expect(stored[0]).toEqual({ n: 100, sessions: 1 })

    await expectError(await send('POST', '/events/batch', u.cookie, { events: Array.from({ length: 101 }, () => ({ type: 'tick' })) }), 400, 'invalid_batch')
    await expectError(await send('POST', '/events/batch', u.cookie, { events: [] }), 400, 'invalid_batch')
    const bad = await send('POST', '/events/batch', u.cookie, { events: [{ type: 'ok' }, { type: 'ok' }, { type: 'Not OK' }] })
    expect(await expectError(bad, 400, 'invalid_type')).toStartWith('events[2].type')
    const [okCount] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE user_id = ${u.account.id} AND type = 'ok'`
    expect(okCount?.n).toBe(0)
    await expectError(await send('POST', '/events', u.cookie, { type: 'export' }), 400, 'reserved_type')
    await expectError(await send('POST', '/events', u.cookie, { type: 'x', payload: [1] }), 400, 'invalid_payload')
    await expectError(await send('POST', '/events', u.cookie, { type: 'x', payload: { s: 'y'.repeat(5000) } }), 400, 'invalid_payload')
    await expectError(await send('POST', '/events', u.cookie, { type: 'x', payload: { s: 'y'.repeat(9000) } }), 413, 'payload_too_large')
    await expectError(await send('POST', '/events', u.cookie, { type: 'x', extra: 1 }), 400, 'unknown_field')
    await expectError(await send('POST', '/events', {}, { type: 'x' }), 401, 'unauthorized')
  })
})
