// The migrations, embedded in the binary as text. A test checks that this list and sql/ agree.
import schema from '../../sql/0001_schema.sql' with { type: 'text' }
import performanceIndexes from '../../sql/0002_performance_indexes.sql' with { type: 'text' }

export interface MigrationFile {
  name: string
  sql: string
}

export const MIGRATION_FILES: readonly MigrationFile[] = [
  { name: '0001_schema.sql', sql: schema },
  { name: '0002_performance_indexes.sql', sql: performanceIndexes },
]
