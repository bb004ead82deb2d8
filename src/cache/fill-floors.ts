import { errorFields, type Logger } from '../platform/log.ts'
import type { Lsn } from '../platform/lsn.ts'

// The WAL position a cache fill must see, per version scope, so that a fill from a read replica
// can never put a value older than a write it depends on under a key built after that write. (A
// write bumps its scopes' versions; the next fill of a key with the new versions would otherwise
// read a replica that has not replayed the write yet and cache the old row for a whole TTL.)
//
// Every time a scope moves here (our own write: before it is announced; another instance's: when
// its message arrives; a reset or resync: every scope), the scope is "waiting" until this instance
// has read the primary's WAL insert position, which is then the scope's floor. The write committed
// before it was announced, so a position read after the announcement is at or past its commit
// record, and a replica that has replayed up to the floor has the write. Until the position is
// known a fill of that scope goes to the primary; so does every fill while the position cannot be
// read (the primary is down: its fills fail too, and the cache serves what it may).
//
// The writer does not carry its position in the bus message: the receiver's own read costs one
// trivial query per batch of messages (reads coalesce: at most one in flight, the marks made
// meanwhile share the next), needs no change to the versions script or its hash, and covers every
// writer alike: the worker, the CLI, an instance configured without replicas, and the writes a
// resync or a new epoch stands for, whose positions nobody announced.

/** Past this many scopes with a floor of their own, one floor for all replaces them (memory stays bounded). */
const MAX_FLOORS = 10_000
const RETRY_MS = 200

interface Batch {
  scopes: Set<string>
  all: boolean
}

export class FillFloors {
  /** Each scope's floor is at least this: the position read after the last reset, resync or compaction. */
  private base: Lsn = 0n
  private readonly floors = new Map<string, Lsn>()
  /** Scopes (and, in `waitingAll`, the "every scope" marks) whose position is being read. */
  private readonly waiting = new Map<string, number>()
  private waitingAll = 0
  private next: Batch | undefined
  private reading = false
  private retry: Timer | undefined
  /** Whether the last read failed (logged once per outage). */
  private failing = false
  private closed = false

  /** Starts waiting for every scope: writes made before this process started have no floor here yet. */
  constructor(
    private readonly primaryLsn: () => Promise<Lsn>,
    private readonly log: Logger,
  ) {
    this.moved('all')
  }

  /** These scopes moved ('all': any may have); fills depending on them must see the primary as of now. */
  moved(scopes: readonly string[] | 'all'): void {
    const batch = (this.next ??= { scopes: new Set(), all: false })
    if (scopes === 'all') {
      if (!batch.all) this.waitingAll++
      batch.all = true
    } else {
      for (const s of scopes) {
        if (batch.scopes.has(s)) continue
        batch.scopes.add(s)
        this.waiting.set(s, (this.waiting.get(s) ?? 0) + 1)
      }
    }
    this.readNext()
  }

  /** The position a fill depending on `scopes` must see, or undefined while it is not known yet. */
  required(scopes: readonly string[]): Lsn | undefined {
    if (this.waitingAll > 0) return undefined
    let need = this.base
    for (const s of scopes) {
      if (this.waiting.has(s)) return undefined
      const floor = this.floors.get(s)
      if (floor !== undefined && floor > need) need = floor
    }
    return need
  }

  close(): void {
    this.closed = true
    clearTimeout(this.retry)
  }

  private readNext(): void {
    if (this.reading || this.retry || !this.next || this.closed) return
    const batch = this.next
    this.next = undefined
    this.reading = true
    this.primaryLsn()
      .then((lsn) => {
        if (this.failing) this.log.info('the primary WAL position can be read again: cache fills may use replicas')
        this.failing = false
        this.settle(batch, lsn)
      })
      .catch((err: unknown) => {
        // Still waiting: the marks join the next read, a little later.
        if (!this.failing) this.log.warn('could not read the primary WAL position; cache fills go to the primary until it can be read', errorFields(err))
        this.failing = true
        this.merge(batch)
        this.retry = setTimeout(() => {
          this.retry = undefined
          this.readNext()
        }, RETRY_MS)
        this.retry.unref()
      })
      .finally(() => {
        this.reading = false
        this.readNext()
      })
  }

  /** Reads run one at a time, so `lsn` is at or past every floor already set. */
  private settle(batch: Batch, lsn: Lsn): void {
    for (const s of batch.scopes) {
      this.floors.set(s, lsn)
      const left = (this.waiting.get(s) ?? 1) - 1
      if (left > 0) this.waiting.set(s, left)
      else this.waiting.delete(s)
    }
    if (batch.all) this.waitingAll--
    if (batch.all || this.floors.size > MAX_FLOORS) {
      this.base = lsn
      this.floors.clear()
    }
  }

  /** A failed read's marks, back into the batch of the next read (their waiting counts stay). */
  private merge(batch: Batch): void {
    const next = (this.next ??= { scopes: new Set(), all: false })
    for (const s of batch.scopes) {
      if (next.scopes.has(s)) {
        // Counted in both batches: one count goes with the merged batch.
        const left = (this.waiting.get(s) ?? 1) - 1
        if (left > 0) this.waiting.set(s, left)
      } else {
        next.scopes.add(s)
      }
    }
    if (batch.all) {
      if (next.all) this.waitingAll--
      next.all = true
    }
  }
}
