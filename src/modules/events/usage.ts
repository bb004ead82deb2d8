import type { Config } from '../../config.ts'
import type { Caller, CallerUsage, UsageReader } from '../../http/caller.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { exportLimit } from './export-quota.ts'
import { quotaResetsAt, usageToday } from './queries.ts'

// A caller's usage today, as GET /auth/me shows it: the auth module gets this reader from createApp
// rather than reaching into the events module's queries.

/** The jobs module's part of the usage: today's new jobs of a caller against its limit. */
export type JobUsageReader = (caller: Caller) => Promise<CallerUsage['jobs']>

export function createUsageReader(deps: { sql: Sql; config: Config; timed: Timed; jobsOf: JobUsageReader }): UsageReader {
  return async (caller) => {
    const account = caller.account
    const [used, jobs] = await Promise.all([account ? deps.timed('usage_today', () => usageToday(deps.sql, account.id)) : { exports: 0, searches: 0 }, deps.jobsOf(caller)])
    const limit = exportLimit(deps.config, caller)
    const today = new Date()
    return {
      date: today.toISOString().slice(0, 10),
      resets_at: quotaResetsAt(today),
      exports: { used: used.exports, limit: limit ?? null, remaining: limit === undefined ? null : Math.max(0, limit - used.exports) },
      searches: { used: used.searches },
      jobs,
    }
  }
}
