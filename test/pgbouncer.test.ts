import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MIGRATION_FILES } from '../src/platform/migration-files.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { privatePgBouncer, type PrivatePgBouncer } from './support/pgbouncer.ts'
import { ADMIN_URL, createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// DB_POOL_MODE=transaction through a real PgBouncer with pool_mode=transaction and fewer server
// connections than the app's pool: concurrent migrations, then reads, writes, search and cursors
// of a real server process, without one "prepared statement … does not exist".

const TOKEN = 'pgbouncer-test-admin-token-0123456789abcdef'
const POOL_SIZE = 2
const upstreamPort = Number(new URL(ADMIN_URL).port || 5432)

let db: TestDatabase
let bouncer: PrivatePgBouncer
let server: ServerProcess | undefined

const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: bouncer.url, DB_POOL_MODE: 'transaction', LOG_LEVEL: 'info', ...extra })

beforeAll(async () => {
  db = await createTestDatabase()
  bouncer = await privatePgBouncer({ database: db.name, upstreamPort, poolMode: 'transaction', poolSize: POOL_SIZE })
})
afterAll(async () => {
  await server?.stop()
  await bouncer?.stop()
  await db?.drop()
})

function noPreparedStatementErrors(text: string) {
  expect(text).not.toMatch(/prepared statement/i)
  expect(text).not.toMatch(/portal .* does not exist/i)
}

describe('PgBouncer, pool_mode=transaction', () => {
  test('two migrations at once through the pooler apply each file exactly once (transaction-scoped advisory lock)', async () => {
    const runs = [0, 1].map(() =>
      Bun.spawn(['bun', 'src/main.ts', 'migrate'], { env: { ...process.env, ...env({ LOG_LEVEL: 'error' }) }, stdout: 'pipe', stderr: 'pipe' }),
    )
    const codes = await Promise.all(runs.map((r) => r.exited))
    const outputs = await Promise.all(runs.flatMap((r) => [new Response(r.stdout).text(), new Response(r.stderr).text()]))
    expect(codes, outputs.join('\n')).toEqual([0, 0])
    const rows = await db.sql<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`
    expect(rows.map((r) => r.version)).toEqual(MIGRATION_FILES.map((m) => Number(m.name.slice(0, 4))))
    const invalid = await db.sql`SELECT 1 FROM pg_index WHERE NOT indisvalid`
    expect(invalid.length).toBe(0)
    // No lock left behind on a server connection PgBouncer keeps for other clients.
    const locks = await db.sql`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
    expect(locks.length).toBe(0)
    noPreparedStatementErrors(outputs.join('\n') + (await bouncer.log()))
  }, 60_000)

  test('DB_POOL_MODE=session through it stops at once with PgBouncer\'s reason (08P01 is not retried)', async () => {
    const started = performance.now()
    const run = Bun.spawn(['bun', 'src/main.ts', 'serve'], {
      env: { ...process.env, ...env({ DB_POOL_MODE: 'session', PORT: '0', HOST: '127.0.0.1' }) },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await run.exited
    const output = (await new Response(run.stdout).text()) + (await new Response(run.stderr).text())
    expect(code).toBe(1)
    expect(output).toContain('unsupported startup parameter: statement_timeout')
    expect(performance.now() - started).toBeLessThan(15_000) // DB_CONNECT_TIMEOUT is 30 s
  }, 30_000)

  test('the server answers reads, writes, search and cursors with more clients than server connections', async () => {
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push(await videoWithTranscript(db.sql, `pgb${i}`, 30))
    const lines: string[] = []
    server = await startServer(['bun', 'src/main.ts', 'serve'], {
      env: env({ ADMIN_TOKEN: TOKEN, DB_POOL_MAX: '8', ENABLE_CACHING: 'false', SEED_DEMO: 'false' }),
      onLine: (l) => lines.push(l),
    })
    expect(server.output()).toContain('DB_POOL_MODE=transaction: DB_STATEMENT_TIMEOUT_MS cannot be sent')
    const base = server.baseUrl
    const get = async (path: string) => {
      const res = await fetch(base + path)
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }
    const rounds = 5
    const failures: string[] = []
    for (let round = 0; round < rounds; round++) {
      const work = ids.flatMap((id, i) => [
        get(`/videos/${id}`).then((r) => r.status === 200 || failures.push(`video ${r.status} ${JSON.stringify(r.body)}`)),
        get(`/videos/${id}/transcript`).then((r) => r.status === 200 || failures.push(`transcript ${r.status} ${JSON.stringify(r.body)}`)),
        get(`/search?q=cache&limit=5`).then((r) => r.status === 200 || failures.push(`search ${r.status} ${JSON.stringify(r.body)}`)),
        fetch(`${base}/videos/${id}`, {
          method: 'PATCH',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: `round ${round} video ${i}` }),
        }).then(async (r) => r.status === 200 || failures.push(`patch ${r.status} ${await r.text()}`)),
      ])
      await Promise.all(work)
    }
    expect(failures).toEqual([])
    // Cursors: walk the list two at a time.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await get(`/videos?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(page.status).toBe(200)
      const body = page.body as { items: { id: string }[]; page_info: { next_cursor: string | null } }
      seen.push(...body.items.map((v) => v.id))
      cursor = body.page_info.next_cursor
    } while (cursor)
    expect(seen.sort()).toEqual([...ids].sort())
    const [video] = ids
    expect((await get(`/videos/${video}`)).body.title).toBe(`round ${rounds - 1} video 0`)
    noPreparedStatementErrors(lines.join('\n') + (await bouncer.log()))
  }, 90_000)
})
