// Plain counters, cheap enough for the hit path; the metrics endpoint reads them on scrape.

export interface TypeStats {
  hitsL1: number
  hitsL2: number
  misses: number
  staleServed: number
  loaderCalls: number
  coalesced: number
}

export class CacheStats {
  readonly byType = new Map<string, TypeStats>()
  l2Errors = 0
  busMessagesIn = 0
  busMessagesOut = 0
  /** Times this instance found that Redis had lost the versions (a new epoch began). */
  resetsDetected = 0
  /** Times the versions were read again after the bus (re)connected (L1 dropped each time). */
  busResyncs = 0
  /** Entries L1 dropped to make room: a steady count means keys come faster than they repeat. */
  l1Evictions = 0

  of(type: string): TypeStats {
    let s = this.byType.get(type)
    if (!s) {
      s = { hitsL1: 0, hitsL2: 0, misses: 0, staleServed: 0, loaderCalls: 0, coalesced: 0 }
      this.byType.set(type, s)
    }
    return s
  }

  /** Hits (either tier, stale included) over all lookups, per resource and overall. */
  hitRate(type?: string): number {
    const all = type ? [this.of(type)] : [...this.byType.values()]
    let hits = 0
    let total = 0
    for (const s of all) {
      hits += s.hitsL1 + s.hitsL2 + s.staleServed
      total += s.hitsL1 + s.hitsL2 + s.staleServed + s.misses
    }
    return total === 0 ? 0 : hits / total
  }
}
