import postgres from 'postgres'

export type Sql = postgres.Sql

export interface PoolOptions {
  max: number
  /** Name shown in pg_stat_activity, so operators can tell the server from the worker. */
  applicationName: string
}

export function createPool(url: string, { max, applicationName }: PoolOptions): Sql {
  return postgres(url, {
    max,
    idle_timeout: 60,
    connect_timeout: 5,
    // The server owns its log; postgres.js would print NOTICEs (e.g. "already exists") to stdout.
    onnotice: () => {},
    connection: { application_name: applicationName },
  })
}

/** Round-trips a trivial query, bounded by `timeoutMs`, for readiness probes. */
export async function pingDatabase(sql: Sql, timeoutMs: number): Promise<boolean> {
  let timer: Timer | undefined
  const timeout = new Promise<false>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  try {
    return await Promise.race([sql`select 1`.then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}
