// What a chaos run records, and the checker that judges the whole history afterwards.
//
// Registers are things a writer changes and readers read on every instance: a video's title and its
// transcript carry increasing markers; credentials are API keys that get revoked one by one. All
// times are the test process's own clock (ms), so they compare across instances.
//
// The invariant: a read must reflect every write acknowledged more than `bound` before the read
// started, where the bound is the bus's 100 ms while Redis is healthy and CACHE_BUS_DOWN_MAX_AGE + 1 s
// when a fault touched the time between the write and the read. A revoked key must not be
// accepted after its revocation's bound; a live key must never be refused.

export type Register = 'title' | 'transcript'

export interface WriteRecord {
  register: Register
  marker: number
  instance: number
  start: number
  ack: number
}

export interface ReadRecord {
  register: Register
  /** The marker the answer held; NaN when it held none (a broken answer). */
  marker: number
  instance: number
  start: number
  end: number
}

export interface RevocationRecord {
  key: number
  instance: number
  start: number
  ack: number
}

export interface CredentialRead {
  key: number
  accepted: boolean
  instance: number
  start: number
  end: number
}

export interface FaultRecord {
  kind: string
  start: number
  end: number
}

export interface History {
  writes: WriteRecord[]
  reads: ReadRecord[]
  revocations: RevocationRecord[]
  credentialReads: CredentialRead[]
  faults: FaultRecord[]
  /** Requests that got no answer or an unexpected status, described. */
  failures: string[]
}

export interface Bounds {
  healthyMs: number
  faultedMs: number
  /** How long after a fault ends instances may still be reconnecting and resyncing. */
  recoveryMs: number
}

export interface Verdict {
  violations: string[]
  /** Worst time a read lagged behind an acknowledged write, split by whether a fault touched it. */
  worstStalenessMs: { healthy: number; faulted: number }
}

export const emptyHistory = (): History => ({ writes: [], reads: [], revocations: [], credentialReads: [], faults: [], failures: [] })

export function check(h: History, bounds: Bounds): Verdict {
  const violations: string[] = []
  const worst = { healthy: 0, faulted: 0 }
  const faulted = (from: number, to: number) => h.faults.some((f) => f.start <= to && f.end + bounds.recoveryMs >= from)
  const boundOf = (from: number, to: number) => (faulted(from, to) ? bounds.faultedMs : bounds.healthyMs)

  for (const register of ['title', 'transcript'] as const) {
    const writes = h.writes.filter((w) => w.register === register).sort((x, y) => x.ack - y.ack)
    for (const r of h.reads.filter((x) => x.register === register)) {
      if (!Number.isFinite(r.marker)) {
        violations.push(`${register} read on instance ${r.instance} at ${r.start.toFixed(0)} held no marker`)
        continue
      }
      const acked = writes.filter((w) => w.ack <= r.start)
      // The oldest acknowledged write the answer does not reflect: how far behind it is.
      const missed = acked.find((w) => w.marker > r.marker)
      if (missed) {
        const lag = r.start - missed.ack
        const isFaulted = faulted(missed.start, r.start)
        if (isFaulted) worst.faulted = Math.max(worst.faulted, lag)
        else worst.healthy = Math.max(worst.healthy, lag)
        // Every write must show once its own bound has passed (a fault may touch one write and not the next).
        const due = acked.filter((w) => w.ack + boundOf(w.start, r.start) < r.start)
        const required = due.reduce((m, w) => Math.max(m, w.marker), 0)
        if (r.marker < required) {
          const overdue = due.find((w) => w.marker > r.marker) ?? missed
          violations.push(
            `${register} read on instance ${r.instance} started ${(r.start - overdue.ack).toFixed(0)} ms after write ${overdue.marker} (on instance ${overdue.instance}) was acknowledged and returned marker ${r.marker}; bound ${boundOf(overdue.start, r.start)} ms (${faulted(overdue.start, r.start) ? 'a fault touched it' : 'Redis healthy'})`,
          )
        }
      }
      const written = writes.filter((w) => w.start <= r.end).reduce((m, w) => Math.max(m, w.marker), 0)
      if (r.marker > written) violations.push(`${register} read on instance ${r.instance} returned marker ${r.marker}, never written before it ended`)
    }
  }

  const revokedAt = new Map(h.revocations.map((r) => [r.key, r]))
  for (const c of h.credentialReads) {
    const revocation = revokedAt.get(c.key)
    if (!c.accepted && (!revocation || c.end < revocation.start)) {
      violations.push(`key ${c.key} was refused on instance ${c.instance} before anyone revoked it`)
    }
    if (c.accepted && revocation && c.start > revocation.ack) {
      const lag = c.start - revocation.ack
      const isFaulted = faulted(revocation.start, c.start)
      if (isFaulted) worst.faulted = Math.max(worst.faulted, lag)
      else worst.healthy = Math.max(worst.healthy, lag)
      const bound = boundOf(revocation.start, c.start)
      if (lag > bound) violations.push(`revoked key ${c.key} was accepted on instance ${c.instance} ${lag.toFixed(0)} ms after its revocation returned; bound ${bound} ms`)
    }
  }
  return { violations, worstStalenessMs: worst }
}
