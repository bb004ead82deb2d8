// A circuit breaker for the L2 tier: after a run of failures Redis is skipped entirely for a
// cool-down, so a dead Redis costs nothing per request; then one probe decides whether to close.

export type BreakerState = 'closed' | 'open' | 'half-open'

export class CircuitBreaker {
  private failures = 0
  private openedAt = 0
  private probing = false

  constructor(
    private readonly failureThreshold = 5,
    private readonly cooldownMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.failures < this.failureThreshold) return 'closed'
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open'
  }

  /** Whether a call may go out now; in half-open state only one probe at a time. */
  allow(): boolean {
    const state = this.state
    if (state === 'closed') return true
    if (state === 'open' || this.probing) return false
    this.probing = true
    return true
  }

  success(): void {
    this.failures = 0
    this.probing = false
  }

  failure(): void {
    this.probing = false
    this.failures++
    if (this.failures >= this.failureThreshold) this.openedAt = this.now()
  }
}
