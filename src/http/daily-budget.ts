import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { fleetLimiter, type RateLimitsDeps, type Refusal } from './rate-limit.ts'

// An amount a key may spend per UTC day (the events' stored bytes per user), counted in Redis like
// the rate limits (in memory per instance while Redis is unreachable). The day is part of the key,
// so the budget resets at midnight UTC; each key expires a day after its first spend.

const DAY_SECONDS = 86_400

/** Milliseconds from `now` to the next midnight UTC. */
export function untilMidnightUtc(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()
}

export class DailyBudget {
  private readonly store: RateLimiterAbstract | undefined

  constructor(
    deps: RateLimitsDeps,
    private readonly name: string,
    /** The amount per day; 0 turns the budget off. */
    private readonly perDay: number,
  ) {
    this.store = perDay > 0 ? fleetLimiter(deps, name, perDay, DAY_SECONDS) : undefined
  }

  /**
   * Spends `amount` of `key`'s budget today, or refuses (spending nothing) when it would go over.
   * A limiter failure never refuses.
   */
  async spend(key: string, amount: number, now = new Date()): Promise<Refusal | undefined> {
    if (!this.store || amount <= 0) return undefined
    const dayKey = `${key}:${now.toISOString().slice(0, 10)}`
    try {
      await this.store.consume(dayKey, amount)
      return undefined
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return undefined
      // A refused spend was counted all the same: give it back, so what is left stays spendable.
      await this.store.reward(dayKey, amount).catch(() => undefined)
      return { name: this.name, points: this.perDay, seconds: DAY_SECONDS, retryMs: untilMidnightUtc(now) }
    }
  }
}
