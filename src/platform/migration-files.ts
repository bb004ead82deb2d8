// The migrations, embedded in the binary as text. A test checks that this list and sql/ agree.
import schema from '../../sql/0001_schema.sql' with { type: 'text' }
import performanceIndexes from '../../sql/0002_performance_indexes.sql' with { type: 'text' }
import videoIndexes from '../../sql/0003_video_indexes.sql' with { type: 'text' }
import jobIndexes from '../../sql/0004_job_indexes.sql' with { type: 'text' }
import accounts from '../../sql/0005_accounts.sql' with { type: 'text' }
import jobFencing from '../../sql/0006_job_fencing.sql' with { type: 'text' }
import cursorSecret from '../../sql/0008_cursor_secret.sql' with { type: 'text' }
import deploymentIdentity from '../../sql/0009_deployment_identity.sql' with { type: 'text' }
import jobOwner from '../../sql/0010_job_owner.sql' with { type: 'text' }
import searchPostings from '../../sql/0011_search_postings.sql' with { type: 'text' }
import searchPostingsIndex from '../../sql/0012_search_postings_index.sql' with { type: 'text' }

export interface MigrationFile {
  name: string
  sql: string
}

export const MIGRATION_FILES: readonly MigrationFile[] = [
  { name: '0001_schema.sql', sql: schema },
  { name: '0002_performance_indexes.sql', sql: performanceIndexes },
  { name: '0003_video_indexes.sql', sql: videoIndexes },
  { name: '0004_job_indexes.sql', sql: jobIndexes },
  { name: '0005_accounts.sql', sql: accounts },
  { name: '0006_job_fencing.sql', sql: jobFencing },
  { name: '0008_cursor_secret.sql', sql: cursorSecret },
  { name: '0009_deployment_identity.sql', sql: deploymentIdentity },
  { name: '0010_job_owner.sql', sql: jobOwner },
  { name: '0011_search_postings.sql', sql: searchPostings },
  { name: '0012_search_postings_index.sql', sql: searchPostingsIndex },
]
