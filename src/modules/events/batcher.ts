import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { errorFields, type Logger } from '../../platform/log.ts'
import { insertEvents, type NewEvent } from './queries.ts'

// Events recorded off the request path (signed-in searches, exempt exports): kept in memory and
// written with one multi-row INSERT every second, or as soon as a batch is full. close() (server
// shutdown) writes what is left. They are usage telemetry: when the database fails, the batch is
// dropped with a warning rather than grown without bound.

export interface BatcherOptions {
  maxBatch: number
  flushIntervalMs: number
  /** Events held at most; past it new ones are dropped (a database outage must not eat the heap). */
  maxPending: number
}

const DEFAULTS: BatcherOptions = { maxBatch: 100, flushIntervalMs: 1000, maxPending: 10_000 }

export class EventBatcher {
  private pending: NewEvent[] = []
  private timer: Timer | undefined
  private writing: Promise<void> = Promise.resolve()
  private closed = false
  /** Counters for tests and logs. */
  readonly stats = { recorded: 0, written: 0, dropped: 0, flushes: 0 }
  private readonly options: BatcherOptions

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly timed: Timed,
    options: Partial<BatcherOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** Queues one event (its time is now, not the flush's). Never throws, never waits. */
  record(event: NewEvent): void {
    if (this.closed || this.pending.length >= this.options.maxPending) {
      this.stats.dropped++
      return
    }
    this.pending.push({ ...event, created_at: event.created_at ?? new Date().toISOString() })
    this.stats.recorded++
    if (this.pending.length >= this.options.maxBatch) void this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushIntervalMs)
      this.timer.unref()
    }
  }

  get size(): number {
    return this.pending.length
  }

  /** Writes everything queued so far, one INSERT per maxBatch events; resolves when it is written. */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    // Chained, so batches are written in order and flush() callers wait for earlier writes too.
    this.writing = this.writing.then(async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.options.maxBatch)
        this.stats.flushes++
        try {
          await this.timed('events_insert_batch', () => insertEvents(this.sql, batch))
          this.stats.written += batch.length
        } catch (err) {
          this.stats.dropped += batch.length
          this.log.warn('dropping usage events: the database refused them', { events: batch.length, ...errorFields(err) })
        }
      }
    })
    return this.writing
  }

  /** Stops accepting and writes what is left (server shutdown). */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
  }
}
