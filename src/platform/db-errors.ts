// Errors that mean "the database cannot serve right now", as opposed to a bad query: the HTTP
// layer answers them with 503 (retry later), never 500.

/** Thrown instead of asking a database known to be unreachable, and for an operation past its deadline. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE'
}

/** Codes of errors that mean the connection to the database failed or was lost. */
const CONNECTION_CODES = new Set([
  'DATABASE_UNAVAILABLE',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  // our socket: the server closed before the PostgreSQL handshake (src/platform/db-socket.ts)
  'CONNECTION_CLOSED_BEFORE_HANDSHAKE',
  // sockets and name resolution
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up, shutting down, a standby)
  '57P01',
  '57P02',
  '57P03',
])

/**
 * SQLSTATE classes of transient refusals by a server that is still connected: insufficient
 * resources (53: out of memory, disk full, …) and operator intervention (57: statement timeout,
 * cancel).
 */
const UNAVAILABLE_CLASSES = new Set(['53', '57'])
/** A standby after a failover refuses writes until the new primary is reachable. */
const READ_ONLY_TRANSACTION = '25006'

function fields(err: unknown): { code: string | undefined; severity: string | undefined } {
  if (typeof err !== 'object' || err === null) return { code: undefined, severity: undefined }
  const { code, severity } = err as { code?: unknown; severity?: unknown }
  return { code: typeof code === 'string' ? code : undefined, severity: typeof severity === 'string' ? severity : undefined }
}

/**
 * The connection failed or ended: refused, reset, timed out, or closed by a FATAL error (which
 * ends the session whatever its code: 55000 "database is not currently accepting connections",
 * a failed authentication, …). The breaker probes the database on these.
 */
export function isConnectionFailure(err: unknown): boolean {
  const { code, severity } = fields(err)
  if (severity === 'FATAL' || severity === 'PANIC') return true
  return code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08'))
}

/** Any error a retry later may cure: a connection failure or a transient refusal by the server. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (isConnectionFailure(err)) return true
  const { code } = fields(err)
  return code !== undefined && code.length === 5 && (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || code === READ_ONLY_TRANSACTION)
}
