import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { registry } from '../src/platform/metrics.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The fast lane (src/http/fast-lane.ts) answers fresh L1 hits of URLs the router has served before.
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

const headersOf = (res: Response) => Object.fromEntries([...res.headers.entries()].sort(([a], [b]) => a.localeCompare(b)))

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
  return match?.value ?? 0
}

describe('the fast lane', () => {
  test('answers a learned URL without the router, with exactly the router’s headers and bytes, in every variant', async () => {
    const api = countingApp()
    const variants: [string, RequestInit][] = [
      ['gzip', { headers: { 'accept-encoding': 'gzip' } }],
      ['identity', { headers: { 'accept-encoding': 'identity' } }],
      ['HEAD', { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } }],
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

  test('leaves to the router: other spellings of a URL, callers with credentials, and writes', async () => {
    const api = countingApp()
    await api.request(`/videos/${videoId}`)
    let before = api.routed()
    // Not learned yet: the router answers each once (from L1), then the lane knows them too.
    for (const path of [`/videos/${videoId.toUpperCase()}`, `/videos/${videoId}?utm=x`]) {
      expect((await api.request(path)).headers.get('x-cache')).toBe('HIT-L1')
      expect((await api.request(path)).headers.get('x-cache')).toBe('HIT-L1')
    }
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

  test('learns only URLs whose path the router read the same way (an odd Host header cannot make it answer for another path)', async () => {
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
    // The router reads `/search?q=evil` out of this URL; the URL itself asks for q=a/search?q=evil.
    const odd = 'http://a/search?q=a/search?q=evil'
    await api.fetch(new Request(odd))
    const before = api.routed()
    await api.fetch(new Request(odd))
    await api.fetch(new Request('http://localhost/search?q=a/search?q=evil'))
    expect(api.routed() - before).toBe(2)
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
    const searches = await metricValue('search_queries_total')
    const served = await metricValue('http_requests_total', { method: 'GET', route: '/search', status: '200' })
    const before = api.routed()
    for (let i = 0; i < 5; i++) expect((await api.request(path)).headers.get('x-cache')).toBe('HIT-L1')
    expect(api.routed()).toBe(before)
    expect((await metricValue('search_queries_total')) - searches).toBe(5)
    expect((await metricValue('http_requests_total', { method: 'GET', route: '/search', status: '200' })) - served).toBe(5)
  })

  test('ENABLE_CACHING=false: nothing is learned, every request is the router’s', async () => {
    const api = countingApp({ ENABLE_CACHING: 'false' })
    for (let i = 0; i < 3; i++) expect((await api.request(`/videos/${videoId}`)).headers.get('x-cache')).toBe('BYPASS')
    expect(api.routed()).toBe(3)
  })
})
