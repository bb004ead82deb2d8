import type { HistogramChild } from '../platform/fast-histogram.ts'
import { httpRequestDuration, pendingRequestCounts, requestsInFlight, type PendingCount } from '../platform/metrics.ts'

// Per-request metrics at a cost of a Map lookup: the labelled children and counts are made once
// per (method, route, status) and reused. Every label is bounded: route is a template or one
// "unmatched" value, methods outside the standard set collapse to OTHER.

export const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

interface Children {
  duration: HistogramChild
  total: PendingCount
}

const children = new Map<string, Children>()

/** In flight from the router's first hook to its last; fast-lane hits finish within one call. */
export function requestStarted(): void {
  requestsInFlight.count++
}

export function requestEnded(): void {
  requestsInFlight.count--
}

export function requestFinished(rawMethod: string, route: string, status: number, seconds: number): void {
  const method = STANDARD_METHODS.has(rawMethod) ? rawMethod : 'OTHER'
  const key = `${method} ${route} ${status}`
  let c = children.get(key)
  if (!c) {
    const statusText = String(status)
    c = {
      duration: httpRequestDuration.child({ method, route, status_class: `${statusText[0]}xx` }),
      total: { labels: { method, route, status: statusText }, n: 0 },
    }
    pendingRequestCounts.set(key, c.total)
    children.set(key, c)
  }
  c.duration.observe(seconds)
  c.total.n++
}
