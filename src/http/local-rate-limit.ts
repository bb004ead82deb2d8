import type { Rate } from '../config-parsers.ts'

// A fixed-window counter in this process's memory, synchronous, for the cached public reads: the
// fast path answers them at tens of thousands per second, where a Redis round trip (or even a
// promise) per hit would cost more than the hit. Each instance counts its own requests, so N
// instances behind a balancer let a client make up to N × points per window. The map holds the
// clients of the current window only: a new window starts with a new map, so a flood of distinct
// addresses costs at most one window's worth of entries.

export class LocalWindow {
  private counts = new Map<string, number>()
  private windowEnds = 0
  private readonly windowMs: number

  constructor(private readonly rate: Rate) {
    this.windowMs = rate.seconds * 1000
  }

  /**
   * Counts one request of `key`: 0 while the window's count stays within the points, else the
   * milliseconds until the window ends (a number, not an object: this runs on every fast-path hit).
   */
  hit(key: string, now = Date.now()): number {
    if (now >= this.windowEnds) {
      this.counts = new Map()
      this.windowEnds = now + this.windowMs
    }
    const count = (this.counts.get(key) ?? 0) + 1
    this.counts.set(key, count)
    return count <= this.rate.points ? 0 : Math.max(1, this.windowEnds - now)
  }
}
