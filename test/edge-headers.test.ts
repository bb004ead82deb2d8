import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { chromium, type Browser } from 'playwright-core'
import { userWithKey } from './support/accounts.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { REDIS_URL } from './support/redis.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// What every response of a real server carries besides its content (src/http/edge.ts): the
// security headers, a request id (echoed or made) and, for the origins in CORS_ORIGINS, the CORS
// headers, whichever path answered it (fast path, router, error handler). A real browser on another
// origin calls the API through CORS; one on an origin not listed is refused.
//
// The server trusts the loopback proxy, so each test is a client of its own (X-Forwarded-For): its
// address is what log lines must name, and its rate limits are its own.

let db: TestDatabase
let api: ServerProcess
let web: Server<undefined>
let browser: Browser
let video: string
let user: Awaited<ReturnType<typeof userWithKey>>
/** The page's origin, allowed by the API (the only one besides OTHER_ORIGIN). */
let allowedOrigin: string
/** The same page under another host name: another origin, not allowed. */
let refusedOrigin: string
const OTHER_ORIGIN = 'https://app.example.test'

const SECURITY = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' }
const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>another site</title></head><body>a page of another site</body></html>'

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  video = await videoWithTranscript(db.sql, 'edgeHeader1', 2)
  user = await userWithKey(db.sql, { email: 'edge-user@example.test' })
  web = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }) })
  allowedOrigin = `http://127.0.0.1:${web.port}`
  refusedOrigin = `http://localhost:${web.port}`
  api = await startServer(['bun', 'src/main.ts', 'serve'], {
    env: {
      DATABASE_URL: db.url,
      REDIS_URL,
      LOG_LEVEL: 'info',
      TRUST_PROXY: '127.0.0.1',
      CORS_ORIGINS: `${allowedOrigin},${OTHER_ORIGIN}`,
      // A write class small enough to reach its 429 in three requests.
      RATE_LIMIT_WRITE: '2/60',
    },
  })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await api?.stop()
  web?.stop(true)
  await db?.drop()
})

let clients = 0
/** A client address of its own, as the trusted proxy names it. */
const newClient = () => `203.0.113.${++clients}`

const get = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  fetch(`${api.baseUrl}${path}`, { ...init, headers: { 'x-forwarded-for': newClient(), ...headers } })

function expectEdgeHeaders(res: Response, what: string) {
  const seen = Object.fromEntries(Object.keys(SECURITY).map((name) => [name, res.headers.get(name)]))
  expect({ what, ...seen }).toEqual({ what, ...SECURITY })
  // PUBLIC_BASE_URL is http here: no HSTS.
  expect(res.headers.get('strict-transport-security')).toBeNull()
  expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
}

