import { createHash } from 'node:crypto'
import type { PoolMode } from '../config.ts'
import type { Sql } from './db.ts'
import type { Logger } from './log.ts'
import type { MigrationFile } from './migration-files.ts'

// Applies sql/NNNN_name.sql files in order, once each, under an advisory lock.
//
// Session mode holds a session-level lock on the connection that migrates. Through a
// transaction-mode pooler (PgBouncer) a session lock is unsafe: the lock and its unlock may reach
// different server connections, leaving the lock held forever on one that other clients then
// share (and re-enter). There a second connection holds the lock as a transaction-scoped one
// (pg_try_advisory_xact_lock) inside a transaction kept open while the first migrates: PgBouncer
// pins a transaction to one server connection, and the lock ends with the transaction, also
// when its client dies. The open transaction holds no snapshot between its statements (READ
// COMMITTED, no open portal), so CREATE INDEX CONCURRENTLY does not wait for it.

const NO_TRANSACTION_MARKER = '-- migrate:no-transaction'
/** Arbitrary constant shared by every instance: "transcript-api migrations". */
const ADVISORY_LOCK_KEY = 7_246_310_512
const LOCK_POLL_MS = 100

export class MigrationError extends Error {}

interface ParsedMigration {
  version: number
  name: string
  checksum: string
  transactional: boolean
  sql: string
}

export interface MigrationStatus {
  applied: { version: number; name: string; appliedAt: Date }[]
  pending: { version: number; name: string }[]
}

function parse(file: MigrationFile): ParsedMigration {
  const match = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file.name)
  if (!match?.[1]) throw new MigrationError(`migration file name ${file.name} is not NNNN_name.sql`)
  return {
    version: Number(match[1]),
    name: file.name,
    checksum: createHash('sha256').update(file.sql).digest('hex'),
    transactional: file.sql.split('\n', 1)[0]?.trim() !== NO_TRANSACTION_MARKER,
    sql: file.sql,
  }
}

function parseAll(files: readonly MigrationFile[]): ParsedMigration[] {
  const parsed = files.map(parse).sort((a, b) => a.version - b.version)
  parsed.forEach((m, i) => {
    if (i > 0 && parsed[i - 1]?.version === m.version) throw new MigrationError(`two migrations share version ${m.version}`)
  })
  return parsed
}

/**
 * Statements of a no-transaction file, run one at a time (CREATE INDEX CONCURRENTLY refuses to
 * run inside the implicit transaction of a multi-statement query). Such files hold simple
 * statements, each ending with `;` at the end of a line.
 */
function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** Names of the indexes a file builds concurrently: the ones a crashed build may leave INVALID. */
function concurrentIndexNames(text: string): string[] {
  const re = /CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("?[\w.]+"?)/gi
  return [...text.matchAll(re)].map((m) => (m[1] ?? '').replaceAll('"', ''))
}

type Conn = Sql

async function ensureTable(conn: Conn): Promise<void> {
  await conn`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`
}

export interface MigrateOptions {
  /** transaction: `sql` goes through a transaction-mode pooler, and needs two connections. */
  poolMode?: PoolMode
}

/**
 * Polls instead of blocking in pg_advisory_lock: a session blocked inside a statement holds a
 * snapshot, and CREATE INDEX CONCURRENTLY in the lock holder would wait on it forever.
 */
async function pollLock(tryLock: () => Promise<boolean>, log: Logger): Promise<void> {
  let announced = false
  while (!(await tryLock())) {
    if (!announced) log.info('waiting for another process to finish migrating')
    announced = true
    await Bun.sleep(LOCK_POLL_MS)
  }
}

