import { Elysia } from 'elysia'
import { SerialisedFields, type Logger } from '../platform/log.ts'
import type { Metrics } from '../platform/metrics.ts'
import { scopeMembers, type RequestScope } from '../platform/request-scope.ts'
import { requestFinished, requestSeries, STANDARD_METHODS, type RequestSeries } from './request-metrics.ts'

// The one request wrapper: a finished request into the metrics and the log line, the same whether
// the fast path (which calls the recorder itself) or the router (through requestHooks) answered it.

/** `scope`: the request's id and client address, for its log line. */
export type RequestRecorder = (method: string, route: string, status: number, ms: number, scope: RequestScope) => void

/** Route template for logs and metrics; never the raw path (one series per id would be unbounded). */
export const UNMATCHED_ROUTE = '(unmatched)'

/** What one kind of request (method, route template, status) records into, made once. */
interface Slot {
  /** Absent with ENABLE_METRICS=false. */
  series: RequestSeries | undefined
  /** The log line's method, route and status, serialised as JSON members. */
  members: string
}

/** `metrics` undefined with ENABLE_METRICS=false: the log line only. */
export function requestRecorder(log: Logger, metrics: Metrics | undefined): RequestRecorder {
  // Slots by route, then method, then status: route templates and standard methods are constant
  // strings (their hashes are cached), so finding a slot builds no key string. On a cache hit,
  // building and hashing one per request (and JSON.stringify of the fields) cost more than the
  // cache lookup itself.
  const slots = new Map<string, Map<string, Map<number, Slot>>>()
  const slotFor = (method: string, route: string, status: number): Slot => {
    let byMethod = slots.get(route)
    if (!byMethod) slots.set(route, (byMethod = new Map()))
    let byStatus = byMethod.get(method)
    if (!byStatus) byMethod.set(method, (byStatus = new Map()))
    let slot = byStatus.get(status)
    if (!slot) byStatus.set(status, (slot = { series: metrics ? requestSeries(metrics, method, route, status) : undefined, members: JSON.stringify({ method, route, status }).slice(1, -1) }))
    return slot
  }
  return (method, route, status, ms, scope) => {
    const rounded = Math.round(ms * 100) / 100
    if (!STANDARD_METHODS.has(method)) {
      // Any method name a client sends: not worth a slot of its own.
      if (metrics) requestFinished(requestSeries(metrics, method, route, status), ms / 1000)
      log.info('request', new SerialisedFields(`${JSON.stringify({ method, route, status, ms: rounded }).slice(1, -1)},${scopeMembers(scope)}`))
      return
    }
    const slot = slotFor(method, route, status)
    if (slot.series) requestFinished(slot.series, ms / 1000)
    log.info('request', new SerialisedFields(`${slot.members},"ms":${rounded},${scopeMembers(scope)}`))
  }
}

/**
 * The router's side of the wrapper: times each request from its first hook to its last and hands
 * it to `record`, with the in-flight gauge (fast-path hits finish within one call and skip it).
 * `statusOf` reads the status a handler result was sent with.
 */
export function requestHooks(
  record: RequestRecorder,
  metrics: Metrics | undefined,
  statusOf: (value: unknown, set: { status?: number | string }) => number,
  scopeOf: (request: Request) => RequestScope,
) {
  const started = new WeakMap<Request, number>()
  const inFlight = metrics?.requestsInFlight
  return new Elysia({ name: 'request-hooks' })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
      if (inFlight) inFlight.count++
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const ms = performance.now() - (started.get(request) ?? performance.now())
      if (inFlight) inFlight.count--
      record(request.method, route || UNMATCHED_ROUTE, statusOf(responseValue, set), ms, scopeOf(request))
    })
}
