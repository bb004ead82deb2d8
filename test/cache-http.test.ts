import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { ADMIN_URL, createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, REDIS_URL, uniquePrefix } from './support/redis.ts'
import { startServer } from './support/server-process.ts'
import { startTcpProxy } from './support/tcp-proxy.ts'

// Issue 5 through HTTP, with the real PostgreSQL and Redis: stampedes, cross-instance freshness,
// and a database that goes away under a warm cache.

const TOKEN = 'cache-http-admin-token-0123456789abcdef'
let db: TestDatabase
let videoId: string
let redisA: RedisClient
let redisB: RedisClient

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  videoId = await videoWithTranscript(db.sql, 'cacheHttp01', 50)
  redisA = await connectedRedis()
  redisB = await connectedRedis()
}, 60_000)
afterAll(async () => {
  await closeRedis(redisA)
  await closeRedis(redisB)
  await db.drop()
})

/** A pool that counts the statements it sends. */
function countingPool(url: string) {
  let count = 0
  const sql = postgres(url, { max: 5, onnotice: () => {}, debug: () => void count++ })
  return { sql, queries: () => count }
}

describe('stampede protection', () => {
  test('1,000 concurrent requests for one cold key: exactly one database query', async () => {
    const pool = countingPool(db.url)
    try {
      const api = testApp(pool.sql)
      await pool.sql`SELECT 1` // postgres.js's first query on a connection also fetches type info
      const before = pool.queries()
      const responses = await Promise.all(Array.from({ length: 1000 }, () => api.request(`/videos/${videoId}`)))
      expect(pool.queries() - before).toBe(1)
      const bodies = new Set(await Promise.all(responses.map((r) => r.text())))
      expect(bodies.size).toBe(1)
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(responses.filter((r) => r.headers.get('x-cache') === 'MISS').length).toBe(1000)
      expect((await api.request(`/videos/${videoId}`)).headers.get('x-cache')).toBe('HIT-L1')
    } finally {
      await pool.sql.end()
    }
  })

  test('three server processes with CACHE_DISTRIBUTED_LOCK=true: exactly one loader across them', async () => {
    // Each process counts the queries it really sent (db_query_duration_seconds, timed around the
    // postgres.js call) and reports them on /metrics: read before stopping, so nothing is racing
    // pg_stat's delayed flush or another backend's pending counters.
    const sentQueries = async (baseUrl: string, operation: string) => {
      const text = await (await fetch(`${baseUrl}/metrics`)).text()
      const line = text.split('\n').find((l) => l.startsWith(`db_query_duration_seconds_count{operation="${operation}"}`))
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    const env = { DATABASE_URL: db.url, REDIS_URL, CACHE_DISTRIBUTED_LOCK: 'true', LOG_LEVEL: 'info' }
    const target = await videoWithTranscript(db.sql, 'cacheHttp03', 1)
    const three = await Promise.all([0, 1, 2].map(() => startServer(['bun', 'src/main.ts', 'serve'], { env })))
    try {
      const responses = await Promise.all(three.flatMap((s) => Array.from({ length: 100 }, () => fetch(`${s.baseUrl}/videos/${target}`))))
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(new Set(await Promise.all(responses.map((r) => r.text()))).size).toBe(1)
      const perProcess = await Promise.all(three.map((s) => sentQueries(s.baseUrl, 'video_get')))
      expect(perProcess.reduce((a, b) => a + b, 0)).toBe(1)
      expect((await Promise.all(three.map((s) => s.stop()))).every((c) => c === 0)).toBe(true)
    } finally {
      for (const s of three) if (s.proc.exitCode === null) await s.stop()
    }
  }, 120_000)
})

describe('two instances, one Redis', () => {
  test('a write through A is read fresh through B within 100 ms, never the old body after that', async () => {
    const prefix = uniquePrefix()
    const a = testApp(db.sql, { redis: redisA, cachePrefix: prefix, env: { ADMIN_TOKEN: TOKEN } })
    const b = testApp(db.sql, { redis: redisB, cachePrefix: prefix, env: { ADMIN_TOKEN: TOKEN } })
    await a.cache.start()
    await b.cache.start()
    try {
      await Bun.sleep(100)
      const title = async (app: typeof a) => ((await (await app.request(`/videos/${videoId}`)).json()) as { title: string }).title
      const original = await title(b)
      expect((await b.request(`/videos/${videoId}`)).headers.get('x-cache')).toBe('HIT-L1')
      const patched = await a.request(`/videos/${videoId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `${original} (edited)` }),
      })
      expect(patched.status).toBe(200)
      await Bun.sleep(100)
      for (let i = 0; i < 20; i++) expect(await title(b)).toBe(`${original} (edited)`)
    } finally {
      await a.cache.close()
      await b.cache.close()
    }
  })
})

describe('database outage under a warm cache', () => {
  test('STALE within grace, then 503 — never a wrong body', async () => {
    const upstream = new URL(ADMIN_URL)
    const proxy = startTcpProxy(upstream.hostname, Number(upstream.port || 5432))
    const url = new URL(db.url)
    url.port = String(proxy.port)
    const sql = postgres(url.toString(), { max: 2, connect_timeout: 2, onnotice: () => {} })
    try {
      const api = testApp(sql, { env: { CACHE_VIDEO_TTL: '1', CACHE_GRACE: '2' } })
      const warm = await api.request(`/videos/${videoId}`)
      expect(warm.headers.get('x-cache')).toBe('MISS')
      const body = await warm.text()

      proxy.cut()
      await Bun.sleep(1200) // past the TTL (1 s ± 10%), within the grace period
      for (let i = 0; i < 5; i++) {
        const stale = await api.request(`/videos/${videoId}`)
        expect(stale.status).toBe(200)
        expect(stale.headers.get('x-cache')).toBe('STALE')
        expect(await stale.text()).toBe(body)
        await Bun.sleep(50)
      }
      await Bun.sleep(2200) // past TTL + grace
      const gone = await api.request(`/videos/${videoId}`)
      expect(gone.status).toBe(503)
      expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('database_unavailable')
      expect(gone.headers.get('cache-control')).toBe('no-store')

      proxy.restore()
      let back: Response | undefined
      for (let i = 0; i < 50; i++) {
        back = await api.request(`/videos/${videoId}`)
        if (back.status === 200) break
        await Bun.sleep(100)
      }
      expect(back?.status).toBe(200)
    } finally {
      await sql.end({ timeout: 1 })
      proxy.close()
    }
  }, 30_000)
})
