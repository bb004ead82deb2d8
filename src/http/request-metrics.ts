import type { Counter, Histogram } from 'prom-client'
import { httpRequestDuration, httpRequestsTotal, requestsInFlight } from '../platform/metrics.ts'

// Per-request metrics at a cost of a Map lookup: the labelled children are built once per
// (method, route, status) and reused. Every label is bounded: route is a template or one
// "unmatched" value, methods outside the standard set collapse to OTHER.

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

interface Children {
  duration: ReturnType<Histogram<'method' | 'route' | 'status_class'>['labels']>
  total: ReturnType<Counter<'method' | 'route' | 'status'>['labels']>
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
  const method = METHODS.has(rawMethod) ? rawMethod : 'OTHER'
  const key = `${method} ${route} ${status}`
  let c = children.get(key)
  if (!c) {
    const statusText = String(status)
    c = {
      duration: httpRequestDuration.labels(method, route, `${statusText[0]}xx`),
      total: httpRequestsTotal.labels(method, route, statusText),
    }
    children.set(key, c)
  }
  c.duration.observe(seconds)
  c.total.inc()
}
