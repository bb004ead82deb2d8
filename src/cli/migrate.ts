import type { Config } from '../config.ts'
import { openDatabase } from '../platform/database.ts'
import type { Logger } from '../platform/log.ts'
import { migrateDatabase } from '../platform/migrate-database.ts'
import { migrationStatus } from '../platform/migrate.ts'
import { MIGRATION_FILES } from '../platform/migration-files.ts'
import { parseOptions } from './usage.ts'

export async function migrateCommand(args: string[], config: Config, log: Logger): Promise<void> {
  const opts = parseOptions('migrate', args, { status: { type: 'boolean' } })
  const db = await openDatabase(config, log, 'transcript-api migrate')
  try {
    if (opts.status) {
      const status = await migrationStatus(db.sql, MIGRATION_FILES)
      for (const m of status.applied) console.log(`applied  ${m.name}  ${m.appliedAt.toISOString()}`)
      for (const m of status.pending) console.log(`pending  ${m.name}`)
      console.log(`${status.applied.length} applied, ${status.pending.length} pending`)
      return
    }
    const applied = await migrateDatabase(db, config, log)
    console.log(applied.length === 0 ? 'database is up to date' : `applied ${applied.length}: ${applied.join(', ')}`)
  } finally {
    await db.close()
  }
}
