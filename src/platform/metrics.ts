import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { APP_VERSION } from '../version.ts'
import { FastHistogram } from './fast-histogram.ts'

// Every Prometheus metric of one app (or worker), on its own registry: created by createApp (or the
// worker's CLI) and passed to what records into it, so two apps in one process count apart. Labels
// are bounded by construction: routes are templates (unknown paths collapse to one value),
// operations are fixed names in code.

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Requests answered, per (method, route, status): a plain addition per request, added to
 * http_requests_total when scraped (prom-client's inc() hashes the label set on every call).
 */
export interface PendingCount {
  labels: { method: string; route: string; status: string }
  n: number
}

export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  /** http_request_duration_seconds{method,route,status_class}: observed on every request (src/http/request-metrics.ts). */
  const httpRequestDuration = new FastHistogram('http_request_duration_seconds', 'HTTP request latency by route template', LATENCY_BUCKETS)
  registry.registerMetric(httpRequestDuration.asMetric())

  const pendingRequestCounts = new Map<string, PendingCount>()
  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    collect() {
      for (const pending of pendingRequestCounts.values()) {
        if (pending.n === 0) continue
        this.inc(pending.labels, pending.n)
        pending.n = 0
      }
    },
  })

  /** Requests between the router's first and last hook; a plain number, read when scraped. */
  const requestsInFlight = { count: 0 }
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [registry],
    collect() {
      this.set(requestsInFlight.count)
    },
  })

  new Gauge({
    name: 'app_info',
    help: 'Build information; the value is always 1',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: APP_VERSION }, 1)

  return {
    registry,
    httpRequestDuration,
    pendingRequestCounts,
    requestsInFlight,
    dbQueryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database query latency by operation (a fixed name per query, never SQL text)',
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    dbSlowQueries: new Counter({
      name: 'db_slow_queries_total',
      help: 'Queries slower than DB_SLOW_QUERY_MS, by operation',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    dbPoolConnections: new Gauge({
      name: 'db_pool_connections',
      help: 'Pool size (state="max") and queries using a connection (state="active") or waiting for one (state="waiting")',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    dbBreakerOpen: new Gauge({
      name: 'db_breaker_open',
      help: '1 while the database is unreachable and requests that need it are answered 503 at once',
      registers: [registry],
    }),
    searchQueriesTotal: new Counter({
      name: 'search_queries_total',
      help: 'Search requests answered (cached or not)',
      registers: [registry],
    }),
    jobsCreatedTotal: new Counter({
      name: 'jobs_created_total',
      help: 'Jobs created through POST /jobs, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    jobsFinishedTotal: new Counter({
      name: 'jobs_finished_total',
      help: 'Job attempts finished by this process, by result (completed, retry, failed, released, lost)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
