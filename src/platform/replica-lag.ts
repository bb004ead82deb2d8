import type { Lsn } from './lsn.ts'

// How far behind in time a replica's data is, measured against the primary's own WAL positions:
// the monitor samples the primary's position every poll, and a replica that has not replayed the
// position the primary had at time t lacks something written by t, so it is at least now - t
// behind (to within a poll). Unlike now() - pg_last_xact_replay_timestamp() on the standby, this
// reads 0 on an idle primary, and it sees a standby whose WAL receiver stopped (the standby itself
// believes it is up to date).

interface Sample {
  at: number
  lsn: Lsn
}

export class ReplicaLag {
  /** Positions the primary reached, oldest first, each with the time it was first seen there. */
  private readonly samples: Sample[] = []
  /** The newest position dropped from `samples`: a replica short of it is more than the window behind. */
  private dropped: Lsn = -1n

  /** `windowMs`: how far back positions are kept (past it, every lag reads as infinite). */
  constructor(private readonly windowMs: number) {}

  /** The primary was at `lsn` at `at`. */
  sample(lsn: Lsn, at: number): void {
    const last = this.samples.at(-1)
    if (!last || lsn > last.lsn) this.samples.push({ at, lsn })
    // Always keep the newest: it is what "caught up" means.
    while (this.samples.length > 1 && (this.samples[0] as Sample).at < at - this.windowMs) this.dropped = (this.samples.shift() as Sample).lsn
  }

  /** Milliseconds a replica that has replayed up to `replayed` is behind the primary (Infinity: past the window). */
  lagMs(replayed: Lsn, now: number): number {
    if (replayed < this.dropped) return Number.POSITIVE_INFINITY
    const missing = this.samples.find((s) => s.lsn > replayed)
    return missing ? Math.max(0, now - missing.at) : 0
  }
}
