import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createQueryTimer } from '../src/platform/db-metrics.ts'
import { createMetrics } from '../src/platform/metrics.ts'
import { closeRedis, createRedis } from '../src/platform/redis.ts'
import { startWorker } from '../src/worker/index.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, uniquePrefix } from './support/redis.ts'

// Issue 7: the exposition is valid, every metric moves when its event happens, label sets stay
// bounded, and the dashboard and alert rules only use what /metrics exposes.

const ROOT = join(import.meta.dir, '..')
let db: TestDatabase
let videoId: string
let api: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  videoId = await videoWithTranscript(db.sql, 'metricsVid1', 20)
  api = testApp(db.sql, { env: { CACHE_VIDEO_TTL: '1', CACHE_GRACE: '60', DB_POOL_MAX: '5' } })
}, 60_000)
afterAll(async () => {
  await db.drop()
})

async function scrape(app = api): Promise<string> {
  await Bun.sleep(5) // after-response hooks of the requests just made run after their responses
  const res = await app.request('/metrics')
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return res.text()
}

/** Sum of the samples of `name` whose labels include every pair of `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4])
  }
  return sum
}

const seriesOf = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))

describe('exposition', () => {
  test('every sample line is valid text format with HELP and TYPE before it', async () => {
    await api.request(`/videos/${videoId}`)
    const text = await scrape()
    const typed = new Set<string>()
    const helped = new Set<string>()
    for (const line of text.split('\n')) {
      if (line === '') continue
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
      if (meta) {
        ;(meta[1] === 'HELP' ? helped : typed).add(meta[2]!)
        continue
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line)
      expect({ line, valid: sample !== null }).toEqual({ line, valid: true })
      const family = sample![1]!.replace(/_(bucket|sum|count|total|created)$/, '')
      expect({ line, declared: typed.has(sample![1]!) || typed.has(family) || typed.has(`${family}_total`) }).toEqual({ line, declared: true })
    }
    for (const name of [
      'http_request_duration_seconds',
      'http_requests_total',
      'http_requests_in_flight',
      'db_query_duration_seconds',
      'db_slow_queries_total',
      'db_pool_connections',
      'db_breaker_open',
      'cache_hits_total',
      'cache_misses_total',
      'cache_stale_served_total',
      'cache_loader_calls_total',
      'cache_coalesced_total',
      'cache_size_bytes',
      'cache_keys_total',
      'cache_l2_errors_total',
      'cache_l2_breaker_open',
      'cache_bus_messages_total',
      'search_queries_total',
      'jobs_created_total',
      'jobs_finished_total',
      'jobs_pending',
      'app_info',
      'process_cpu_seconds_total',
    ]) {
      expect({ name, helped: helped.has(name) }).toEqual({ name, helped: true })
    }
  })

  test('promtool accepts the exposition and the alert rules', async () => {
    const text = await scrape()
    const metrics = Bun.spawnSync(['promtool', 'check', 'metrics'], { stdin: new TextEncoder().encode(text) })
    // Exit 1 is a parse error; 3 means lint findings only. The one finding allowed is the `_total`
    // suffix on gauges whose names are fixed elsewhere: cache_keys_total (the performance guide's
    // name) and prom-client's nodejs_active_*_total defaults.
    expect([0, 3]).toContain(metrics.exitCode)
    const findings = metrics.stderr.toString().trim().split('\n').filter(Boolean)
    for (const f of findings) expect(f).toMatch(/^(cache_keys_total|nodejs_active_\w+_total) non-counter metrics should not have "_total" suffix$/)
    const rules = Bun.spawnSync(['promtool', 'check', 'rules', join(ROOT, 'loadtest/monitoring/alerts.yml')])
    expect({ exit: rules.exitCode, out: rules.stdout.toString() }).toEqual({ exit: 0, out: expect.stringContaining('SUCCESS: 8 rules found') })
    const dir = mkdtempSync(join(tmpdir(), 'ta-prom-'))
    try {
      const config = readFileSync(join(ROOT, 'loadtest/monitoring/prometheus.yml'), 'utf8').replace('/etc/prometheus/alerts.yml', join(ROOT, 'loadtest/monitoring/alerts.yml'))
      writeFileSync(join(dir, 'prometheus.yml'), config)
      const check = Bun.spawnSync(['promtool', 'check', 'config', join(dir, 'prometheus.yml')])
      expect({ exit: check.exitCode, out: check.stdout.toString() + check.stderr.toString() }).toEqual({ exit: 0, out: expect.stringContaining('SUCCESS') })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('ENABLE_METRICS=false: no /metrics route; METRICS_TOKEN guards it', async () => {
    const off = testApp(db.sql, { env: { ENABLE_METRICS: 'false' } })
    expect((await off.request('/metrics')).status).toBe(404)
    const token = 'scrape-secret-0123456789abcdef-0123456789'
    const guarded = testApp(db.sql, { env: { METRICS_TOKEN: token } })
    expect((await guarded.request('/metrics')).status).toBe(401)
    expect((await guarded.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await guarded.request('/metrics', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
  })
})

describe('bounded labels', () => {
  test('10,000 requests to distinct video ids and random unknown paths add no series', async () => {
    const fresh = testApp(db.sql)
    await fresh.request(`/videos/${crypto.randomUUID()}`)
    await fresh.request(`/nope/${crypto.randomUUID()}`)
    await fresh.request('/videos/not-a-uuid')
    // The app counts only its own requests: a first scrape makes the series of /metrics itself.
    await scrape(fresh)
    const before = await scrape(fresh)
    const count = (t: string) => seriesOf(t, 'http_requests_total').length + seriesOf(t, 'http_request_duration_seconds_bucket').length
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) =>
          (i + j) % 2 === 0 ? fresh.request(`/videos/${crypto.randomUUID()}`) : fresh.request(`/random/${crypto.randomUUID()}/x${j}`, { method: j % 4 === 1 ? 'PROPFIND' : 'GET' }),
        ),
      )
    }
    await Bun.sleep(50) // the last responses' after-hooks
    const after = await scrape(fresh)
    // The only new label set is the OTHER method on the unmatched route: never one per id or path.
    const labelSets = (t: string) => new Set(seriesOf(t, 'http_requests_total').map((l) => l.slice(0, l.lastIndexOf(' '))))
    const added = [...labelSets(after)].filter((l) => !labelSets(before).has(l))
    expect(added).toEqual(['http_requests_total{method="OTHER",route="(unmatched)",status="404"}'])
    expect(count(after) - count(before)).toBeLessThan(20)
    expect(after).not.toMatch(/route="\/videos\/[0-9a-f]{8}-/)
    expect(after).not.toContain('/random/')
    expect(after).toContain('route="(unmatched)"')
    expect(after).toContain('method="OTHER"')
  }, 120_000)
})

describe('each metric moves when its event happens', () => {
  test('HTTP, cache and search counters', async () => {
    const t0 = await scrape()
    const id = await videoWithTranscript(db.sql, 'metricsVid2', 5)
    await api.request(`/videos/${id}`) // miss + loader
    await api.request(`/videos/${id}`) // L1 hit
    await Promise.all(Array.from({ length: 20 }, () => api.request(`/videos/${id}/transcript`))) // 1 loader, 19 coalesced
    await api.request('/search?q=cache')
    await Bun.sleep(1200) // past the 1 s video TTL
    await api.request(`/videos/${id}`) // stale while one refresh runs
    const t1 = await scrape()
    const d = (name: string, labels: Record<string, string> = {}) => value(t1, name, labels) - value(t0, name, labels)
    expect(d('http_requests_total', { route: '/videos/:id', status: '200' })).toBe(3)
    expect(d('http_request_duration_seconds_count', { route: '/videos/:id', status_class: '2xx' })).toBe(3)
    expect(value(t1, 'http_requests_in_flight')).toBeGreaterThanOrEqual(1) // the scrape itself
    expect(d('cache_misses_total', { cache_type: 'video' })).toBe(1)
    expect(d('cache_hits_total', { cache_type: 'video', tier: 'l1' })).toBe(1)
    expect(d('cache_stale_served_total', { cache_type: 'video' })).toBe(1)
    expect(d('cache_loader_calls_total', { cache_type: 'transcript' })).toBe(1)
    expect(d('cache_coalesced_total', { cache_type: 'transcript' })).toBe(19)
    expect(value(t1, 'cache_size_bytes', { tier: 'l1' })).toBeGreaterThan(value(t0, 'cache_size_bytes', { tier: 'l1' }))
    expect(value(t1, 'cache_keys_total', { tier: 'l1' })).toBeGreaterThan(value(t0, 'cache_keys_total', { tier: 'l1' }))
    expect(d('search_queries_total')).toBe(1)
    expect(d('db_query_duration_seconds_count', { operation: 'video_get' })).toBeGreaterThanOrEqual(1)
    expect(d('db_query_duration_seconds_count', { operation: 'search' })).toBe(1)
    expect(value(t1, 'app_info')).toBe(1)
    expect(value(t1, 'db_pool_connections', { state: 'max' })).toBe(5)
  })

  test('slow queries are counted and logged with parameters redacted', async () => {
    const lines: string[] = []
    const log = { debug() {}, info() {}, error() {}, warn: (msg: string, f?: Record<string, unknown>) => lines.push(JSON.stringify({ msg, ...f })) }
    // Every query is slow to this app's timer.
    const metrics = createMetrics()
    const slow = testApp(db.sql, { log, metrics, timed: createQueryTimer({ metrics, log, slowQueryMs: 0, poolMax: 5 }) })
    {
      const t0 = await scrape(slow)
      const id = await videoWithTranscript(db.sql, 'metricsVid3', 1)
      await slow.request(`/videos/${id}`)
      const t1 = await scrape(slow)
      expect(value(t1, 'db_slow_queries_total', { operation: 'video_get' }) - value(t0, 'db_slow_queries_total', { operation: 'video_get' })).toBe(1)
      const line = lines.find((l) => l.includes('"operation":"video_get"'))
      expect(line).toContain('"msg":"slow query"')
      expect(line).toContain('"params":"[1 redacted]"')
      expect(line).not.toContain(id)
    }
  })

  test('L2 errors, breaker state and bus messages', async () => {
    const dead = createRedis('redis://127.0.0.1:1', quietLog)
    const live = await connectedRedis()
    try {
      const broken = testApp(db.sql, { redis: dead })
      for (let i = 0; i < 6; i++) await broken.request(`/videos/${crypto.randomUUID()}`)
      const t = await scrape(broken)
      expect(value(t, 'cache_l2_errors_total')).toBeGreaterThanOrEqual(5)
      expect(value(t, 'cache_l2_breaker_open')).toBe(1)

      const prefix = uniquePrefix()
      const a = testApp(db.sql, { redis: live, cachePrefix: prefix, env: { ADMIN_TOKEN: 'metrics-admin-token-0123456789abcdef' } })
      await a.cache.start()
      await Bun.sleep(100)
      // A fresh prefix has no versions yet: starting one is announced too, so count from here.
      const t1 = await scrape(a)
      await a.request(`/videos/${videoId}`, { method: 'PATCH', headers: { authorization: 'Bearer metrics-admin-token-0123456789abcdef', 'content-type': 'application/json' }, body: '{"category":"Science"}' })
      await Bun.sleep(100)
      const t2 = await scrape(a)
      const moved = (direction: string) => value(t2, 'cache_bus_messages_total', { direction }) - value(t1, 'cache_bus_messages_total', { direction })
      expect(moved('out')).toBe(1)
      expect(moved('in')).toBe(1) // its own echo
      await a.cache.close()
    } finally {
      await closeRedis(dead)
      await closeRedis(live)
    }
  })

  test('jobs created, finished and pending', async () => {
    const t0 = await scrape()
    const { auth } = await userWithKey(db.sql)
    const post = await api.request('/jobs', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://youtu.be/metricsJob1', kind: 'single' }) })
    expect(post.status).toBe(201)
    const t1 = await scrape()
    expect(value(t1, 'jobs_created_total', { kind: 'single' }) - value(t0, 'jobs_created_total', { kind: 'single' })).toBe(1)
    expect(value(t1, 'jobs_pending')).toBe(1)
    // In one process with the app here, the worker counts into the app's metrics (its CLI serves its own).
    const worker = startWorker({ sql: db.sql, log: quietLog, argv: [join(ROOT, 'test/fixtures/fake-transcriber.sh')], concurrency: 1, maxAttempts: 1, stuckAfterSeconds: 60, pollIntervalMs: 20, metrics: api.metrics })
    try {
      for (let i = 0; i < 200 && value(await scrape(), 'jobs_pending') > 0; i++) await Bun.sleep(25)
      for (let i = 0; i < 200 && value(await scrape(), 'jobs_finished_total', { result: 'completed' }) === value(t0, 'jobs_finished_total', { result: 'completed' }); i++) await Bun.sleep(25)
    } finally {
      await worker.stop(1000)
    }
    const t2 = await scrape()
    expect(value(t2, 'jobs_finished_total', { result: 'completed' }) - value(t0, 'jobs_finished_total', { result: 'completed' })).toBe(1)
    expect(value(t2, 'jobs_pending')).toBe(0)
    expect(value(t2, 'db_query_duration_seconds_count', { operation: 'job_claim' })).toBeGreaterThan(0)
  })
})

describe('one metrics object per app', () => {
  test('two apps in one process count apart: requests, searches, queries and cache hits', async () => {
    const [a, b] = [testApp(db.sql), testApp(db.sql)]
    for (let i = 0; i < 3; i++) await a.request(`/videos/${videoId}`)
    await a.request('/search?q=separate%20counters')
    const [ta, tb] = [await scrape(a), await scrape(b)]
    expect(value(ta, 'http_requests_total', { route: '/videos/:id', status: '200' })).toBe(3)
    expect(value(tb, 'http_requests_total', { route: '/videos/:id', status: '200' })).toBe(0)
    expect(value(ta, 'search_queries_total')).toBe(1)
    expect(value(tb, 'search_queries_total')).toBe(0)
    expect(value(ta, 'db_query_duration_seconds_count', { operation: 'video_get' })).toBe(1)
    expect(value(tb, 'db_query_duration_seconds_count', { operation: 'video_get' })).toBe(0)
    expect(value(ta, 'cache_hits_total', { cache_type: 'video', tier: 'l1' })).toBe(2)
    expect(value(tb, 'cache_hits_total', { cache_type: 'video', tier: 'l1' })).toBe(0)
    expect(a.metrics.registry).not.toBe(b.metrics.registry)
  })
})

describe('dashboard and alerts', () => {
  test('reference only metric names that /metrics exposes', async () => {
    const exposed = new Set((await scrape()).split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!))
    const exposedSeries = new Set([...exposed].flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]))
    const dashboard = readFileSync(join(ROOT, 'loadtest/monitoring/grafana/dashboards/transcript-api.json'), 'utf8')
    const exprs = (JSON.parse(dashboard) as { panels: { targets: { expr: string }[] }[] }).panels.flatMap((p) => p.targets.map((t) => t.expr))
    const alerts = readFileSync(join(ROOT, 'loadtest/monitoring/alerts.yml'), 'utf8')
    const FUNCTIONS = new Set(['sum', 'rate', 'by', 'le', 'histogram_quantile', 'clamp_min', 'max', 'on', 'without', 'irate', 'avg'])
    const names = (text: string) =>
      [...text.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=[{[(]|\)|$|\s)/g)].map((m) => m[1]!).filter((n) => n.includes('_') && !FUNCTIONS.has(n))
    const used = new Set([...exprs.flatMap(names), ...[...alerts.matchAll(/expr: [|]?([\s\S]*?)\n\s+for:/g)].flatMap((m) => names(m[1]!))])
    const labelNames = new Set(['cache_type', 'status_class', 'route', 'operation', 'tier', 'state', 'kind', 'result', 'direction', 'status', 'method', 'version'])
    const metrics = [...used].filter((n) => !labelNames.has(n))
    expect(metrics.length).toBeGreaterThan(10)
    for (const name of metrics) expect({ name, exposed: exposedSeries.has(name) }).toEqual({ name, exposed: true })
  })
})

describe('admin cache statistics', () => {
  test('GET /admin/cache/stats and POST /admin/cache/invalidate, for admins only', async () => {
    const redis = await connectedRedis()
    try {
      const admin = testApp(db.sql, { redis, env: { ADMIN_TOKEN: 'ops-admin-token-0123456789abcdef-0123' } })
      await admin.cache.start()
      const asAdmin = { authorization: 'Bearer ops-admin-token-0123456789abcdef-0123' }
      expect((await admin.request('/admin/cache/stats')).status).toBe(401)
      await admin.request(`/videos/${videoId}`)
      await admin.request(`/videos/${videoId}`)
      const res = await admin.request('/admin/cache/stats', { headers: asAdmin })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toContain('no-store')
      const stats = (await res.json()) as {
        available: boolean
        used_memory: string
        total_keys: number
        connected_clients: number
        uptime_seconds: number
        hit_rate: number
        l1: { entries: number; bytes: number }
        breaker: string
        bus: { trusted: boolean; resyncs: number; resets_detected: number }
        resources: Record<string, { hits_l1: number; misses: number; hit_rate: number }>
      }
      expect(stats.available).toBe(true)
      expect(stats.bus).toEqual({ trusted: true, resyncs: 1, resets_detected: 0 })
      expect(stats.used_memory).toMatch(/^[\d.]+[KMG]?B?$/)
      expect(stats.total_keys).toBeGreaterThan(0)
      expect(stats.connected_clients).toBeGreaterThan(0)
      expect(stats.uptime_seconds).toBeGreaterThan(0)
      expect(stats.resources.video).toMatchObject({ hits_l1: 1, misses: 1, hit_rate: 0.5 })
      expect(stats.l1.entries).toBeGreaterThan(0)
      expect(stats.breaker).toBe('closed')

      const bad = await admin.request('/admin/cache/invalidate', { method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: '{"namespace":"nope"}' })
      expect(bad.status).toBe(400)
      const ok = await admin.request('/admin/cache/invalidate', { method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: '{"namespace":"video"}' })
      expect(await ok.json()).toEqual({ invalidated: ['video'] })
      expect((await admin.request(`/videos/${videoId}`)).headers.get('x-cache')).toBe('MISS')
      await admin.cache.close()
    } finally {
      await closeRedis(redis)
    }
  })
})
