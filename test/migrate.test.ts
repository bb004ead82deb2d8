import { afterEach, describe, expect, test } from 'bun:test'
import { migrate, MigrationError, migrationStatus } from '../src/platform/migrate.ts'
import { MIGRATION_FILES, type MigrationFile } from '../src/platform/migration-files.ts'
import { readdirSync } from 'node:fs'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

let db: TestDatabase | undefined
afterEach(async () => {
  await db?.drop()
  db = undefined
})

const PERFORMANCE_INDEXES = [
  'jobs_queue_ordering_idx',
  'jobs_pending_idx',
  'users_email_idx',
  'events_user_created_idx',
  'sessions_user_id_idx',
]

const ALL_VERSIONS = MIGRATION_FILES.map((m) => Number(m.name.slice(0, 4)))

async function appliedVersions(t: TestDatabase) {
  return (await t.sql<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`).map((r) => r.version)
}

describe('migrations', () => {
  test('the embedded list matches the files in sql/', () => {
    const onDisk = readdirSync(new URL('../sql', import.meta.url)).filter((f) => f.endsWith('.sql')).sort()
    expect(MIGRATION_FILES.map((m) => m.name)).toEqual(onDisk)
  })

  test('a fresh database gets the whole data model and the five performance indexes', async () => {
    db = await createTestDatabase()
    const applied = await migrate(db.sql, MIGRATION_FILES, quietLog)
    expect(applied).toEqual(MIGRATION_FILES.map((m) => m.name))
    const tables = await db.sql<{ t: string }[]>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining(['api_keys', 'events', 'favorites', 'jobs', 'schema_migrations', 'segments', 'sessions', 'transcripts', 'users', 'videos']),
    )
    const indexes = await db.sql<{ name: string; valid: boolean }[]>`
      SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname IN ${db.sql(PERFORMANCE_INDEXES)}`
    expect(indexes.map((r) => r.name).sort()).toEqual([...PERFORMANCE_INDEXES].sort())
    expect(indexes.every((r) => r.valid)).toBe(true)
    const rows = await db.sql<{ checksum: string }[]>`SELECT checksum FROM schema_migrations`
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true)
  })

  test('a second run is a no-op', async () => {
    db = await createTestDatabase()
    await migrate(db.sql, MIGRATION_FILES, quietLog)
    const before = await db.sql`SELECT version, applied_at FROM schema_migrations ORDER BY version`
    expect(await migrate(db.sql, MIGRATION_FILES, quietLog)).toEqual([])
    expect(await db.sql`SELECT version, applied_at FROM schema_migrations ORDER BY version`).toEqual(before)
    const status = await migrationStatus(db.sql, MIGRATION_FILES)
    expect(status.pending).toEqual([])
    expect(status.applied.map((m) => m.name)).toEqual(MIGRATION_FILES.map((m) => m.name))
  })

  test('status lists pending migrations on an empty database', async () => {
    db = await createTestDatabase()
    const status = await migrationStatus(db.sql, MIGRATION_FILES)
    expect(status.applied).toEqual([])
    expect(status.pending.map((m) => m.name)).toEqual(MIGRATION_FILES.map((m) => m.name))
  })

  test('three processes migrating one empty database apply each migration exactly once', async () => {
    db = await createTestDatabase()
    const url = db.url
    const runs = [0, 1, 2].map(() =>
      Bun.spawn(['bun', 'src/main.ts', 'migrate'], {
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'error' },
        stdout: 'pipe',
        stderr: 'pipe',
      }),
    )
    const codes = await Promise.all(runs.map((r) => r.exited))
    const outputs = await Promise.all(runs.map((r) => new Response(r.stdout).text()))
    expect(codes).toEqual([0, 0, 0])
    // exactly one process applied the migrations; the others found the database up to date
    expect(outputs.filter((o) => o.includes(`applied ${MIGRATION_FILES.length}`)).length).toBe(1)
    expect(outputs.filter((o) => o.includes('up to date')).length).toBe(2)
    expect(await appliedVersions(db)).toEqual(ALL_VERSIONS)
  }, 60_000)

  test('a changed applied file refuses to migrate, naming the file', async () => {
    db = await createTestDatabase()
    await migrate(db.sql, MIGRATION_FILES, quietLog)
    const tampered: MigrationFile[] = MIGRATION_FILES.map((m) =>
      m.name === '0001_schema.sql' ? { ...m, sql: m.sql + '\n-- edited\n' } : m,
    )
    const attempt = migrate(db.sql, tampered, quietLog)
    await expect(attempt).rejects.toThrow(MigrationError)
    await expect(attempt).rejects.toThrow(/0001_schema\.sql.*checksum/)
  })

  test('a failing migration leaves nothing half-applied', async () => {
    db = await createTestDatabase()
    const broken: MigrationFile[] = [
      ...MIGRATION_FILES,
      { name: '9001_broken.sql', sql: 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n' },
    ]
    await expect(migrate(db.sql, broken, quietLog)).rejects.toThrow(/9001_broken\.sql failed/)
    const [row] = await db.sql<{ present: boolean }[]>`SELECT to_regclass('half_done') IS NOT NULL AS present`
    expect(row?.present).toBe(false)
    // the good migrations before it stay applied; the broken one is not recorded
    expect(await appliedVersions(db)).toEqual(ALL_VERSIONS)
  })

  test('an INVALID index left by a crashed concurrent build is rebuilt', async () => {
    db = await createTestDatabase()
    await migrate(db.sql, MIGRATION_FILES.slice(0, 1), quietLog)
    // What a crashed CREATE INDEX CONCURRENTLY leaves behind: the index exists but is not valid.
    await db.sql`CREATE INDEX jobs_queue_ordering_idx ON jobs (state, priority, created_at)`
    await db.sql`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'jobs_queue_ordering_idx'::regclass`
    await migrate(db.sql, MIGRATION_FILES, quietLog)
    const [row] = await db.sql<{ valid: boolean }[]>`
      SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'jobs_queue_ordering_idx'::regclass`
    expect(row?.valid).toBe(true)
  })

  test('file names must be NNNN_name.sql', async () => {
    db = await createTestDatabase()
    await expect(migrate(db.sql, [{ name: 'schema.sql', sql: 'SELECT 1' }], quietLog)).rejects.toThrow(/NNNN_name\.sql/)
  })
})
