import type { DatabaseBreaker } from './db-breaker.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'

// Times database operations under fixed names (never SQL text, so labels stay bounded), counts
// the slow ones and logs each with its parameters redacted. postgres.js exposes no pool
// statistics, so in-flight operations stand in for the busy connections.

export interface QueryTimerOptions {
  metrics: Metrics
  log: Logger
  slowQueryMs: number
  poolMax: number
  /** The circuit breaker in front of the database (src/platform/db-breaker.ts), when there is one. */
  breaker?: DatabaseBreaker | undefined
}

/**
 * Runs one database operation through the circuit breaker and records its duration. `params` are
 * only counted in the slow-query log line: their values may be personal data. An operation refused
 * by the open breaker is not timed: it never reached the database.
 */
export type Timed = <T>(operation: string, run: () => PromiseLike<T>, params?: readonly unknown[]) => Promise<T>

/** One per process part that talks to the database (an app, a worker), recording into its metrics. */
export function createQueryTimer(o: QueryTimerOptions): Timed {
  const { metrics, log, slowQueryMs, poolMax, breaker } = o
  let inFlight = 0
  metrics.dbPoolConnections.set({ state: 'max' }, poolMax)
  const updatePoolGauge = () => {
    metrics.dbPoolConnections.set({ state: 'active' }, Math.min(inFlight, poolMax))
    metrics.dbPoolConnections.set({ state: 'waiting' }, Math.max(0, inFlight - poolMax))
  }
  return async (operation, run, params = []) => {
    breaker?.refuseIfOpen()
    const started = performance.now()
    inFlight++
    updatePoolGauge()
    try {
      return await (breaker ? breaker.run(run) : run())
    } finally {
      inFlight--
      updatePoolGauge()
      const ms = performance.now() - started
      metrics.dbQueryDuration.observe({ operation }, ms / 1000)
      if (ms > slowQueryMs) {
        metrics.dbSlowQueries.inc({ operation })
        log.warn('slow query', { operation, ms: Math.round(ms * 10) / 10, params: `[${params.length} redacted]` })
      }
    }
  }
}
