import type { Config } from '../config.ts'
import type { Database } from './database.ts'
import { createPool } from './db.ts'
import type { Logger } from './log.ts'
import { migrate } from './migrate.ts'
import { MIGRATION_FILES } from './migration-files.ts'

/**
 * Migrates the database a command opened. An external PostgreSQL gets a small pool of its own:
 * two connections, since through a transaction pooler one holds the lock while the other
 * migrates, and without the server's statement timeout. DATABASE_MIGRATION_URL, when set, points
 * it straight at PostgreSQL (session mode), e.g. past PgBouncer or as a role allowed to run DDL.
 */
export async function migrateDatabase(db: Database, config: Config, log: Logger): Promise<string[]> {
  if (db.kind === 'embedded' || !config.DATABASE_URL) return migrate(db.sql, MIGRATION_FILES, log)
  const url = config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL
  const poolMode = config.DATABASE_MIGRATION_URL ? 'session' : config.DB_POOL_MODE
  const sql = createPool(url, { max: 2, applicationName: 'transcript-api migrations', poolMode })
  try {
    return await migrate(sql, MIGRATION_FILES, log, { poolMode })
  } finally {
    await sql.end({ timeout: 5 })
  }
}
