import { Gauge, type Registry } from 'prom-client'
import type { Sql } from '../../platform/db.ts'

// jobs_pending, counted when /metrics is scraped (an index-only count on jobs_queue_ordering_idx),
// so no code path has to keep a gauge in step with the table.

/** Adds jobs_pending, counted on `sql`, to an app's registry. */
export function registerJobQueueMetrics(registry: Registry, sql: Sql): void {
  new Gauge({
    name: 'jobs_pending',
    help: 'Jobs waiting to be claimed (state pending)',
    registers: [registry],
    async collect() {
      try {
        const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE state = 'pending'`
        this.set(row?.n ?? 0)
      } catch {
        // the database is down: keep the last value rather than fail the whole scrape
      }
    },
  })
}
