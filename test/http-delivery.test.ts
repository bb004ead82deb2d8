import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { acceptsGzip } from '../src/http/accept-encoding.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// Issue 4: ready responses with gzip, ETag/304 and a fail-closed Cache-Control policy, route by route.

const TOKEN = 'delivery-admin-token-0123456789abcdef'
let db: TestDatabase
let api: ReturnType<typeof testApp>
let videoId: string
let jobId: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  api = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN } })
  videoId = await videoWithTranscript(db.sql, 'deliveryAAA', 1000)
  // enough rows that a list page is over the 1 KiB compression threshold
  await db.sql`INSERT INTO videos (youtube_id, title) SELECT 'delivery' || lpad(g::text, 3, '0'), 'Listed video ' || g FROM generate_series(1, 30) g`
  const [job] = await db.sql<{ id: string }[]>`INSERT INTO jobs (kind, input_url) VALUES ('single', 'https://www.youtube.com/watch?v=deliveryAAA') RETURNING id`
  jobId = job!.id
}, 60_000)
afterAll(async () => {
  await db.drop()
})

const PUBLIC_VIDEO = 'public, max-age=300, stale-while-revalidate=60'
const PUBLIC_TRANSCRIPT = 'public, max-age=3600, stale-while-revalidate=300'
const PUBLIC_SEARCH = 'public, max-age=600, stale-while-revalidate=60'

/** Every GET route with a concrete URL and what it must send. */
const routes = () => [
  { url: '/videos', cacheControl: 'public, max-age=60', vary: 'Accept-Encoding' },
  { url: `/videos/${videoId}`, cacheControl: PUBLIC_VIDEO, vary: 'Accept-Encoding' },
  { url: `/videos/${videoId}/transcript`, cacheControl: PUBLIC_TRANSCRIPT, vary: 'Accept-Encoding' },
  { url: `/videos/${videoId}/transcript.srt`, cacheControl: 'private, max-age=60', vary: 'Accept-Encoding, Cookie, Authorization' },
  { url: `/videos/${videoId}/transcript.vtt`, cacheControl: 'private, max-age=60', vary: 'Accept-Encoding, Cookie, Authorization' },
  { url: '/search?q=cache', cacheControl: PUBLIC_SEARCH, vary: 'Accept-Encoding' },
  { url: '/health', cacheControl: 'no-store', vary: 'Accept-Encoding' },
  { url: '/ready', cacheControl: 'no-store', vary: 'Accept-Encoding' },
  { url: '/jobs', cacheControl: 'no-store', vary: 'Accept-Encoding' },
  { url: `/jobs/${jobId}`, cacheControl: 'no-store', vary: 'Accept-Encoding' },
]

/** Exports need a signed-in caller: they are sent with the bootstrap admin token (no quota). */
const get = (url: string, headers: Record<string, string> = {}) =>
  api.request(url, { headers: /\.(srt|vtt)$/.test(url) ? { authorization: `Bearer ${TOKEN}`, ...headers } : headers })

