import type { Config } from '../config.ts'
import { createPool, type Sql } from './db.ts'
import { EMBEDDED_POOL_MAX, startEmbeddedDatabase } from './embedded-db.ts'
import type { Logger } from './log.ts'

export interface Database {
  sql: Sql
  kind: 'embedded' | 'external'
  poolMax: number
  close(): Promise<void>
}

/** The configured PostgreSQL, or the embedded one in DATA_DIR when DATABASE_URL is unset. */
export async function openDatabase(config: Config, log: Logger, applicationName: string): Promise<Database> {
  if (config.DATABASE_URL) {
    const sql = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName })
    const { hostname: host, port, pathname } = new URL(config.DATABASE_URL)
    log.info('database: external PostgreSQL', { host, port, database: pathname.slice(1) })
    return { sql, kind: 'external', poolMax: config.DB_POOL_MAX, close: () => sql.end({ timeout: 5 }) }
  }
  const started = performance.now()
  const embedded = await startEmbeddedDatabase(config.DATA_DIR)
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
