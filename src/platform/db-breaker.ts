import { DatabaseUnavailableError, isConnectionFailure } from './db-errors.ts'
import type { Logger } from './log.ts'

// A circuit breaker in front of the server's database operations. While operations are running
// (or the database is known to be down) a probe asks the database `select 1` on a connection of
// its own, at least every PROBE_INTERVAL_MS, and at once when an operation's connection fails.
// A probe that fails, or gets no answer within PROBE_TIMEOUT_MS while no operation got one either,
// opens the breaker: the operations still waiting are rejected and new ones refused at once, so a
// request that needs the database answers 503 within about a second of it becoming unreachable,
// even when its connections hang instead of failing. The first probe answered closes it again.

const PROBE_INTERVAL_MS = 250
const PROBE_TIMEOUT_MS = 500

/** Asks the database a trivial question on a connection apart from the pool's. */
export interface Probe {
  check(): Promise<unknown>
  /** Drops the probe's connection (it may hang); the next check opens a new one. */
  reset(): void
  close(): Promise<void>
}

export interface BreakerOptions {
  probe: Probe
  log: Logger
  /** Operations still unanswered this long are rejected; 0 for none. */
  deadlineMs: number
  /** db_breaker_open of the process's metrics. */
  openGauge?: { set(value: number): void }
}

export class DatabaseBreaker {
  private outage: { since: number; reason: string } | undefined
  /** Rejecters of the operations in flight, called when the breaker opens. */
  private readonly waiting = new Set<(err: Error) => void>()
  /** When an operation or probe last got an answer from the database (performance.now()). */
  private lastAnswerAt = 0
  private probing = false
  private timer: Timer | undefined

  constructor(private readonly options: BreakerOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.outage || this.waiting.size > 0) void this.check()
    }, PROBE_INTERVAL_MS)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.options.probe.close()
  }

  /** Throws while the database is known to be unreachable. */
  refuseIfOpen(): void {
    if (this.outage) throw new DatabaseUnavailableError(`the database is unreachable (${this.outage.reason})`)
  }

  /** Runs one operation unless the breaker is open; rejects it when the breaker opens or its deadline passes. */
  run<T>(operation: () => PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.refuseIfOpen()
      let timer: Timer | undefined
      const settled = () => {
        clearTimeout(timer)
        this.waiting.delete(abort)
      }
      const abort = (err: Error) => {
        settled()
        reject(err)
      }
      this.waiting.add(abort)
      const { deadlineMs } = this.options
      if (deadlineMs > 0) {
        timer = setTimeout(() => {
          this.options.log.warn('database operation given up: no answer within its deadline', { deadline_ms: deadlineMs })
          abort(new DatabaseUnavailableError(`the database did not answer within ${deadlineMs} ms`))
          void this.check()
        }, deadlineMs)
      }
      Promise.resolve()
        .then(operation)
        .then(
          (value) => {
            this.lastAnswerAt = performance.now()
            settled()
            resolve(value)
          },
          (err: unknown) => {
            if (isConnectionFailure(err)) void this.check()
            else this.lastAnswerAt = performance.now() // an SQL error is an answer too
            settled()
            reject(err)
          },
        )
    })
  }

  private async check(): Promise<void> {
    if (this.probing) return
    this.probing = true
    const started = performance.now()
    let timer: Timer | undefined
    const silence = new Promise<'silent'>((res) => (timer = setTimeout(() => res('silent'), PROBE_TIMEOUT_MS)))
    try {
      const outcome = await Promise.race([this.options.probe.check().then(() => 'answered' as const, (err: unknown) => err), silence])
      if (outcome === 'answered') {
        this.lastAnswerAt = performance.now()
        this.recover()
        return
      }
      if (outcome === 'silent') this.options.probe.reset()
      // Operations answered meanwhile: the database is slow or the probe's connection is bad, not gone.
      if (this.lastAnswerAt >= started) return
      this.trip(outcome === 'silent' ? `no answer within ${PROBE_TIMEOUT_MS} ms` : outcome instanceof Error ? outcome.message : String(outcome))
    } finally {
      clearTimeout(timer)
      this.probing = false
    }
  }

  private trip(reason: string): void {
    if (this.outage) return
    this.outage = { since: Date.now(), reason }
    this.options.openGauge?.set(1)
    this.options.log.warn('database unreachable: requests that need it answer 503 until it is back', { reason })
    const err = new DatabaseUnavailableError(`the database is unreachable (${reason})`)
    for (const abort of this.waiting) abort(err)
  }

  private recover(): void {
    if (!this.outage) return
    this.options.log.info('database reachable again', { unreachable_ms: Date.now() - this.outage.since })
    this.outage = undefined
    this.options.openGauge?.set(0)
  }
}
