import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { userWithKey } from './support/accounts.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { REDIS_URL } from './support/redis.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// Rate limits across a fleet: three server processes share one database and so one Redis key
// prefix. A and B trust the loopback proxy (TRUST_PROXY=127.0.0.1), so each test can be its own
// client through X-Forwarded-For; C trusts no proxy, so the header must not change who it counts.
// Every fleet-wide class is counted across A and B together; the cached public reads per instance.

const LIMITS = {
  RATE_LIMIT_PUBLIC_READ: '5/60',
  RATE_LIMIT_READ: '6/60',
  RATE_LIMIT_SEARCH: '6/60',
  RATE_LIMIT_EXPORT: '4/60',
  RATE_LIMIT_WRITE: '6/60',
  RATE_LIMIT_AUTH_FAILURE: '5/300',
  RATE_LIMIT_JOB: '6/60',
  RATE_LIMIT_EVENT: '6/60',
}

let db: TestDatabase
let a: ServerProcess
let b: ServerProcess
let c: ServerProcess
let video: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  video = await videoWithTranscript(db.sql, 'rateLimit01', 2)
  const env = { DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'info', ...LIMITS }
  ;[a, b, c] = await Promise.all([
    startServer(['bun', 'src/main.ts', 'serve'], { env: { ...env, TRUST_PROXY: '127.0.0.1' } }),
    startServer(['bun', 'src/main.ts', 'serve'], { env: { ...env, TRUST_PROXY: '127.0.0.1' } }),
    startServer(['bun', 'src/main.ts', 'serve'], { env }),
  ])
}, 120_000)
afterAll(async () => {
  await Promise.all([a, b, c].filter(Boolean).map((s) => s.stop()))
  await db.drop()
})

let clients = 0
/** A client address of its own (X-Forwarded-For, believed by A and B only). */
const newClient = () => `198.51.100.${++clients}`

async function expectRefused(res: Response, cls: string, points: number, seconds: number) {
  expect(res.status).toBe(429)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe('rate_limited')
  const retry = Number(res.headers.get('retry-after'))
  expect(retry).toBeGreaterThanOrEqual(1)
  expect(retry).toBeLessThanOrEqual(seconds)
  expect(res.headers.get('ratelimit-policy')).toBe(`"${cls}";q=${points};w=${seconds}`)
  expect(res.headers.get('ratelimit')).toBe(`"${cls}";r=0;t=${retry}`)
}

