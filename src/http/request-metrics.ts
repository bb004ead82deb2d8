import type { HistogramChild } from '../platform/fast-histogram.ts'
import type { Metrics, PendingCount } from '../platform/metrics.ts'

// Per-request metrics at the cost of a few additions: the labelled series of each (method, route,
// status) are made once and reused. Every label is bounded: route is a template or one
// "unmatched" value, methods outside the standard set collapse to OTHER.

export const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** The series one kind of request counts in. */
export interface RequestSeries {
  duration: HistogramChild
  total: PendingCount
}

/** Made once per (method, route, status) of `metrics`; callers keep it rather than asking again. */
export function requestSeries(metrics: Metrics, rawMethod: string, route: string, status: number): RequestSeries {
  const method = STANDARD_METHODS.has(rawMethod) ? rawMethod : 'OTHER'
  const key = `${method} ${route} ${status}`
  let total = metrics.pendingRequestCounts.get(key)
  if (!total) {
    total = { labels: { method, route, status: String(status) }, n: 0 }
    metrics.pendingRequestCounts.set(key, total)
  }
  return { duration: metrics.httpRequestDuration.child({ method, route, status_class: `${String(status)[0]}xx` }), total }
}

export function requestFinished(series: RequestSeries, seconds: number): void {
  series.duration.observe(seconds)
  series.total.n++
}
