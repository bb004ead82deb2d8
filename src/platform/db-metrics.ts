import { guarded, refuseWhileUnreachable } from './db-breaker.ts'
import type { Logger } from './log.ts'
import { dbPoolConnections, dbQueryDuration, dbSlowQueries } from './metrics.ts'

// Times database operations under fixed names (never SQL text, so labels stay bounded), counts
// the slow ones and logs each with its parameters redacted. postgres.js exposes no pool
// statistics, so in-flight operations stand in for the busy connections.

interface QueryMetricsOptions {
  slowQueryMs: number
  poolMax: number
  log: Logger
}

let options: QueryMetricsOptions | undefined
let inFlight = 0

/** Called once by each process that talks to the database (server, worker). */
export function configureQueryMetrics(o: QueryMetricsOptions): void {
  options = o
  dbPoolConnections.set({ state: 'max' }, o.poolMax)
}

function updatePoolGauge(): void {
  const max = options?.poolMax ?? Number.POSITIVE_INFINITY
  dbPoolConnections.set({ state: 'active' }, Math.min(inFlight, max))
  dbPoolConnections.set({ state: 'waiting' }, Math.max(0, inFlight - max))
}

/**
 * Runs one database operation through the circuit breaker (src/platform/db-breaker.ts) and records
 * its duration. `params` are only counted in the slow-query log line: their values may be personal
 * data. An operation refused by the open breaker is not timed: it never reached the database.
 */
export async function timed<T>(operation: string, run: () => PromiseLike<T>, params: readonly unknown[] = []): Promise<T> {
  refuseWhileUnreachable()
  const started = performance.now()
  inFlight++
  updatePoolGauge()
  try {
    return await guarded(run)
  } finally {
    inFlight--
    updatePoolGauge()
    const ms = performance.now() - started
    dbQueryDuration.observe({ operation }, ms / 1000)
    if (options && ms > options.slowQueryMs) {
      dbSlowQueries.inc({ operation })
      options.log.warn('slow query', { operation, ms: Math.round(ms * 10) / 10, params: `[${params.length} redacted]` })
    }
  }
}

/** How services run their queries: named, timed, through the breaker. */
export type Timed = typeof timed