describe('security headers and request ids', () => {
  test('on a miss, a fast-path hit, a 304, /health, /ready, /metrics and /swagger', async () => {
    const miss = await get(`/videos/${video}`)
    expect(miss.headers.get('x-cache')).toBe('MISS')
    expectEdgeHeaders(miss, 'miss')
    const hit = await get(`/videos/${video}`)
    expect(hit.headers.get('x-cache')).toBe('HIT-L1')
    expectEdgeHeaders(hit, 'hit')
    // Two hits of one prepared header set still get ids of their own.
    const again = await get(`/videos/${video}`)
    expect(again.headers.get('x-request-id')).not.toBe(hit.headers.get('x-request-id'))
    const notModified = await get(`/videos/${video}`, { 'if-none-match': hit.headers.get('etag') ?? '' })
    expect(notModified.status).toBe(304)
    expectEdgeHeaders(notModified, '304')
    for (const path of ['/health', '/ready', '/metrics', '/swagger', '/swagger/json']) {
      const res = await get(path)
      expect({ path, status: res.status }).toEqual({ path, status: 200 })
      expectEdgeHeaders(res, path)
    }
  })

  test('on errors: 404 (no route, no video), 400 validation, 400 bad JSON, 401 with WWW-Authenticate, 429', async () => {
    const errors: [string, Response, number][] = [
      ['no route', await get('/no/such/route'), 404],
      ['no video', await get('/videos/00000000-0000-4000-8000-000000000000'), 404],
      ['validation', await get('/videos?limit=banana'), 400],
      ['bad json', await get('/auth/api-keys', { ...user.auth, 'content-type': 'application/json' }, { method: 'POST', body: '{"name":' }), 400],
    ]
    for (const [what, res, status] of errors) {
      expect({ what, status: res.status }).toEqual({ what, status })
      expectEdgeHeaders(res, what)
    }
    const anonymous = await get('/auth/me')
    expect(anonymous.status).toBe(401)
    expectEdgeHeaders(anonymous, '401 without credentials')
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="transcript-api"')
    for (const auth of <Record<string, string>[]>[{ authorization: 'Bearer ta_notarealkeynotarealkeynotarealkeynotarealke' }, { authorization: 'Basic abc' }, { 'x-api-key': 'nope' }]) {
      const bad = await get('/auth/me', auth)
      expect(bad.status).toBe(401)
      expectEdgeHeaders(bad, '401 with a bad credential')
      expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="transcript-api", error="invalid_token"')
    }
    // RATE_LIMIT_WRITE=2/60 for one client: two 401s (no credentials), then the 429.
    const client = newClient()
    const writes: Response[] = []
    for (let i = 0; i < 3; i++) writes.push(await get(`/videos/${video}`, { 'x-forwarded-for': client, 'content-type': 'application/json' }, { method: 'PATCH', body: '{"title":"x"}' }))
    expect(writes.map((r) => r.status)).toEqual([401, 401, 429])
    const refused = writes[2] as Response
    expectEdgeHeaders(refused, '429')
    expect(refused.headers.get('retry-after')).not.toBeNull()
  })

  test('a valid incoming X-Request-Id is echoed; an invalid one is replaced; both on hits and on the router', async () => {
    await get(`/videos/${video}`)
    for (const path of [`/videos/${video}`, '/health', '/no/such/route']) {
      const echoed = await get(path, { 'x-request-id': 'trace.Abc-123:4_5' })
      expect({ path, id: echoed.headers.get('x-request-id') }).toEqual({ path, id: 'trace.Abc-123:4_5' })
      for (const invalid of ['a'.repeat(129), 'has space', 'semi;colon', 'quote"']) {
        const replaced = await get(path, { 'x-request-id': invalid })
        const id = replaced.headers.get('x-request-id') ?? ''
        expect({ path, invalid, ok: id !== invalid && /^[A-Za-z0-9._:-]{1,128}$/.test(id) }).toEqual({ path, invalid, ok: true })
      }
    }
    const longest = 'x'.repeat(128)
    expect((await get('/health', { 'x-request-id': longest })).headers.get('x-request-id')).toBe(longest)
  })

  test('each request line names the request id and the client address, on the fast path and the router', async () => {
    await get(`/videos/${video}`)
    const client = newClient()
    await get(`/videos/${video}`, { 'x-forwarded-for': client, 'x-request-id': 'line-hit-1' })
    await get('/no/such/route', { 'x-forwarded-for': client, 'x-request-id': 'line-404-1' })
    const lineOf = async (id: string) => {
      for (let i = 0; i < 50; i++) {
        const line = api.output().split('\n').find((l) => l.includes(`"request_id":"${id}"`))
        if (line) return JSON.parse(line) as Record<string, unknown>
        await Bun.sleep(20)
      }
      throw new Error(`no log line for ${id}`)
    }
    expect(await lineOf('line-hit-1')).toMatchObject({ msg: 'request', route: '/videos/:id', status: 200, ip: client })
    expect(await lineOf('line-404-1')).toMatchObject({ msg: 'request', route: '(unmatched)', status: 404, ip: client })
  })
})

