import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { FAKE, ROOT, until } from './worker-helpers.ts'

// `transcript-api worker --metrics-port P` serves the worker's Prometheus metrics, guarded by
// METRICS_TOKEN exactly as the server's /metrics is (the same check: src/platform/metrics-token.ts).

const TOKEN = 'worker-metrics-token-0123456789abcdef0123'
let db: TestDatabase
const workers: Bun.Subprocess<'ignore', 'pipe', 'pipe'>[] = []

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
})
afterEach(async () => {
  // Only the workers this suite started, by pid.
  for (const w of workers.splice(0)) {
    w.kill('SIGTERM')
    await w.exited
  }
})
afterAll(async () => {
  await db?.drop()
})

/** A worker with its metrics on a free port; the URL it logged. */
async function workerWithMetrics(env: Record<string, string>): Promise<string> {
  const proc = Bun.spawn([process.execPath, 'src/main.ts', 'worker', '--poll-interval', '200', '--metrics-port', '0'], {
    cwd: ROOT,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, DATABASE_URL: db.url, TRANSCRIBE_CMD: FAKE, LOG_LEVEL: 'info', REDIS_URL: '', ...env },
  })
  workers.push(proc)
  let output = ''
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of proc.stdout) output += decoder.decode(chunk, { stream: true })
  })()
  return until('the worker to serve metrics', 45_000, async () => /"msg":"worker metrics","url":"([^"]+)"/.exec(output)?.[1])
}

describe('worker --metrics-port', () => {
  test('with METRICS_TOKEN: 401 without it or with another, 200 with it', async () => {
    const url = await workerWithMetrics({ METRICS_TOKEN: TOKEN })
    const anonymous = await fetch(url)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401)
    expect((await fetch(url, { headers: { authorization: `Basic ${btoa(`x:${TOKEN}`)}` } })).status).toBe(401)
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('process_cpu_user_seconds_total')
  })

  test('without METRICS_TOKEN: open, like the server’s /metrics', async () => {
    const url = await workerWithMetrics({})
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE')
  })
})
