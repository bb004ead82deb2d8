import type { Config, PoolMode } from '../config.ts'
import { DatabaseBreaker, type Probe } from './db-breaker.ts'
import { createPool, type Sql } from './db.ts'
import { waitForDatabase } from './db-wait.ts'
import { DataDirInUseError } from './data-dir-lock.ts'
import { EMBEDDED_POOL_MAX, runningEmbeddedSocket, startEmbeddedDatabase } from './embedded-db.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'

/** How long after the server's statement timeout an unanswered operation is given up on. */
const DEADLINE_GRACE_MS = 1000

export interface Database {
  sql: Sql
  kind: 'embedded' | 'external'
  poolMax: number
  close(): Promise<void>
}

export interface OpenOptions {
  /** Server-side limit of every statement on an external PostgreSQL (DB_STATEMENT_TIMEOUT_MS); none by default. */
  statementTimeoutMs?: number
  /**
   * Refuse a DATA_DIR another process has open (serve: two servers on one embedded database are
   * not a deployment). Otherwise a command started beside it uses that process's database.
   */
  ownEmbedded?: boolean
}

/**
 * The configured PostgreSQL once it answers (waiting up to DB_CONNECT_TIMEOUT), or the embedded
 * one in DATA_DIR when DATABASE_URL is unset.
 */
export async function openDatabase(config: Config, log: Logger, applicationName: string, options: OpenOptions = {}): Promise<Database> {
  if (config.DATABASE_URL) {
    const poolMode = config.DB_POOL_MODE
    const sql = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName, statementTimeoutMs: options.statementTimeoutMs, poolMode })
    const { hostname: host, port, pathname } = new URL(config.DATABASE_URL)
    const database = pathname.slice(1)
    log.info('database: external PostgreSQL', { host, port, database, pool_mode: poolMode })
    if (poolMode === 'transaction' && options.statementTimeoutMs) {
      log.warn('DB_POOL_MODE=transaction: DB_STATEMENT_TIMEOUT_MS cannot be sent through the pooler; set it on the role instead', {
        sql: `ALTER ROLE <role> SET statement_timeout = ${options.statementTimeoutMs}`,
      })
    }
    try {
      await waitForDatabase(sql, `${host}:${port || 5432}/${database}`, config.DB_CONNECT_TIMEOUT, log)
    } catch (err) {
      await sql.end({ timeout: 0 })
      throw err
    }
    return { sql, kind: 'external', poolMax: config.DB_POOL_MAX, close: () => sql.end({ timeout: 5 }) }
  }
  const started = performance.now()
  let embedded
  try {
    embedded = await startEmbeddedDatabase(config.DATA_DIR)
  } catch (err) {
    if (!(err instanceof DataDirInUseError) || options.ownEmbedded) throw err
    return openRunningEmbedded(config, log, applicationName, err)
  }
  const sql = createPool(embedded.url, { max: EMBEDDED_POOL_MAX, applicationName })
  log.info('database: embedded PGlite (set DATABASE_URL for PostgreSQL in production)', {
    data_dir: embedded.dataDir,
    ms: Math.round(performance.now() - started),
  })
  return {
    sql,
    kind: 'embedded',
    poolMax: EMBEDDED_POOL_MAX,
    async close() {
      await sql.end({ timeout: 5 })
      await embedded.close()
    },
  }
}

/**
 * The embedded database of the process that has DATA_DIR open, through its Unix socket. PGlite
 * is one session shared with that process: no prepared statements left behind in it, no settings
 * (the pool mode of a transaction pooler, which shares sessions the same way).
 */
async function openRunningEmbedded(config: Config, log: Logger, applicationName: string, inUse: DataDirInUseError): Promise<Database> {
  const socketPath = runningEmbeddedSocket(config.DATA_DIR, inUse)
  const sql = createPool('postgres://postgres@localhost/postgres', { max: EMBEDDED_POOL_MAX, applicationName, poolMode: 'transaction', socketPath })
  try {
    await waitForDatabase(sql, socketPath, config.DB_CONNECT_TIMEOUT, log)
  } catch (err) {
    await sql.end({ timeout: 0 })
    throw err
  }
  log.info('database: the embedded PGlite of the running process', { pid: inUse.pid, socket: socketPath })
  return { sql, kind: 'embedded', poolMax: EMBEDDED_POOL_MAX, close: () => sql.end({ timeout: 5 }) }
}

/** A probe on a one-connection pool of its own, replaced whenever a check goes unanswered. */
function poolProbe(url: string, poolMode: PoolMode): Probe {
  const open = () => createPool(url, { max: 1, applicationName: 'transcript-api probe', poolMode })
  let sql = open()
  return {
    check: () => sql`select 1`,
    reset() {
      void sql.end({ timeout: 0 })
      sql = open()
    },
    close: () => sql.end({ timeout: 0 }),
  }
}

/**
 * The circuit breaker in front of this process's operations on the external database (the
 * embedded one lives and dies with the process), started; `stop` removes it at shutdown.
 */
export function guardDatabase(config: Config, log: Logger, metrics: Metrics): { breaker: DatabaseBreaker | undefined; stop: () => Promise<void> } {
  if (!config.DATABASE_URL) return { breaker: undefined, stop: async () => {} }
  // The server cancels a statement after DB_STATEMENT_TIMEOUT_MS; the deadline catches the ones
  // it cannot (a connection that hangs), a little later.
  const deadlineMs = config.DB_STATEMENT_TIMEOUT_MS > 0 ? config.DB_STATEMENT_TIMEOUT_MS + DEADLINE_GRACE_MS : 0
  const breaker = new DatabaseBreaker({ probe: poolProbe(config.DATABASE_URL, config.DB_POOL_MODE), log, deadlineMs, openGauge: metrics.dbBreakerOpen })
  breaker.start()
  return { breaker, stop: () => breaker.stop() }
}
