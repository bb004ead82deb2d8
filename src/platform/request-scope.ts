import { AsyncLocalStorage } from 'node:async_hooks'

// The request a piece of work belongs to, for its log lines: the router runs each request inside
// its scope, so a slow query, a breaker warning or an unhandled error logged while serving it
// carries its request id and client address without anyone passing them along. Fast-path hits
// finish within one synchronous call and write their one line themselves, outside any scope.

export interface RequestScope {
  /** Safe characters only ([A-Za-z0-9._:-], src/http/request-id.ts): written into JSON as is. */
  readonly requestId: string
  /** The client address (src/http/client-ip.ts): an IP address or `unknown`. */
  readonly ip: string
}

export const requestScope = new AsyncLocalStorage<RequestScope>()

/** `"request_id":…,"ip":…` of a scope, as JSON object members (both are made of safe characters). */
export const scopeMembers = (scope: RequestScope): string => `"request_id":"${scope.requestId}","ip":"${scope.ip}"`
