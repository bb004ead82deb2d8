import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { l1Budget } from '../src/cache/create.ts'
import type { Exchange } from '../src/http/edge.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The fast path (src/http/fast-path.ts) answers fresh L1 hits of the declared public cached GETs.
// Each test counts the requests that reach the router (an onRequest hook) to tell who answered,
// and checks the lane's answers are the router's, header for header.

const TOKEN = 'fast-lane-admin-token-0123456789abcdef'
let db: TestDatabase
let videoId: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  videoId = await videoWithTranscript(db.sql, 'fastLane001', 40)
}, 60_000)
afterAll(async () => {
  await db.drop()
})

/** A test app whose router counts the requests it sees. */
function countingApp(env: Record<string, string> = {}) {
  const api = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN, ...env } })
  let routed = 0
  api.app.onRequest(() => {
    routed++
  })
  return { ...api, routed: () => routed }
}

/** A request and its exchange from 127.0.0.1, as app.fetch hands them to the fast path. */
function atAddress(api: ReturnType<typeof countingApp>, url: string): [Request, Exchange] {
  const request = new Request(url)
  return [request, api.edge.exchange(request, '127.0.0.1')]
}

const headersOf = (res: Response) => Object.fromEntries([...res.headers.entries()].sort(([a], [b]) => a.localeCompare(b)))

async function metricValue(api: ReturnType<typeof countingApp>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await api.metrics.registry.getSingleMetric(name)?.get()
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
  return match?.value ?? 0
}

