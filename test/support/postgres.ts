import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { createPool, type Sql } from '../../src/platform/db.ts'
import type { LogLevel } from '../../src/config.ts'
import { createLogger, SerialisedFields, type Logger } from '../../src/platform/log.ts'
import { migrate } from '../../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../../src/platform/migration-files.ts'

// Each suite gets its own database on the real PostgreSQL, created here and dropped afterwards.

/** Admin connection to the test server; override with TEST_DATABASE_URL. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export const quietLog = createLogger('error')

export interface TestDatabase {
  name: string
  url: string
  /** A pool on the fresh database (closed by drop()). */
  sql: Sql
  drop(): Promise<void>
}

export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `ta_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const sql = createPool(url.toString(), { max: 5, applicationName: 'transcript-api test' })
  if (options.migrated) await migrate(sql, MIGRATION_FILES, quietLog)
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 1 })
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await a.end()
    },
  }
}

/** A logger whose lines a test can read: JSON objects, one per call, at or above `level`. */
export function capturingLog(level: LogLevel = 'debug') {
  const lines: LogLine[] = []
  const at = (lvl: LogLevel) => (msg: string, fields?: object) => lines.push({ level: lvl, msg, ...(fields instanceof SerialisedFields ? {} : fields) })
  const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
  const log: Logger = {
    debug: (m, f) => rank[level] <= 0 && at('debug')(m, f),
    info: (m, f) => rank[level] <= 1 && at('info')(m, f),
    warn: (m, f) => rank[level] <= 2 && at('warn')(m, f),
    error: (m, f) => at('error')(m, f),
  }
  return { log, lines }
}

export type LogLine = { level: LogLevel; msg: string } & Record<string, unknown>
