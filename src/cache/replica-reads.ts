import type { Sql } from '../platform/db.ts'
import { isConnectionFailure } from '../platform/db-errors.ts'
import type { Logger } from '../platform/log.ts'
import type { Replica, ReplicaSet } from '../platform/replica-set.ts'
import { TimeoutError, withTimeout } from '../platform/with-timeout.ts'
import type { Fill } from './cache-request.ts'
import { FillFloors } from './fill-floors.ts'
import type { TieredCache } from './tiered-cache.ts'

// Where a cache fill's query runs: on a read replica when that is causally safe, else on the
// primary. Only fills come here (the public cached reads: videos, transcripts, search); writes,
// quotas, credentials, jobs and every read-after-write use the primary's pool directly.
//
// A fill may use a replica when
//   - the bus is trusted: writes of other instances are known to reach us (else one we have not
//     heard of could be missing from the replica, and nothing would tell us);
//   - the position every scope of the fill's key depends on was read (fill-floors.ts), and a
//     replica in rotation has replayed at least the largest of them.
// A query that fails on the replica runs again on the primary: a dying replica costs its fills
// one extra round trip, never an error. So does one the replica leaves unanswered past
// `replicaDeadlineMs` (a hung host): half the statement timeout, so that the primary's answer still
// comes within the deadline the database breaker gives the whole operation.

/** Why a fill ran where it ran: the label of db_fills_total. */
export type FillRoute = 'replica' | 'no_replica' | 'replica_behind' | 'position_unknown' | 'bus_untrusted' | 'replica_failed'

export const FILL_ROUTES: readonly FillRoute[] = ['replica', 'no_replica', 'replica_behind', 'position_unknown', 'bus_untrusted', 'replica_failed']

/** How fills query the database. */
export interface FillReads {
  run<T>(fill: Fill, query: (sql: Sql) => PromiseLike<T>): Promise<T>
}

/** Without replicas: every fill on the primary, at no cost. */
export const primaryReads = (sql: Sql): FillReads => ({ run: async (_fill, query) => query(sql) })

export class ReplicaReads implements FillReads {
  /** Fills per route, read by the metrics (src/cache/replica-metrics.ts). */
  readonly counts = new Map<FillRoute, number>(FILL_ROUTES.map((r) => [r, 0]))
  private readonly floors: FillFloors

  constructor(
    private readonly primary: Sql,
    readonly replicas: ReplicaSet,
    private readonly cache: TieredCache,
    log: Logger,
    /** How long a replica may take to answer before the primary is asked instead (none: as long as it takes). */
    private readonly replicaDeadlineMs?: number,
  ) {
    this.floors = new FillFloors(() => replicas.primaryLsn(), log)
    cache.watchVersions((scopes) => this.floors.moved(scopes))
  }

  async run<T>(fill: Fill, query: (sql: Sql) => PromiseLike<T>): Promise<T> {
    const [replica, route] = this.route(fill)
    if (!replica) {
      this.count(route)
      return query(this.primary)
    }
    try {
      const asked = Promise.resolve(query(replica.sql))
      const result = await (this.replicaDeadlineMs ? withTimeout(asked, this.replicaDeadlineMs) : asked)
      this.count('replica')
      return result
    } catch (err) {
      // A failed connection or no answer takes the replica out of rotation until a poll answers;
      // any other failure (a conflict with recovery, a statement timeout) is the replica's too:
      // the primary answers either way.
      if (isConnectionFailure(err) || err instanceof TimeoutError) this.replicas.failed(replica, err)
      this.count('replica_failed')
      return query(this.primary)
    }
  }

  close(): void {
    this.floors.close()
  }

  private route(fill: Fill): [Replica | undefined, FillRoute] {
    if (!this.replicas.anyInRotation) return [undefined, 'no_replica']
    if (!this.cache.busTrusted) return [undefined, 'bus_untrusted']
    const required = this.floors.required(fill.scopes)
    if (required === undefined) return [undefined, 'position_unknown']
    const replica = this.replicas.pick(required)
    return replica ? [replica, 'replica'] : [undefined, 'replica_behind']
  }

  private count(route: FillRoute): void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1)
  }
}