describe('the fast path', () => {
  test('answers a cached URL without the router, with exactly the router’s headers and bytes, in every variant', async () => {
    const api = countingApp()
    const variants: [string, RequestInit][] = [
      // The same request id for both paths: each echoes it, so every header can be compared.
      ['gzip', { headers: { 'accept-encoding': 'gzip', 'x-request-id': 'compare-gzip' } }],
      ['identity', { headers: { 'accept-encoding': 'identity', 'x-request-id': 'compare-identity' } }],
      ['HEAD', { method: 'HEAD', headers: { 'accept-encoding': 'gzip', 'x-request-id': 'compare-head' } }],
    ]
    for (const path of [`/videos/${videoId}`, `/videos/${videoId}/transcript`, '/search?q=cache&limit=5', '/videos?limit=3']) {
      expect((await api.request(path)).headers.get('x-cache')).toBe('MISS')
      // A second router answer (HIT-L1) to compare with: a fresh app would learn from the first.
      const before = api.routed()
      for (const [name, init] of variants) {
        const lane = await api.request(path, init)
        expect({ path, name, xCache: lane.headers.get('x-cache') }).toEqual({ path, name, xCache: 'HIT-L1' })
        const router = await api.app.handle(new Request(`http://localhost${path}`, init))
        expect(headersOf(lane)).toEqual(headersOf(router))
        expect(new Uint8Array(await lane.arrayBuffer())).toEqual(new Uint8Array(await router.arrayBuffer()))
      }
      // Only the direct router calls above reached it.
      expect(api.routed() - before).toBe(variants.length)
    }
  })

  test('answers If-None-Match with a 304 like the router', async () => {
    const api = countingApp()
    const first = await api.request(`/videos/${videoId}`)
    const etag = first.headers.get('etag') ?? ''
    const before = api.routed()
    const revalidated = await api.request(`/videos/${videoId}`, { headers: { 'if-none-match': etag } })
    expect(api.routed()).toBe(before)
    expect(revalidated.status).toBe(304)
    expect(revalidated.headers.get('etag')).toBe(etag)
    expect(await revalidated.text()).toBe('')
  })

  test('answers other spellings of a cached URL from the same L1 entry, exactly as the router does; leaves callers with credentials and writes to the router', async () => {
    const api = countingApp()
    await api.request(`/videos/${videoId}`)
    let before = api.routed()
    // The route's own parser makes the same cache request of these (ids are case-insensitive,
    // unknown parameters ignored): the fast path answers them from the entry the router filled.
    for (const path of [`/videos/${videoId.toUpperCase()}`, `/videos/${videoId}?utm=x`]) {
      const init = { headers: { 'x-request-id': `compare-${path.replace(/[^A-Za-z0-9]/g, '.')}` } }
      const fast = await api.request(path, init)
      expect({ path, xCache: fast.headers.get('x-cache') }).toEqual({ path, xCache: 'HIT-L1' })
      const router = await api.app.handle(new Request(`http://localhost${path}`, init))
      expect(headersOf(fast)).toEqual(headersOf(router))
      expect(await fast.text()).toBe(await router.text())
    }
    // Only the direct router calls above reached it.
    expect(api.routed() - before).toBe(2)

    before = api.routed()
    for (const headers of [['authorization', 'Bearer nope'], ['x-api-key', 'nope'], ['cookie', 'session=nope']] as [string, string][]) {
      await api.request(`/videos/${videoId}`, { headers: [headers] })
    }
    expect(api.routed() - before).toBe(3)

    before = api.routed()
    const patched = await api.request(`/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Renamed while learned' }),
    })
    expect(patched.status).toBe(200)
    expect(api.routed() - before).toBe(1)
  })

  test('an odd Host header cannot make it answer for another path', async () => {
    const api = countingApp()
    await api.request(`/videos/${videoId}`)
    // With a one-letter host the router (Elysia) reads the path from a fixed offset of the URL and
    // sees /videos/{id} here; the path actually asked for is /videos/videos/{id}, which has no route.
    const odd = `http://a/videos/videos/${videoId}`
    const first = await api.fetch(new Request(odd))
    const before = api.routed()
    const second = await api.fetch(new Request(odd))
    expect(api.routed() - before).toBe(1)
    expect([second.status, second.headers.get('x-cache')]).toEqual([first.status, first.headers.get('x-cache')])
  })

  test('a one-letter Host cannot make it answer one query with the results of another', async () => {
    const api = countingApp()
    // The URL asks for q=a/search?q=evil; a router reading the path from a fixed offset would see `/search?q=evil`.
    const odd = 'http://a/search?q=a/search?q=evil'
    const first = await api.fetch(new Request(odd))
    expect(first.headers.get('x-cache')).toBe('MISS')
    const before = api.routed()
    const fast = await api.fetch(new Request(odd))
    expect([api.routed() - before, fast.headers.get('x-cache')]).toEqual([0, 'HIT-L1'])
    // Its answer is the one for the query the URL really asks, as the router gives it.
    const router = await api.app.handle(new Request('http://localhost/search?q=a%2Fsearch%3Fq%3Devil'))
    expect(router.headers.get('x-cache')).toBe('HIT-L1')
    expect(await fast.text()).toBe(await router.text())
    // And nothing was cached (or answered) for q=evil.
    expect((await api.request('/search?q=evil')).headers.get('x-cache')).toBe('MISS')
  })

  test('URLs over 2,048 characters are left to the router, not remembered', async () => {
    const api = countingApp()
    const padded = `/videos/${videoId}?pad=${'x'.repeat(2100)}`
    expect((await api.request(padded)).headers.get('x-cache')).toBe('MISS')
    expect((await api.request(padded)).headers.get('x-cache')).toBe('HIT-L1')
    const before = api.routed()
    await api.request(padded)
    expect(api.routed() - before).toBe(1)
  })

  test('never serves a value after its invalidation, nor past its freshness (stale goes to the router, which revalidates)', async () => {
    const api = countingApp({ CACHE_VIDEO_TTL: '1' })
    const id = await videoWithTranscript(db.sql, 'fastLane002', 1)
    const title = async () => ((await (await api.request(`/videos/${id}`)).json()) as { title: string }).title
    const original = await title()
    expect(await title()).toBe(original)
    const patched = await api.request(`/videos/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'After the edit' }),
    })
    expect(patched.status).toBe(200)
    expect(await title()).toBe('After the edit')

    await Bun.sleep(1200) // past the 1 s TTL (± 10 %)
    const before = api.routed()
    const stale = await api.request(`/videos/${id}`)
    expect(stale.headers.get('x-cache')).toBe('STALE')
    expect(api.routed() - before).toBe(1)
  })

  test('a cached 404 is the router’s to answer', async () => {
    const api = countingApp()
    const missing = '00000000-0000-4000-8000-000000000000'
    expect((await api.request(`/videos/${missing}`)).status).toBe(404)
    const before = api.routed()
    const again = await api.request(`/videos/${missing}`)
    expect([again.status, again.headers.get('x-cache'), again.headers.get('cache-control')]).toEqual([404, 'HIT-L1', 'no-store'])
    expect(api.routed() - before).toBe(1)
  })

  test('its answers are in the request metrics and search_queries_total like the router’s', async () => {
    const api = countingApp()
    const path = '/search?q=ready%20responses&limit=2'
    expect((await api.request(path)).status).toBe(200)
    const searches = await metricValue(api, 'search_queries_total')
    const served = await metricValue(api, 'http_requests_total', { method: 'GET', route: '/search', status: '200' })
    const before = api.routed()
    for (let i = 0; i < 5; i++) expect((await api.request(path)).headers.get('x-cache')).toBe('HIT-L1')
    expect(api.routed()).toBe(before)
    expect((await metricValue(api, 'search_queries_total')) - searches).toBe(5)
    expect((await metricValue(api, 'http_requests_total', { method: 'GET', route: '/search', status: '200' })) - served).toBe(5)
  })

  test('bad input is the router’s to answer (a 400), and is not remembered', async () => {
    const api = countingApp()
    const before = api.routed()
    for (const path of ['/videos/not-a-uuid', '/search?q=', '/videos?limit=0']) {
      expect({ path, status: (await api.request(path)).status }).toEqual({ path, status: 400 })
    }
    expect(api.routed() - before).toBe(3)
    expect(api.fastPath.memoBytes).toBe(0)
    // A repeated parameter reads as the router's query parser reads it (the last one wins), on both paths.
    const router = await api.request('/search?q=a&q=b')
    const fast = await api.request('/search?q=a&q=b')
    expect([router.headers.get('x-cache'), fast.headers.get('x-cache')]).toEqual(['MISS', 'HIT-L1'])
    expect(api.routed() - before).toBe(4)
    const last = await api.app.handle(new Request('http://localhost/search?q=b'))
    expect([last.headers.get('x-cache'), await last.text()]).toEqual(['HIT-L1', await fast.text()])
  })

  test('remembers URLs within its stated budget (an eighth of L1_MAX_BYTES)', async () => {
    const api = countingApp({ L1_MAX_BYTES: String(2 * 1024 * 1024) })
    const budget = l1Budget(2 * 1024 * 1024).fastPath
    expect(budget).toBe(256 * 1024)
    // Distinct URLs of a cached route that are not in L1: each is parsed and remembered, none answered.
    for (let i = 0; i < 5000; i++) expect(api.fastPath.serve(...atAddress(api, `http://localhost/videos/${crypto.randomUUID()}?n=${i}`))).toBeUndefined()
    expect(api.fastPath.memoBytes).toBeGreaterThan(budget * 0.9)
    expect(api.fastPath.memoBytes).toBeLessThanOrEqual(budget)
  })

  test('ENABLE_CACHING=false: every request is the router’s', async () => {
    const api = countingApp({ ENABLE_CACHING: 'false' })
    for (let i = 0; i < 3; i++) expect((await api.request(`/videos/${videoId}`)).headers.get('x-cache')).toBe('BYPASS')
    expect(api.routed()).toBe(3)
  })
})
