import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer } from 'node:net'
import postgres from 'postgres'
import { createPool } from '../src/platform/db.ts'
import { isConnectionFailure, isDatabaseUnavailable } from '../src/platform/db-errors.ts'
import { migrate } from '../src/platform/migrate.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { ADMIN_URL, createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

// Which database errors are "retry later" (503) and which are bugs (500), from errors real
// PostgreSQL servers and sockets raise; a statement timeout and a database refusing connections
// answer 503 with Retry-After; migrations are exempt from the statement timeout.

let db: TestDatabase
let videoId: string
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  videoId = await videoWithTranscript(db.sql, 'dberrors001', 3)
}, 30_000)
afterAll(async () => {
  await db.drop()
})

const failureOf = async (run: () => PromiseLike<unknown>): Promise<unknown> => {
  try {
    await run()
  } catch (err) {
    return err
  }
  throw new Error('expected the query to fail')
}

/** Makes the suite's database refuse new connections (55000, FATAL) until restore(). */
async function refusingDatabase(): Promise<{ url: string; restore(): Promise<void> }> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`)
  return {
    url: db.url,
    async restore() {
      await admin.unsafe(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`)
      await admin.end()
    },
  }
}

describe('classification of real errors', () => {
  test('connection failures: refused, a server that closes before the handshake, a terminated backend, a database not accepting connections', async () => {
    const refused = createPool('postgres://postgres@127.0.0.1:1/none', { max: 1, applicationName: 'refused' })
    const closer = createServer((s) => s.end()).listen(0, '127.0.0.1')
    await new Promise((r) => closer.once('listening', r))
    const closes = createPool(`postgres://postgres@127.0.0.1:${(closer.address() as { port: number }).port}/x`, { max: 1, applicationName: 'closes' })
    const victim = createPool(db.url, { max: 1, applicationName: 'victim' })
    // Connected before the database stops accepting new connections.
    const [victimRow] = await victim<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`
    const refusing = await refusingDatabase()
    const fresh = postgres(refusing.url, { max: 1, onnotice: () => {} })
    try {
      const killed = failureOf(() => victim`SELECT pg_sleep(5)`)
      await Bun.sleep(100)
      await db.sql`SELECT pg_terminate_backend(${victimRow?.pid ?? 0})`
      const errors = {
        refused: await failureOf(() => refused`select 1`),
        closedBeforeHandshake: await failureOf(() => closes`select 1`),
        terminated: await killed,
        notAccepting: await failureOf(() => fresh`select 1`),
      }
      expect((errors.refused as { code: string }).code).toBe('ECONNREFUSED')
      expect((errors.closedBeforeHandshake as { code: string }).code).toBe('CONNECTION_CLOSED_BEFORE_HANDSHAKE')
      expect((errors.notAccepting as { code: string; severity: string }).code).toBe('55000')
      expect((errors.notAccepting as { severity: string }).severity).toBe('FATAL')
      for (const [name, err] of Object.entries(errors)) {
        expect({ name, failure: isConnectionFailure(err), unavailable: isDatabaseUnavailable(err) }).toEqual({ name, failure: true, unavailable: true })
      }
    } finally {
      await refusing.restore()
      await Promise.all([refused.end({ timeout: 0 }), closes.end({ timeout: 0 }), victim.end({ timeout: 0 }), fresh.end({ timeout: 0 })])
      closer.close()
    }
  })

  test('a statement timeout is a 503 but not a connection failure; SQL errors are neither', async () => {
    const slow = createPool(db.url, { max: 1, applicationName: 'slow', statementTimeoutMs: 100 })
    try {
      const timeout = await failureOf(() => slow`SELECT pg_sleep(1)`)
      expect((timeout as { code: string }).code).toBe('57014')
      expect([isConnectionFailure(timeout), isDatabaseUnavailable(timeout)]).toEqual([false, true])
      for (const bad of [() => db.sql`SELECT 'x'::int`, () => db.sql`SELECT * FROM no_such_table`, () => db.sql`SELECT 1/0`]) {
        const err = await failureOf(bad)
        expect([isConnectionFailure(err), isDatabaseUnavailable(err)]).toEqual([false, false])
      }
    } finally {
      await slow.end({ timeout: 0 })
    }
  })
})

describe('HTTP answers', () => {
  test('a database that stopped accepting connections (55000) answers 503 database_unavailable with Retry-After', async () => {
    const refusing = await refusingDatabase()
    const pool = createPool(refusing.url, { max: 1, applicationName: 'refusing' })
    try {
      const res = await testApp(pool).request(`/videos/${videoId}`)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('database_unavailable')
    } finally {
      await refusing.restore()
      await pool.end({ timeout: 0 })
    }
  })

  test('a query past DB_STATEMENT_TIMEOUT_MS is cancelled by the server and answers 503', async () => {
    const pool = createPool(db.url, { max: 2, applicationName: 'timeout', statementTimeoutMs: 200 })
    const locker = postgres(db.url, { max: 1, onnotice: () => {} })
    const api = testApp(pool, { env: { ENABLE_CACHING: 'false' } })
    try {
      expect((await api.request(`/videos/${videoId}`)).status).toBe(200)
      // Hold a lock the video read waits for: the statement, not the connection, is what hangs.
      const reserved = await locker.reserve()
      await reserved`BEGIN`
      await reserved`LOCK TABLE videos IN ACCESS EXCLUSIVE MODE`
      const started = performance.now()
      const res = await api.request(`/videos/${videoId}`)
      const ms = performance.now() - started
      await reserved`ROLLBACK`
      reserved.release()
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(ms).toBeGreaterThanOrEqual(190)
      expect(ms).toBeLessThan(3000)
      expect((await api.request(`/videos/${videoId}`)).status).toBe(200)
    } finally {
      await pool.end({ timeout: 0 })
      await locker.end({ timeout: 0 })
    }
  })

  test('migrations run without the statement timeout, and hand their connection back with it', async () => {
    const fresh = await createTestDatabase()
    const pool = createPool(fresh.url, { max: 1, applicationName: 'migrate', statementTimeoutMs: 100 })
    try {
      const slow = [{ name: '0001_slow.sql', sql: 'SELECT pg_sleep(0.3);' }]
      expect(await migrate(pool, slow, quietLog)).toEqual(['0001_slow.sql'])
      const [row] = await pool<{ statement_timeout: string }[]>`SHOW statement_timeout`
      expect(row?.statement_timeout).toBe('100ms')
    } finally {
      await pool.end({ timeout: 0 })
      await fresh.drop()
    }
  })
})
