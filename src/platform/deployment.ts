import type { Sql } from './db.ts'

/** Which database this is: its name, and the random id a migration stored in it (sql/0009). */
export interface DeploymentIdentity {
  databaseName: string
  id: string
}

export async function readDeploymentIdentity(sql: Sql): Promise<DeploymentIdentity> {
  const [row] = await sql<{ name: string; id: string | null }[]>`
    SELECT current_database() AS name, (SELECT id::text FROM deployment_identity) AS id`
  if (!row?.id) throw new Error('the database has no deployment identity: run `transcript-api migrate`')
  return { databaseName: row.name, id: row.id }
}
