// Generation counters per scope ('ns:search', 'video:<id>', …). A cache key embeds the current
// generation of every scope it depends on; bumping one makes every key built on the old value
// unreachable at once, in both tiers, with no SCAN/KEYS. Redis holds the shared truth; each
// instance mirrors it locally so the hit path never asks Redis.

export class Generations {
  private readonly local = new Map<string, number>()
  /** Moves whenever any generation does: a key built at one epoch is current while it stays. */
  epoch = 0

  get(scope: string): number {
    return this.local.get(scope) ?? 0
  }

  /** Takes the larger of the known and the given values (messages may arrive out of order). */
  apply(updates: Record<string, number | string>): void {
    for (const [scope, raw] of Object.entries(updates)) {
      const gen = Number(raw)
      if (Number.isFinite(gen) && gen > this.get(scope)) {
        this.local.set(scope, gen)
        this.epoch++
      }
    }
  }

  /** Local-only bump, for when Redis is absent or unreachable. */
  bumpLocal(scopes: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {}
    for (const s of scopes) {
      const gen = this.get(s) + 1
      this.local.set(s, gen)
      this.epoch++
      out[s] = gen
    }
    return out
  }
}
