import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPool, type Sql } from '../src/platform/db.ts'
import { embeddedSocketPath, startEmbeddedDatabase, type EmbeddedDatabase } from '../src/platform/embedded-db.ts'

// PGlite is one session; its socket server shares it between a process's pool (TCP) and a
// command beside it (Unix socket). Interleaved exchanges must never answer one client with the
// other's statement, and a client that leaves inside a transaction must not hold the session.

const dir = mkdtempSync(join(tmpdir(), 'ta-embedded-socket-'))
let embedded: EmbeddedDatabase
let server: Sql
let beside: Sql

beforeAll(async () => {
  embedded = await startEmbeddedDatabase(dir)
  server = createPool(embedded.url, { max: 1, applicationName: 'server' })
  beside = createPool('postgres://postgres@localhost/postgres', { max: 1, applicationName: 'cli', poolMode: 'transaction', socketPath: embeddedSocketPath(dir) })
  await server`CREATE TABLE notes (id int PRIMARY KEY, who text NOT NULL)`
}, 60_000)
afterAll(async () => {
  await beside?.end({ timeout: 1 })
  await server?.end({ timeout: 1 })
  await embedded?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('embedded session server', () => {
  test('two clients\' concurrent queries and transactions each get their own answers', async () => {
    const fromServer = Array.from({ length: 150 }, (_, i) => server<{ n: number; who: string }[]>`SELECT ${i}::int AS n, 'server' AS who`)
    const fromBeside = Array.from({ length: 150 }, (_, i) => beside<{ n: number; label: string }[]>`SELECT ${i + 1000}::int AS n, ${`cli ${i}`}::text AS label`)
    const writes = Array.from({ length: 20 }, (_, i) =>
      beside.begin(async (tx) => {
        await tx`INSERT INTO notes (id, who) VALUES (${i}, 'cli')`
        const [row] = await tx<{ count: number }[]>`SELECT count(*)::int AS count FROM notes WHERE id = ${i}`
        return row?.count
      }),
    )
    const [a, b, w] = await Promise.all([Promise.all(fromServer), Promise.all(fromBeside), Promise.all(writes)])
    expect(a.map((rows) => rows[0])).toEqual(Array.from({ length: 150 }, (_, i) => ({ n: i, who: 'server' })))
    expect(b.map((rows) => rows[0])).toEqual(Array.from({ length: 150 }, (_, i) => ({ n: i + 1000, label: `cli ${i}` })))
    expect(w).toEqual(Array.from({ length: 20 }, () => 1))
    expect((await server<{ count: number }[]>`SELECT count(*)::int AS count FROM notes`)[0]?.count).toBe(20)
  })

  test('a client gone inside a transaction is rolled back and frees the session', async () => {
    const leaver = createPool('postgres://postgres@localhost/postgres', { max: 1, applicationName: 'leaver', poolMode: 'transaction', socketPath: embeddedSocketPath(dir) })
    const conn = await leaver.reserve()
    await conn`BEGIN`
    await conn`INSERT INTO notes (id, who) VALUES (500, 'leaver')`
    await leaver.end({ timeout: 0 }) // closes the socket mid-transaction
    const started = performance.now()
    const rows = await server`SELECT who FROM notes WHERE id = 500`
    expect(rows.length).toBe(0)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
