// The versions cache keys are built from, mirrored locally so the hit path never asks Redis.
//
// Every write to a scope ('ns:search', 'video:<id>', …) gets the next sequence number of its
// deployment, and a cache key embeds the version of every scope it depends on: a write makes every
// key built before it unreachable, in both tiers, at once. Sequence numbers count within an epoch,
// and Redis makes a new epoch whenever its bookkeeping was lost (restart without persistence,
// FLUSHDB, eviction, a failover to a replica that is behind): epochs only grow (they start at the
// Redis server's clock, above every epoch an instance knew), so a (epoch, seq) pair never comes
// back, and keys built on an old epoch can never be reached again. Counters alone could: after a
// reset they restart from 1 and meet keys built on the old numbers (the ABA problem).
//
// A write this instance could not announce (Redis unreachable) gets a local version of its own
// until the announcement succeeds, so this instance at least never serves its own stale values.

export type Version = number | string

export type Applied = 'reset' | 'moved' | 'ignored'

export class Versions {
  /** 0 until the first answer from Redis (and for ever without Redis). */
  epoch = 0
  /** Highest sequence number seen in this epoch. */
  seq = 0
  private readonly seqs = new Map<string, number>()
  private readonly unannounced = new Map<string, string>()
  private local = 0
  /** Moves whenever any version does: a key built at one clock value is current while it stays. */
  clock = 0

  get(scope: string): Version {
    return this.unannounced.get(scope) ?? this.seqs.get(scope) ?? 0
  }

  /**
   * Writes announced at (epoch, seq). An older epoch is ignored (a late message from before a
   * reset); a newer one replaces everything known ('reset': values built before are not trusted).
   */
  apply(epoch: number, seq: number, scopes: Iterable<readonly [string, number]>): Applied {
    if (epoch < this.epoch) return 'ignored'
    const reset = epoch > this.epoch
    if (reset) {
      this.epoch = epoch
      this.seq = 0
      this.seqs.clear()
    }
    this.seq = Math.max(this.seq, seq)
    for (const [scope, s] of scopes) {
      // Messages and snapshots may arrive out of order: the larger number is the later write.
      if (s > (this.seqs.get(scope) ?? 0)) this.seqs.set(scope, s)
    }
    this.clock++
    return reset ? 'reset' : 'moved'
  }

  /** Without Redis: the next local sequence number for these scopes (one instance, one epoch). */
  bumpLocal(scopes: readonly string[]): void {
    const seq = this.seq + 1
    this.apply(this.epoch, seq, scopes.map((s) => [s, seq] as const))
  }

  /** A write not yet announced: versions no other instance uses, until `announced`. */
  markUnannounced(scopes: readonly string[], origin: string): void {
    for (const s of scopes) this.unannounced.set(s, `${origin}.${++this.local}`)
    this.clock++
  }

  get hasUnannounced(): boolean {
    return this.unannounced.size > 0
  }

  /** The unannounced writes as (scope, local version) pairs, to hand back to `announced`. */
  unannouncedEntries(): [string, string][] {
    return [...this.unannounced]
  }

  /** These writes are announced now; a scope written again meanwhile keeps its newer local version. */
  announced(entries: readonly (readonly [string, string])[]): void {
    for (const [scope, version] of entries) if (this.unannounced.get(scope) === version) this.unannounced.delete(scope)
    this.clock++
  }
}