describe('Cache-Control, Vary and encoding, route by route', () => {
  test('every GET route sends its policy', async () => {
    for (const r of routes()) {
      const res = await get(r.url, { 'accept-encoding': 'gzip' })
      expect({ url: r.url, status: res.status }).toEqual({ url: r.url, status: 200 })
      expect({ url: r.url, cc: res.headers.get('cache-control') }).toEqual({ url: r.url, cc: r.cacheControl })
      expect({ url: r.url, vary: res.headers.get('vary') }).toEqual({ url: r.url, vary: r.vary })
    }
  })

  test('4xx/5xx and non-GET responses are no-store', async () => {
    for (const url of ['/videos/not-a-uuid', `/videos/${crypto.randomUUID()}`, '/no/such/route', '/videos?limit=0']) {
      const res = await get(url)
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect({ url, cc: res.headers.get('cache-control') }).toEqual({ url, cc: 'no-store' })
    }
    const patch = await api.request(`/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'Education' }),
    })
    expect(patch.status).toBe(200)
    expect(patch.headers.get('cache-control')).toBe('no-store')
    const post = await api.request('/jobs', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://youtu.be/dQw4w9WgXcQ', kind: 'single' }) })
    expect(post.status).toBeLessThan(300)
    expect(post.headers.get('cache-control')).toBe('no-store')
  })

  test('a public route asked with credentials returns the same public body', async () => {
    const anonymous = await get(`/videos/${videoId}`)
    const credentialed = await get(`/videos/${videoId}`, { authorization: `Bearer ${TOKEN}`, cookie: 'session=abc' })
    expect(credentialed.headers.get('cache-control')).toBe(PUBLIC_VIDEO)
    expect(await credentialed.text()).toBe(await anonymous.text())
  })

  test('TTLs follow the CACHE_*_TTL config', async () => {
    const custom = testApp(db.sql, { env: { CACHE_VIDEO_TTL: '42', CACHE_TRANSCRIPT_TTL: '4242', CACHE_SEARCH_TTL: '7' } })
    expect((await custom.request(`/videos/${videoId}`)).headers.get('cache-control')).toBe('public, max-age=42, stale-while-revalidate=60')
    expect((await custom.request(`/videos/${videoId}/transcript`)).headers.get('cache-control')).toBe('public, max-age=4242, stale-while-revalidate=300')
    expect((await custom.request('/search?q=cache')).headers.get('cache-control')).toBe('public, max-age=7, stale-while-revalidate=60')
  })

  test('no GET route in the OpenAPI document lacks a declared policy', async () => {
    const doc = (await (await get('/swagger/json')).json()) as { paths: Record<string, Record<string, unknown>> }
    const table = testApp(db.sql).policies
    const getPaths = Object.entries(doc.paths)
      .filter(([, methods]) => 'get' in methods)
      .map(([path]) => path.replace(/\{(\w+)\}/g, ':$1'))
    expect(getPaths.length).toBeGreaterThan(5)
    for (const path of getPaths) expect({ path, listed: table.has(path) }).toEqual({ path, listed: true })
  })
})

describe('gzip', () => {
  test('round trip: the decompressed bytes equal the identity body, with correct Content-Length both ways', async () => {
    for (const url of [`/videos/${videoId}/transcript`, `/videos/${videoId}/transcript.srt`, `/videos/${videoId}/transcript.vtt`, '/videos?limit=50']) {
      const identity = await get(url, { 'accept-encoding': 'identity' })
      const plain = new Uint8Array(await identity.arrayBuffer())
      expect(identity.headers.get('content-encoding')).toBeNull()
      expect(Number(identity.headers.get('content-length'))).toBe(plain.byteLength)
      const gz = await get(url, { 'accept-encoding': 'gzip, deflate, br' })
      expect({ url, enc: gz.headers.get('content-encoding') }).toEqual({ url, enc: 'gzip' })
      // app.handle returns the raw bytes: nothing decompresses them on the way
      const packed = new Uint8Array(await gz.arrayBuffer())
      expect(Number(gz.headers.get('content-length'))).toBe(packed.byteLength)
      expect(packed.byteLength).toBeLessThan(plain.byteLength)
      expect(Bun.gunzipSync(packed)).toEqual(plain)
    }
  })

  test('small bodies are not compressed', async () => {
    const res = await get('/health', { 'accept-encoding': 'gzip' })
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(((await res.json()) as { status: string }).status).toBe('ok')
  })

  test('q-values are honoured', async () => {
    const url = `/videos/${videoId}/transcript`
    const enc = async (ae: string) => (await get(url, { 'accept-encoding': ae })).headers.get('content-encoding')
    expect(await enc('gzip;q=0')).toBeNull()
    expect(await enc('gzip;q=0, identity')).toBeNull()
    expect(await enc('*')).toBe('gzip')
    expect(await enc('*;q=0')).toBeNull()
    expect(await enc('br, gzip;q=0.5')).toBe('gzip')
    expect(await enc('identity')).toBeNull()
    expect(await enc('')).toBeNull()
  })

  test('Accept-Encoding parsing', () => {
    expect(acceptsGzip('gzip')).toBe(true)
    expect(acceptsGzip('GZIP;Q=1.0')).toBe(true)
    expect(acceptsGzip('gzip;q=0.000')).toBe(false)
    expect(acceptsGzip('deflate, *;q=0.1')).toBe(true)
    expect(acceptsGzip('*, gzip;q=0')).toBe(false)
    expect(acceptsGzip('x-gzip')).toBe(true)
    expect(acceptsGzip(null)).toBe(false)
  })
})

describe('ETag and conditional requests', () => {
  test('each cacheable route answers If-None-Match with a 304 carrying the same validators', async () => {
    for (const r of routes().filter((x) => x.cacheControl.startsWith('public') || x.cacheControl.startsWith('private'))) {
      const first = await get(r.url, { 'accept-encoding': 'gzip' })
      const etag = first.headers.get('etag')
      expect({ url: r.url, etag: etag !== null }).toEqual({ url: r.url, etag: true })
      for (const inm of [etag!, `"nope", ${etag}`, etag!.replace(/^W\//, ''), '*']) {
        const again = await get(r.url, { 'if-none-match': inm, 'accept-encoding': 'gzip' })
        expect({ url: r.url, inm, status: again.status }).toEqual({ url: r.url, inm, status: 304 })
        expect(again.headers.get('etag')).toBe(etag)
        expect(again.headers.get('cache-control')).toBe(r.cacheControl)
        expect(again.headers.get('vary')).toBe(r.vary)
        expect((await again.arrayBuffer()).byteLength).toBe(0)
      }
      const miss = await get(r.url, { 'if-none-match': '"something-else"' })
      expect(miss.status).toBe(200)
    }
  })

  test('the ETag changes when the content changes', async () => {
    const before = (await get(`/videos/${videoId}`)).headers.get('etag')
    await api.request(`/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'A new title' }),
    })
    const after = await get(`/videos/${videoId}`, { 'if-none-match': before! })
    expect(after.status).toBe(200)
    expect(after.headers.get('etag')).not.toBe(before)
  })

  test('only GET and HEAD are answered 304: a write says what it did, whatever If-None-Match says', async () => {
    const res = await api.request('/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ url: 'https://youtu.be/aaaaaaaaaaa', kind: 'single' }),
    })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/)
    const patched = await api.request(`/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ title: 'Another title' }),
    })
    expect(patched.status).toBe(200)
  })
})

describe('HEAD', () => {
  test('works on every GET route: same status and headers (Content-Length and -Encoding too), no body', async () => {
    for (const r of routes()) {
      const got = await get(r.url, { 'accept-encoding': 'gzip' })
      const auth: Record<string, string> = /\.(srt|vtt)$/.test(r.url) ? { authorization: `Bearer ${TOKEN}` } : {}
      const head = await api.request(r.url, { method: 'HEAD', headers: { 'accept-encoding': 'gzip', ...auth } })
      expect({ url: r.url, status: head.status }).toEqual({ url: r.url, status: got.status })
      expect(head.headers.get('cache-control')).toBe(got.headers.get('cache-control'))
      expect(head.headers.get('content-type')).toBe(got.headers.get('content-type'))
      expect({ url: r.url, length: head.headers.get('content-length'), encoding: head.headers.get('content-encoding') }).toEqual({
        url: r.url,
        length: String((await got.arrayBuffer()).byteLength),
        encoding: got.headers.get('content-encoding'),
      })
      expect((await head.arrayBuffer()).byteLength).toBe(0)
    }
  })
})
