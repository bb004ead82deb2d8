import type { PoolMode } from '../config.ts'
import { createPool, type Sql } from './db.ts'
import { errorFields, type Logger } from './log.ts'
import { parseLsn, PRIMARY_LSN_SQL, REPLAY_LSN_SQL, type Lsn } from './lsn.ts'
import { ReplicaLag } from './replica-lag.ts'
import { TimeoutError, withTimeout } from './with-timeout.ts'

// The read replicas (DATABASE_REPLICA_URLS) and the monitor that keeps them in or out of rotation.
// Every poll (POLL_MS) reads the primary's WAL position and each replica's replayed position: a
// replica is in rotation while its last poll answered within POLL_TIMEOUT_MS, it is still a
// standby, and it is at most DB_REPLICA_MAX_LAG_MS behind (replica-lag.ts). A query that fails on
// it takes it out at once, until a poll answers again. Which fills may use a replica at all is
// the caller's business (src/cache/replica-reads.ts): `pick` only says which replica has replayed
// at least a given position.
//
// The replayed position is the one of the last poll, at most POLL_MS old: replay only moves
// forward, so the replica has at least that much. (A standby that crashes and restarts replays
// again from its last restartpoint; it takes longer than a poll to accept connections again, and
// its failed poll takes it out of rotation meanwhile.)

const POLL_MS = 150
const POLL_TIMEOUT_MS = 1000

export interface ReplicaSetOptions {
  primaryUrl: string
  urls: readonly string[]
  maxLagMs: number
  poolMax: number
  poolMode: PoolMode
  statementTimeoutMs?: number
  log: Logger
}

export type ReplicaStatus = 'in_rotation' | 'unreachable' | 'lagging' | 'not_a_standby' | 'starting'

/** A one-connection pool for the monitor's polls, replaced when a poll goes unanswered (it may hold the connection). */
class ProbeConnection {
  private sql: Sql

  constructor(
    private readonly url: string,
    private readonly poolMode: PoolMode,
  ) {
    this.sql = this.open()
  }

  /** The rows of `text`; throws when it fails or takes longer than POLL_TIMEOUT_MS. */
  async query<Row>(text: string): Promise<Row> {
    try {
      const rows = await withTimeout(this.sql.unsafe<Row[]>(text), POLL_TIMEOUT_MS)
      return rows[0] as Row
    } catch (err) {
      if (err instanceof TimeoutError) {
        void this.sql.end({ timeout: 0 })
        this.sql = this.open()
      }
      throw err
    }
  }

  close(): Promise<void> {
    return this.sql.end({ timeout: 0 })
  }

  private open(): Sql {
    return createPool(this.url, { max: 1, applicationName: 'transcript-api replica monitor', poolMode: this.poolMode })
  }
}

export class Replica {
  /** host:port/database, never the credentials: for logs and metric labels. */
  readonly name: string
  /** The pool fills use. */
  readonly sql: Sql
  /** The monitor's own connection, so polls never queue behind reads. */
  private readonly probe: ProbeConnection
  replayed: Lsn = 0n
  lagMs = Number.POSITIVE_INFINITY
  status: ReplicaStatus = 'starting'

  constructor(url: string, { poolMax: max, poolMode, statementTimeoutMs }: ReplicaSetOptions) {
    const { hostname, port, pathname } = new URL(url)
    this.name = `${hostname}:${port || 5432}${pathname}`
    this.sql = createPool(url, { max, applicationName: 'transcript-api replica reads', poolMode, statementTimeoutMs })
    this.probe = new ProbeConnection(url, poolMode)
  }

  get inRotation(): boolean {
    return this.status === 'in_rotation'
  }

  /** Reads the replayed position; throws when the replica fails or does not answer within POLL_TIMEOUT_MS. */
  async poll(): Promise<{ lsn: Lsn; standby: boolean }> {
    const row = await this.probe.query<{ lsn: string | null; standby: boolean }>(REPLAY_LSN_SQL)
    // A server that was never a standby has no replayed position.
    return { lsn: row.lsn === null ? 0n : parseLsn(row.lsn), standby: row.standby }
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 1 }), this.probe.close()])
  }
}