/** `n` requests alternating between A and B, one after another; their statuses. */
async function alternate(n: number, path: string, init: () => RequestInit): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${(i % 2 === 0 ? a : b).baseUrl}${path}`, init())
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  return statuses
}

const json = (body: unknown, headers: Record<string, string>): RequestInit => ({ method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('every fleet-wide class is one limit across both instances, per credential', () => {
  const cases: [cls: string, points: number, path: () => string, init: (auth: Record<string, string>) => RequestInit][] = [
    ['read', 6, () => '/jobs', (auth) => ({ headers: auth })],
    ['search', 6, () => '/search?q=hello', (auth) => ({ headers: auth })],
    ['export', 4, () => `/videos/${crypto.randomUUID()}/transcript.srt`, (auth) => ({ headers: auth })],
    ['write', 6, () => '/favorites', (auth) => json({ video_id: crypto.randomUUID(), start_ms: 0, end_ms: 1, text: 'x' }, auth)],
    ['job', 6, () => '/jobs', (auth) => json({ url: 'not a url', kind: 'single' }, auth)],
    ['event', 6, () => '/events', (auth) => json({ type: 'click', payload: {} }, auth)],
  ]
  for (const [cls, points, path, init] of cases) {
    test(cls, async () => {
      const { auth } = await userWithKey(db.sql)
      const statuses = await alternate(points, path(), () => init(auth))
      expect(statuses.filter((s) => s === 429)).toEqual([])
      await expectRefused(await fetch(`${a.baseUrl}${path()}`, init(auth)), cls, points, 60)
      await expectRefused(await fetch(`${b.baseUrl}${path()}`, init(auth)), cls, points, 60)
      // Another credential from the same address has its own count.
      const other = await userWithKey(db.sql)
      expect((await fetch(`${a.baseUrl}${path()}`, init(other.auth))).status).not.toBe(429)
    })
  }
})

test('auth failures: past the limit, credentials from that address get 429 before any lookup', async () => {
  const client = newClient()
  const badKey = { authorization: `Bearer ta_${'x'.repeat(43)}`, 'x-forwarded-for': client }
  const statuses = await alternate(5, '/auth/me', () => ({ headers: badKey }))
  expect(statuses).toEqual([401, 401, 401, 401, 401])
  await expectRefused(await fetch(`${b.baseUrl}/auth/me`, { headers: badKey }), 'auth_failure', 5, 300)
  // Even a valid credential from that address waits; another address is unaffected.
  const { auth } = await userWithKey(db.sql)
  await expectRefused(await fetch(`${a.baseUrl}/auth/me`, { headers: { ...auth, 'x-forwarded-for': client } }), 'auth_failure', 5, 300)
  expect((await fetch(`${a.baseUrl}/auth/me`, { headers: { ...badKey, 'x-forwarded-for': newClient() } })).status).toBe(401)
  expect((await fetch(`${a.baseUrl}/auth/me`, { headers: { ...auth, 'x-forwarded-for': newClient() } })).status).toBe(200)
})

test('cached public reads: counted per instance, fast-path hits included', async () => {
  const client = newClient()
  const get = (s: ServerProcess) => fetch(`${s.baseUrl}/videos/${video}`, { headers: { 'x-forwarded-for': client } })
  const seen: (string | null)[] = []
  for (let i = 0; i < 5; i++) {
    const res = await get(a)
    expect(res.status).toBe(200)
    seen.push(res.headers.get('x-cache'))
    await res.arrayBuffer()
  }
  expect(seen.slice(2)).toEqual(['HIT-L1', 'HIT-L1', 'HIT-L1'])
  await expectRefused(await get(a), 'public_read', 5, 60)
  // B counts its own.
  expect((await get(b)).status).toBe(200)
})

test('without TRUST_PROXY a spoofed X-Forwarded-For is ignored; with it the forwarded client has its own count', async () => {
  // C believes no proxy: every request is 127.0.0.1's, whatever the header claims. Each query is
  // new, so each is a search the router answers (a cached one would be a public read).
  let q = 0
  const search = () => `/search?q=spoof${++q}`
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${c.baseUrl}${search()}`, { headers: { 'x-forwarded-for': newClient() } })
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  expect(statuses.filter((s) => s === 429)).toEqual([])
  await expectRefused(await fetch(`${c.baseUrl}${search()}`, { headers: { 'x-forwarded-for': newClient() } }), 'search', 6, 60)
  // The count is the fleet's: A refuses 127.0.0.1 too, but the client its trusted proxy names is someone else.
  await expectRefused(await fetch(`${a.baseUrl}${search()}`), 'search', 6, 60)
  expect((await fetch(`${a.baseUrl}${search()}`, { headers: { 'x-forwarded-for': newClient() } })).status).toBe(200)
  // Only the right-most untrusted hop counts: a client cannot pick its bucket by prepending addresses.
  const forwarded = newClient()
  for (let i = 0; i < 6; i++) await (await fetch(`${a.baseUrl}${search()}`, { headers: { 'x-forwarded-for': `${newClient()}, ${forwarded}` } })).arrayBuffer()
  await expectRefused(await fetch(`${b.baseUrl}${search()}`, { headers: { 'x-forwarded-for': `10.9.9.9, ${forwarded}` } }), 'search', 6, 60)
})

test('operator endpoints are never limited', async () => {
  for (let i = 0; i < 10; i++) expect((await fetch(`${c.baseUrl}/health`)).status).toBe(200)
})
