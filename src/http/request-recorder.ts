import { SerialisedFields, type Logger } from '../platform/log.ts'
import { requestFinished, requestSeries, STANDARD_METHODS, type RequestSeries } from './request-metrics.ts'

// A finished request into the metrics and the log, the same whether the fast lane or the router
// answered it.

export type RequestRecorder = (method: string, route: string, status: number, ms: number) => void

/** What one kind of request (method, route template, status) records into, made once. */
interface Slot {
  /** Absent with ENABLE_METRICS=false. */
  series: RequestSeries | undefined
  /** The log line's method, route and status, serialised as JSON members. */
  members: string
}

export function requestRecorder(log: Logger, metricsOn: boolean): RequestRecorder {
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
    if (!slot) byStatus.set(status, (slot = { series: metricsOn ? requestSeries(method, route, status) : undefined, members: JSON.stringify({ method, route, status }).slice(1, -1) }))
    return slot
  }
  return (method, route, status, ms) => {
    const rounded = Math.round(ms * 100) / 100
    if (!STANDARD_METHODS.has(method)) {
      // Any method name a client sends: not worth a slot of its own.
      if (metricsOn) requestFinished(requestSeries(method, route, status), ms / 1000)
      log.info('request', { method, route, status, ms: rounded })
      return
    }
    const slot = slotFor(method, route, status)
    if (slot.series) requestFinished(slot.series, ms / 1000)
    log.info('request', new SerialisedFields(`${slot.members},"ms":${rounded}`))
  }
}