describe('CORS', () => {
  const originHeaders = (res: Response) => ({
    allowOrigin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
    vary: (res.headers.get('vary') ?? '').includes('Origin'),
  })

  test('a listed origin gets its own Allow-Origin, credentials and exposed headers; others none; every answer varies by Origin', async () => {
    const allowed = await get('/health', { origin: allowedOrigin })
    expect(originHeaders(allowed)).toEqual({ allowOrigin: allowedOrigin, credentials: 'true', vary: true })
    expect(allowed.headers.get('access-control-expose-headers')).toContain('X-Request-Id')
    for (const origin of [refusedOrigin, 'null', 'https://evil.example']) {
      const refused = await get('/health', { origin })
      expect({ origin, ...originHeaders(refused) }).toEqual({ origin, allowOrigin: null, credentials: null, vary: true })
      expect([...refused.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([])
    }
    expect(originHeaders(await get('/health'))).toEqual({ allowOrigin: null, credentials: null, vary: true })
  })

  test('preflights: 204 with methods, headers and max age for a listed origin; 403 and no CORS headers for another', async () => {
    const preflight = (origin: string) =>
      get('/auth/me', { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-request-id' }, { method: 'OPTIONS' })
    const ok = await preflight(OTHER_ORIGIN)
    expect(ok.status).toBe(204)
    expect(originHeaders(ok)).toEqual({ allowOrigin: OTHER_ORIGIN, credentials: 'true', vary: true })
    expect(ok.headers.get('access-control-allow-methods')).toContain('GET')
    expect(ok.headers.get('access-control-allow-headers')).toContain('Authorization')
    expect(ok.headers.get('access-control-allow-headers')).toContain('X-Request-Id')
    expect(Number(ok.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    expectEdgeHeaders(ok, 'preflight')
    // Any path, a route or not.
    expect((await get('/no/such/route', { origin: OTHER_ORIGIN, 'access-control-request-method': 'POST' }, { method: 'OPTIONS' })).status).toBe(204)
    const refused = await preflight(refusedOrigin)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed')
    expect([...refused.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([])
    expectEdgeHeaders(refused, 'refused preflight')
  })

  test('the Origin is not part of the cache key: a second site gets a hit of the first one’s entry, with its own headers', async () => {
    const id = await videoWithTranscript(db.sql, 'edgeHeader2', 1)
    const first = await get(`/videos/${id}`, { origin: allowedOrigin })
    expect(first.headers.get('x-cache')).toBe('MISS')
    const second = await get(`/videos/${id}`, { origin: OTHER_ORIGIN })
    expect(second.headers.get('x-cache')).toBe('HIT-L1')
    expect(originHeaders(second)).toEqual({ allowOrigin: OTHER_ORIGIN, credentials: 'true', vary: true })
    const refused = await get(`/videos/${id}`, { origin: refusedOrigin })
    expect(refused.headers.get('x-cache')).toBe('HIT-L1')
    expect(originHeaders(refused).allowOrigin).toBeNull()
    // And back: each origin's prepared set stays its own.
    const third = await get(`/videos/${id}`, { origin: allowedOrigin })
    expect(originHeaders(third)).toEqual({ allowOrigin: allowedOrigin, credentials: 'true', vary: true })
    expect(await third.text()).toBe(await second.text())
  })

  test('a browser on a listed origin calls GET /videos and, after a preflight, GET /auth/me with an API key; on another origin it is refused', async () => {
    const page = await browser.newPage()
    const calls = async (origin: string) => {
      await page.goto(`${origin}/`)
      return page.evaluate(
        async ([base, key]) => {
          const attempt = async (path: string, init?: RequestInit) => {
            try {
              const res = await fetch(`${base}${path}`, init)
              const body = (await res.json()) as Record<string, unknown>
              return { status: res.status, requestId: res.headers.get('x-request-id'), etag: res.headers.get('etag'), keys: Object.keys(body).sort().join(',') }
            } catch (err) {
              return { failed: String(err) }
            }
          }
          return {
            videos: await attempt('/videos?limit=2'),
            me: await attempt('/auth/me', { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'browser-me-1' } }),
          }
        },
        [api.baseUrl, user.key] as const,
      )
    }
    const preflights = () => api.output().split('\n').filter((l) => l.includes('"method":"OPTIONS"') && l.includes('"status":204')).length
    const before = preflights()
    const allowed = await calls(allowedOrigin)
    expect(allowed.videos).toMatchObject({ status: 200, keys: 'items,page_info' })
    // Exposed headers are readable by the page's script.
    expect(allowed.videos).toMatchObject({ requestId: expect.stringMatching(/./), etag: expect.stringMatching(/^W\//) })
    expect(allowed.me).toMatchObject({ status: 200, requestId: 'browser-me-1' })
    // The Authorization header made the browser ask first.
    for (let i = 0; i < 50 && preflights() === before; i++) await Bun.sleep(20)
    expect(preflights()).toBeGreaterThan(before)

    const refused = await calls(refusedOrigin)
    expect(refused.videos).toMatchObject({ failed: expect.stringContaining('Failed to fetch') })
    expect(refused.me).toMatchObject({ failed: expect.stringContaining('Failed to fetch') })
    await page.close()
  }, 60_000)
})