export class ReplicaSet {
  readonly replicas: Replica[]
  private readonly primary: ProbeConnection
  private readonly lag: ReplicaLag
  private timer: Timer | undefined
  private next = 0
  private stopped = false

  constructor(private readonly options: ReplicaSetOptions) {
    this.replicas = options.urls.map((url) => new Replica(url, options))
    this.primary = new ProbeConnection(options.primaryUrl, options.poolMode)
    // Positions older than the largest lag that matters are not needed to tell "too far behind".
    this.lag = new ReplicaLag(options.maxLagMs + 1000)
  }

  /** Polls once (so replicas that answer are in rotation from the start), then every POLL_MS. */
  async start(): Promise<void> {
    await this.pollAll()
    const loop = async () => {
      if (this.stopped) return
      await this.pollAll()
      if (!this.stopped) this.timer = setTimeout(loop, POLL_MS)
    }
    this.timer = setTimeout(loop, POLL_MS)
  }

  /** A replica in rotation that has replayed at least `required`, round robin; undefined if none has. */
  pick(required: Lsn): Replica | undefined {
    const n = this.replicas.length
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n] as Replica
      if (r.inRotation && r.replayed >= required) {
        this.next = (this.next + i + 1) % n
        return r
      }
    }
    return undefined
  }

  /** Whether any replica is in rotation (else there is no point in asking `pick`). */
  get anyInRotation(): boolean {
    return this.replicas.some((r) => r.inRotation)
  }

  /** A query on `replica` lost its connection: out of rotation until a poll answers again. */
  failed(replica: Replica, err: unknown): void {
    this.setStatus(replica, 'unreachable', err)
  }

  /** The primary's WAL insert position now (src/platform/lsn.ts says why that one). */
  async primaryLsn(): Promise<Lsn> {
    return parseLsn((await this.primary.query<{ lsn: string }>(PRIMARY_LSN_SQL)).lsn)
  }

  async close(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await Promise.all([...this.replicas.map((r) => r.close()), this.primary.close()])
  }

  private async pollAll(): Promise<void> {
    const sampled = this.primaryLsn().then(
      (lsn) => this.lag.sample(lsn, Date.now()),
      // The primary's trouble shows elsewhere (its breaker, /ready); lag is measured against the last sample.
      () => {},
    )
    await Promise.all([sampled, ...this.replicas.map((r) => this.pollOne(r, sampled))])
  }

  private async pollOne(replica: Replica, sampled: Promise<void>): Promise<void> {
    let answer
    try {
      answer = await replica.poll()
    } catch (err) {
      return this.setStatus(replica, 'unreachable', err)
    }
    if (!answer.standby) return this.setStatus(replica, 'not_a_standby')
    // Compared with the primary's position of this same round, when it came.
    await sampled
    replica.replayed = answer.lsn
    replica.lagMs = this.lag.lagMs(answer.lsn, Date.now())
    this.setStatus(replica, replica.lagMs <= this.options.maxLagMs ? 'in_rotation' : 'lagging')
  }

  private setStatus(replica: Replica, status: ReplicaStatus, err?: unknown): void {
    const was = replica.status
    replica.status = status
    if (status !== 'in_rotation') replica.lagMs = status === 'lagging' ? replica.lagMs : Number.POSITIVE_INFINITY
    if (was === status || (was === 'starting' && status === 'in_rotation')) return
    const fields = { replica: replica.name, status, lag_ms: Number.isFinite(replica.lagMs) ? Math.round(replica.lagMs) : undefined, ...(err ? errorFields(err) : {}) }
    if (status === 'in_rotation') this.options.log.info('read replica back in rotation', fields)
    else this.options.log.warn('read replica out of rotation: cache fills go elsewhere', { ...fields, max_lag_ms: this.options.maxLagMs })
  }
}
