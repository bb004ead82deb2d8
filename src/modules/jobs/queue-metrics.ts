import { Gauge } from 'prom-client'
import type { Sql } from '../../platform/db.ts'
import { registry } from '../../platform/metrics.ts'

// jobs_pending, counted when /metrics is scraped (an index-only count on jobs_queue_ordering_idx),
// so no code path has to keep a gauge in step with the table.

let observed: Sql | undefined

export function observeJobQueue(sql: Sql): void {
  observed = sql
}

new Gauge({
  name: 'jobs_pending',
  help: 'Jobs waiting to be claimed (state pending)',
  registers: [registry],
  async collect() {
    if (!observed) return
    try {
      const [row] = await observed<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE state = 'pending'`
      this.set(row?.n ?? 0)
    } catch {
      // the database is down: keep the last value rather than fail the whole scrape
    }
  },
})