/** Session-level lock on `conn`; returns its release. */
async function sessionLock(conn: Conn, log: Logger): Promise<() => Promise<void>> {
  await pollLock(async () => {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${ADVISORY_LOCK_KEY}::bigint) AS locked`
    return row?.locked === true
  }, log)
  return async () => {
    await conn`SELECT pg_advisory_unlock(${ADVISORY_LOCK_KEY}::bigint)`
  }
}

/**
 * Transaction-scoped lock in a transaction of its own on another connection of `sql`, open until
 * the release is called. Each failed attempt ends its transaction, so a waiting process does not
 * pin one of the pooler's server connections while the lock holder needs it.
 */
async function transactionLock(sql: Sql, log: Logger): Promise<() => Promise<void>> {
  let release = () => {}
  const released = new Promise<void>((res) => (release = res))
  let holder: Promise<boolean> = Promise.resolve(false)
  await pollLock(() => {
    let acquired = () => {}
    const locked = new Promise<boolean>((res) => (acquired = () => res(true)))
    holder = sql.begin(async (tx) => {
      // The simple protocol: an extended-protocol portal stays open until the transaction ends,
      // and with it a snapshot that CREATE INDEX CONCURRENTLY on the other connection waits for.
      const [row] = await tx.unsafe<{ locked: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${ADVISORY_LOCK_KEY}) AS locked`).simple()
      if (!row?.locked) return false
      acquired()
      await released
      return true
    })
    holder.catch(() => {}) // a lost lock connection is reported by the release below
    return Promise.race([locked, holder])
  }, log)
  return async () => {
    release()
    await holder
  }
}

async function appliedRows(conn: Conn) {
  return conn<{ version: number; name: string; checksum: string; applied_at: Date }[]>`
    SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`
}

async function dropInvalidIndexes(conn: Conn, names: string[], log: Logger): Promise<void> {
  if (names.length === 0) return
  const invalid = await conn<{ name: string }[]>`
    SELECT c.relname AS name
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE NOT i.indisvalid AND c.relname IN ${conn(names)}`
  for (const { name } of invalid) {
    log.warn('dropping INVALID index left by an interrupted build', { index: name })
    await conn.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`)
  }
}

async function apply(conn: Conn, m: ParsedMigration): Promise<void> {
  if (m.transactional) {
    await conn`BEGIN`
    try {
      await conn.unsafe(m.sql).simple()
      await conn`INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`
      await conn`COMMIT`
    } catch (err) {
      await conn`ROLLBACK`
      throw err
    }
    return
  }
  for (const statement of splitStatements(m.sql)) await conn.unsafe(statement).simple()
  await conn`INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`
}

function checkChecksums(parsed: ParsedMigration[], applied: { version: number; checksum: string }[]): void {
  const byVersion = new Map(parsed.map((m) => [m.version, m]))
  for (const row of applied) {
    const file = byVersion.get(row.version)
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum mismatch); restore it and add a new migration instead`)
    }
  }
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrate(sql: Sql, files: readonly MigrationFile[], log: Logger, { poolMode = 'session' }: MigrateOptions = {}): Promise<string[]> {
  const parsed = parseAll(files)
  const session = poolMode === 'session'
  const conn = await sql.reserve()
  try {
    // A migration may build an index for minutes: not under the server's statement timeout. RESET
    // (below) returns the connection to the pool with the timeout of its startup packet. Through
    // a transaction pooler a SET would stick to a shared server connection: there the migration
    // pool sends no timeout, and a role-level one applies (DATABASE_MIGRATION_URL avoids it).
    if (session) await conn`SET statement_timeout = 0`
    const unlock = session ? await sessionLock(conn, log) : await transactionLock(sql, log)
    try {
      await ensureTable(conn)
      const applied = await appliedRows(conn)
      checkChecksums(parsed, applied)
      const done = new Set(applied.map((r) => r.version))
      const names: string[] = []
      for (const m of parsed.filter((p) => !done.has(p.version))) {
        const started = performance.now()
        if (!m.transactional) await dropInvalidIndexes(conn, concurrentIndexNames(m.sql), log)
        try {
          await apply(conn, m)
        } catch (err) {
          throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`)
        }
        log.info('migration applied', { migration: m.name, ms: Math.round(performance.now() - started) })
        names.push(m.name)
      }
      return names
    } finally {
      await unlock()
    }
  } finally {
    if (session) await conn`RESET statement_timeout`.catch(() => {}) // fails only on a lost connection, which is not reused
    conn.release()
  }
}

export async function migrationStatus(sql: Sql, files: readonly MigrationFile[]): Promise<MigrationStatus> {
  const parsed = parseAll(files)
  const [exists] = await sql<{ present: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`
  const applied = exists?.present ? await appliedRows(sql) : []
  checkChecksums(parsed, applied)
  const done = new Set(applied.map((r) => r.version))
  return {
    applied: applied.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at })),
    pending: parsed.filter((m) => !done.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
  }
}
