import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { capturingLog, createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The edge headers of the app in-process (paths a real server cannot be made to take on demand:
// an internal error, HSTS, CORS off), and the request scope of log lines: a line logged while the
// router serves a request (here: slow queries, every query being slow) names that request's id and
// client address, as the app's real logger writes it.

const ROOT = join(import.meta.dir, '..')
let db: TestDatabase
let video: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  video = await videoWithTranscript(db.sql, 'edgeScope01', 2)
})
afterAll(() => db.drop())

describe('edge headers in-process', () => {
  test('an internal error (500) carries the security headers and a request id', async () => {
    const { app } = testApp(db.sql, { log: capturingLog().log })
    app.get('/__boom', () => {
      throw new Error('boom')
    })
    const res = await app.handle(new Request('http://localhost/__boom', { headers: { 'x-request-id': 'boom-1' } }))
    expect(res.status).toBe(500)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-request-id')).toBe('boom-1')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal_error')
  })

  test('HSTS only when PUBLIC_BASE_URL is https, on hits and errors alike', async () => {
    const https = testApp(db.sql, { env: { PUBLIC_BASE_URL: 'https://api.example.com' } })
    for (const path of [`/videos/${video}`, `/videos/${video}`, '/no/such/route']) {
      expect((await https.request(path)).headers.get('strict-transport-security')).toBe('max-age=31536000')
    }
    expect((await testApp(db.sql).request('/health')).headers.get('strict-transport-security')).toBeNull()
  })

  test('CORS_ORIGINS unset: no CORS header and no Vary: Origin anywhere, and a preflight is a 404', async () => {
    const api = testApp(db.sql)
    const origin = { origin: 'https://app.example.test' }
    const answers = [await api.request(`/videos/${video}`, { headers: origin }), await api.request(`/videos/${video}`, { headers: origin }), await api.request('/health', { headers: origin })]
    expect(answers[1]?.headers.get('x-cache')).toBe('HIT-L1')
    for (const res of answers) {
      expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([])
      expect(res.headers.get('vary') ?? '').not.toContain('Origin')
    }
    const preflight = await api.request('/videos', { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'GET' } })
    expect(preflight.status).toBe(404)
    expect([...preflight.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([])
  })

  test('`*` allows any origin without credentials; a listed one keeps its credentials', async () => {
    const api = testApp(db.sql, { env: { CORS_ORIGINS: '*,https://app.example.test' } })
    const any = await api.request('/health', { headers: { origin: 'https://elsewhere.example' } })
    expect([any.headers.get('access-control-allow-origin'), any.headers.get('access-control-allow-credentials')]).toEqual(['*', null])
    const listed = await api.request('/health', { headers: { origin: 'https://app.example.test' } })
    expect([listed.headers.get('access-control-allow-origin'), listed.headers.get('access-control-allow-credentials')]).toEqual(['https://app.example.test', 'true'])
  })
})

test('a line logged while the router serves a request carries its request id and client address', () => {
  // The app's real logger, in a process of its own (it writes to stdout and stderr), served by a
  // real Bun.serve so the client address is the socket's.
  const script = `
    import postgres from 'postgres'
    import { testApp } from './test/support/app.ts'
    import { createLogger } from './src/platform/log.ts'
    import { createMetrics } from './src/platform/metrics.ts'
    import { createQueryTimer } from './src/platform/db-metrics.ts'
    const sql = postgres(process.env.TEST_DB_URL, { max: 2 })
    const log = createLogger('info')
    const metrics = createMetrics()
    const api = testApp(sql, { log, metrics, timed: createQueryTimer({ metrics, log, slowQueryMs: 0, poolMax: 2 }) })
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: api.fetch })
    await fetch('http://127.0.0.1:' + server.port + '/videos/${video}', { headers: { 'x-request-id': 'scoped-1' } })
    await fetch('http://127.0.0.1:' + server.port + '/videos/${video}/transcript', { headers: { 'x-request-id': 'scoped-2' } })
    // Outside any request: no id.
    log.warn('between requests')
    server.stop(true)
    await sql.end()
    await Bun.sleep(50)
    process.exit(0)
  `
  const run = Bun.spawnSync(['bun', '-e', script], { cwd: ROOT, env: { ...process.env, TEST_DB_URL: db.url }, stdout: 'pipe', stderr: 'pipe' })
  const lines = `${run.stdout.toString()}${run.stderr.toString()}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const slow = lines.filter((l) => l.msg === 'slow query')
  expect(slow.map((l) => [l.operation, l.request_id, l.ip])).toEqual([
    ['video_get', 'scoped-1', '127.0.0.1'],
    ['transcript_read', 'scoped-2', '127.0.0.1'],
  ])
  expect(lines.filter((l) => l.msg === 'request').map((l) => [l.request_id, l.ip])).toEqual([
    ['scoped-1', '127.0.0.1'],
    ['scoped-2', '127.0.0.1'],
  ])
  const between = lines.find((l) => l.msg === 'between requests')
  expect(between).toBeDefined()
  expect(between?.request_id).toBeUndefined()
}, 30_000)
