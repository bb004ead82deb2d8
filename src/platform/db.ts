import postgres from 'postgres'
import type { PoolMode } from '../config.ts'
import type { DatabaseBreaker } from './db-breaker.ts'
import { handshakeCheckedSockets } from './db-socket.ts'

export type Sql = postgres.Sql

/** Seconds a new connection may take to be ready for queries (TCP, TLS, authentication). */
export const CONNECT_TIMEOUT_S = 5

export interface PoolOptions {
  max: number
  /** Name shown in pg_stat_activity, so operators can tell the server from the worker. */
  applicationName: string
  /** The server cancels any statement running longer (0 or unset: no limit). */
  statementTimeoutMs?: number
  /**
   * transaction: the URL is a transaction-mode pooler (PgBouncer), which hands each transaction
   * to whichever server connection is free. Prepared statements and session settings would then
   * land on a connection other clients use ("prepared statement … does not exist"), and PgBouncer
   * refuses startup parameters it does not know, statement_timeout among them.
   */
  poolMode?: PoolMode
  /** Connect to this Unix socket instead of the URL's host and port. */
  socketPath?: string
}

/**
 * Seconds before a connection that failed is tried again. postgres.js's default grows to 20 s,
 * which is how long a database that came back stays unused; the circuit breaker
 * (src/platform/db-breaker.ts), not this delay, keeps a dead database from being hammered.
 */
const reconnectDelay = (retries: number) => Math.min(0.01 * 2 ** retries, 0.2) * (0.5 + Math.random() / 2)

export function createPool(url: string, { max, applicationName, statementTimeoutMs, poolMode = 'session', socketPath }: PoolOptions): Sql {
  const session = poolMode === 'session'
  // A variable, not a literal: `socket` is documented (README, "Custom socket") but missing from
  // postgres.js's type declarations.
  const options = {
    max,
    idle_timeout: 60,
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: reconnectDelay,
    socket: handshakeCheckedSockets(),
    // The server owns its log; postgres.js would print NOTICEs (e.g. "already exists") to stdout.
    onnotice: () => {},
    prepare: session,
    ...(socketPath ? { path: socketPath } : {}),
    connection: {
      application_name: applicationName,
      // Sent in the startup packet: the session default, which RESET returns to.
      ...(session && statementTimeoutMs !== undefined ? { statement_timeout: statementTimeoutMs } : {}),
    },
  }
  return postgres(url, options)
}

/** Round-trips a trivial query through the circuit breaker (when there is one), bounded by `timeoutMs`. */
export async function pingDatabase(sql: Sql, timeoutMs: number, breaker?: DatabaseBreaker): Promise<boolean> {
  let timer: Timer | undefined
  const timeout = new Promise<false>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  try {
    return await Promise.race([(breaker ? breaker.run(() => sql`select 1`) : sql`select 1`).then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}
