import { SerialisedFields, type Logger } from '../platform/log.ts'
import { requestFinished, STANDARD_METHODS } from './request-metrics.ts'

// A finished request into the metrics and the log, the same whether the fast lane or the router
// answered it.

export type RequestRecorder = (method: string, route: string, status: number, ms: number) => void

export function requestRecorder(log: Logger, metricsOn: boolean): RequestRecorder {
  // The log line's method, route and status serialised once per combination (templates and
  // standard methods only, so the map stays small): on a cache hit JSON.stringify of the fields
  // would cost more than the lookup itself.
  const serialised = new Map<string, string>()
  return (method, route, status, ms) => {
    if (metricsOn) requestFinished(method, route, status, ms / 1000)
    const rounded = Math.round(ms * 100) / 100
    if (!STANDARD_METHODS.has(method)) {
      log.info('request', { method, route, status, ms: rounded })
      return
    }
    const key = `${method} ${route} ${status}`
    let members = serialised.get(key)
    if (members === undefined) {
      members = JSON.stringify({ method, route, status }).slice(1, -1)
      serialised.set(key, members)
    }
    log.info('request', new SerialisedFields(`${members},"ms":${rounded}`))
  }
}
