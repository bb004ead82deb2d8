import { CONNECT_TIMEOUT_S, type Sql } from './db.ts'
import { isConnectionFailure } from './db-errors.ts'
import type { Logger } from './log.ts'

// A process that starts before its database (a fresh compose stack, a failover) waits for it:
// it retries, logging each failed attempt with the reason, and gives up after a deadline with one
// error that says what to check. Errors no retry can cure (a wrong password, a missing database,
// a TLS problem) end the wait at once.

const FIRST_RETRY_MS = 250
const MAX_RETRY_MS = 2000
/** An attempt gets the connect timeout plus a little for `select 1` itself, the last one what is left (but no less than this). */
const ATTEMPT_MS = CONNECT_TIMEOUT_S * 1000 + 1000
const MIN_ATTEMPT_MS = 250

export class DatabaseStartupError extends Error {}

class NoAnswer extends Error {}

/**
 * SQLSTATEs that mean the URL or settings are wrong: invalid authorization (28…), no such
 * database (3D000), a protocol violation (08P01: what PgBouncer answers to a startup parameter
 * it does not pass on, such as statement_timeout without DB_POOL_MODE=transaction).
 */
function isPermanent(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000' || code === '08P01')
}

/** One `select 1`: undefined when it answered, else why not. */
async function attempt(sql: Sql, ms: number): Promise<unknown> {
  let timer: Timer | undefined
  const silence = new Promise<NoAnswer>((res) => {
    timer = setTimeout(() => res(new NoAnswer(`no answer within ${(ms / 1000).toFixed(1)} s`)), ms)
  })
  try {
    return await Promise.race([sql`select 1`.then(() => undefined, (err: unknown) => err ?? new Error('unknown error')), silence])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once `select 1` succeeds; throws DatabaseStartupError after `timeoutS` seconds. */
export async function waitForDatabase(sql: Sql, where: string, timeoutS: number, log: Logger): Promise<void> {
  const started = performance.now()
  const deadline = started + timeoutS * 1000
  for (let n = 1; ; n++) {
    const failure = await attempt(sql, Math.min(ATTEMPT_MS, Math.max(MIN_ATTEMPT_MS, deadline - performance.now())))
    if (failure === undefined) {
      if (n > 1) log.info('database reachable', { attempts: n, waited_ms: Math.round(performance.now() - started) })
      return
    }
    const reason = failure instanceof Error ? failure.message : String(failure)
    if (isPermanent(failure) || !(failure instanceof NoAnswer || isConnectionFailure(failure))) {
      throw new DatabaseStartupError(`cannot use the database at ${where}: ${reason}`)
    }
    const retryMs = Math.min(FIRST_RETRY_MS * 2 ** (n - 1), MAX_RETRY_MS, deadline - performance.now())
    if (retryMs <= 0) {
      throw new DatabaseStartupError(
        `the database at ${where} did not answer within DB_CONNECT_TIMEOUT=${timeoutS} s (${n} attempts, the last: ${reason}); check DATABASE_URL and that PostgreSQL is up`,
      )
    }
    log.warn('database not reachable yet', { attempt: n, reason, retry_in_ms: Math.round(retryMs) })
    await Bun.sleep(retryMs)
  }
}
