import type { Tx } from './loaders.ts'

// Bulk-load mode for segments. Loading a million rows, most of the cost after parsing is spent
// per row on things that are far cheaper done once over the whole table: foreign-key checks (two
// per row, queued as triggers and fired at the end of COPY) and index maintenance. So a large
// seed drops them inside its transaction and restores each from its own definition (same name,
// same statement, as pg_get_indexdef / pg_get_constraintdef print it) before committing. Nothing
// else can see the table meanwhile: DROP holds an ACCESS EXCLUSIVE lock until commit, and a
// failure rolls the drops back with everything else.

/** Below this many new segments, keeping checks and indexes is cheaper than rebuilding them. */
export const BULK_LOAD_MIN_SEGMENTS = 50_000

export interface Suspended {
  kind: 'index' | 'foreign key'
  name: string
  /** The statement that puts it back. */
  restore: string
}

export interface BulkLoadChoice {
  /** Secondary indexes that back no constraint, of segments and of the search postings its triggers fill. */
  indexes: boolean
  foreignKeys: boolean
}

/**
 * Suspends what `choice` names when `incoming` rows are many, and more than the table already
 * holds (re-validating or re-indexing a big table to add a few rows would be the slower way).
 */
export async function suspendForBulkLoad(tx: Tx, incoming: number, choice: BulkLoadChoice): Promise<Suspended[]> {
  if (incoming < BULK_LOAD_MIN_SEGMENTS || (!choice.indexes && !choice.foreignKeys)) return []
  // reltuples is -1 until the first ANALYZE; pages then give a rough floor (~50 rows a page).
  const [size] = await tx<{ rows: number }[]>`
    SELECT (CASE WHEN reltuples < 0 THEN relpages * 50 ELSE reltuples END)::float8 AS rows
    FROM pg_class WHERE oid = 'segments'::regclass`
  if ((size?.rows ?? 0) > incoming) return []
  const suspended: Suspended[] = []
  if (choice.foreignKeys) {
    const fks = await tx<{ name: string; definition: string }[]>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS definition
      FROM pg_constraint WHERE conrelid = 'segments'::regclass AND contype = 'f' ORDER BY conname`
    for (const { name, definition } of fks) {
      await tx`ALTER TABLE segments DROP CONSTRAINT ${tx(name)}`
      suspended.push({ kind: 'foreign key', name, restore: `ALTER TABLE segments ADD CONSTRAINT "${name.replaceAll('"', '""')}" ${definition}` })
    }
  }
  if (choice.indexes) {
    const indexes = await tx<{ schema: string; name: string; definition: string }[]>`
      SELECT n.nspname AS schema, i.relname AS name, pg_get_indexdef(i.oid) AS definition
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE x.indrelid IN ('segments'::regclass, 'search_postings'::regclass)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY i.relname`
    for (const { schema, name, definition } of indexes) {
      await tx`DROP INDEX ${tx(schema)}.${tx(name)}`
      suspended.push({ kind: 'index', name, restore: definition })
    }
  }
  return suspended
}

export async function restoreAfterBulkLoad(tx: Tx, suspended: readonly Suspended[], onRestored: (s: Suspended) => void): Promise<void> {
  for (const s of suspended) {
    await tx.unsafe(s.restore)
    onRestored(s)
  }
}
