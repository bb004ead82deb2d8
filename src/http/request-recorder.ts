import type { Logger } from '../platform/log.ts'
import { requestFinished } from './request-metrics.ts'

// A finished request into the metrics and the log, the same whether the fast lane or the router
// answered it.

export type RequestRecorder = (method: string, route: string, status: number, ms: number) => void

export function requestRecorder(log: Logger, metricsOn: boolean): RequestRecorder {
  return (method, route, status, ms) => {
    if (metricsOn) requestFinished(method, route, status, ms / 1000)
    log.info('request', { method, route, status, ms: Math.round(ms * 100) / 100 })
  }
}
