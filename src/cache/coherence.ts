import { randomUUID } from 'node:crypto'
import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'
import { startBus } from './bus.ts'
import type { CacheRequest, Fill } from './cache-request.ts'
import { namespaceScope, type KeySpace } from './keys.ts'
import type { L2Tier } from './l2.ts'
import type { CacheStats } from './stats.ts'
import { parseMessage, parseSnapshot, versionsScript } from './versions-script.ts'
import { Versions } from './versions.ts'

// Keeps this instance's cache coherent with every other instance's writes:
// - storage keys embed the current version of every scope they depend on (versions.ts), so a write
//   anywhere makes older values unreachable in both tiers;
// - writes are announced through Redis (versions-script.ts) and heard on the bus (bus.ts);
// - a write that cannot reach Redis is retried until it does, and meanwhile gets a version of its
//   own here, and no L2 value is read (an L2 copy may predate it);
// - the bus is trusted only while this instance's own heartbeats come back: once they stop, values
//   are served only if their data is at most `busDownMaxAgeMs` old (or, for older values, for that
//   long after the last heartbeat came back), then reloaded; when the bus returns, the versions are
//   read again and L1 is dropped (messages may have been missed).
// Without Redis there is one instance to be coherent with: versions are local and always trusted.

export interface CoherenceOptions {
  busDownMaxAgeMs: number
  /** The versions hash expires after this long without a write or a resync (an idle deployment's). */
  bookkeepingTtlSeconds: number
}

const RETRY_MS = 250
/** How long start() waits for a first sync before serving (Redis may be down: then it goes on). */
const START_WAIT_MS = 2000

export class Coherence {
  readonly versions = new Versions()
  /** Names this instance in bus messages and its heartbeat channel. */
  readonly origin = randomUUID()
  /** Until when values may be served whatever their age: the last returned heartbeat + the max age. */
  private trustedUntil: number
  private readonly maxAgeMs: number
  private needsSync = true
  private syncing: Promise<boolean> | undefined
  private synced: Promise<void>
  private markSynced: () => void = () => {}
  private heartbeat: Timer | undefined
  private retry: Timer | undefined
  private stopBus: (() => Promise<void>) | undefined
  private readonly nsScopes = new Map<string, string>()
  private readonly script: string
  /** Told whenever scopes move (or, 'all', may have moved unheard): see watch(). */
  private moved: (scopes: readonly string[] | 'all') => void = () => {}

  constructor(
    private readonly l2: L2Tier | undefined,
    redis: RedisClient | undefined,
    private readonly keys: KeySpace,
    private readonly options: CoherenceOptions,
    private readonly stats: CacheStats,
    private readonly log: Logger,
    /** Drops every L1 value: after a reset of the versions, or when messages may have been missed. */
    private readonly dropL1: () => void,
  ) {
    this.maxAgeMs = options.busDownMaxAgeMs
    this.trustedUntil = l2 ? 0 : Number.POSITIVE_INFINITY
    this.synced = new Promise((resolve) => (this.markSynced = resolve))
    this.script = versionsScript(redis?.publishCommand ?? 'PUBLISH')
    if (!l2 || !redis) return
    const pings = keys.pings(this.origin)
    this.stopBus = startBus(redis, { bus: keys.channel, pings }, {
      onMessage: (raw) => this.onMessage(raw),
      onPing: (raw) => this.onPing(Number(raw)),
      onConnect: () => {
        this.needsSync = true
        this.ping()
      },
    })
    const every = Math.max(50, Math.min(1000, this.maxAgeMs / 4))
    this.heartbeat = setInterval(() => this.ping(), every)
    this.heartbeat.unref()
  }

  /** Waits (briefly) for the first sync with Redis, so a new instance starts with current versions. */
  async start(): Promise<void> {
    if (!this.l2) return
    this.ping()
    await Promise.race([this.synced, Bun.sleep(START_WAIT_MS)])
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat)
    clearTimeout(this.retry)
    await this.stopBus?.()
  }

  /** The storage key of a request: its key plus the epoch and the version of every scope it depends on. */
  keyOf(req: Pick<CacheRequest<unknown>, 'type' | 'key' | 'scopes'>): string {
    const v = this.versions
    let ns = this.nsScopes.get(req.type)
    if (ns === undefined) this.nsScopes.set(req.type, (ns = namespaceScope(req.type)))
    let key = `${req.type}:${req.key}|${v.epoch}|${v.get(ns)}`
    for (const s of req.scopes) key += `|${s}@${v.get(s)}`
    return key
  }

  /** What a loader of `req` is told: the scopes keyOf embeds. */
  fillOf(req: Pick<CacheRequest<unknown>, 'type' | 'scopes'>): Fill {
    return { scopes: [namespaceScope(req.type), ...req.scopes] }
  }

  /**
   * `listener` hears every move of versions a fill could race with: our own writes (before they
   * are announced, so even our own bus message cannot come first), other instances' messages, and
   * 'all' for a new epoch or a resync (writes may have been missed). Read replicas use it so a
   * fill of a moved scope waits for the write's WAL position (src/cache/fill-floors.ts).
   */
  watch(listener: (scopes: readonly string[] | 'all') => void): void {
    this.moved = listener
  }

  /** Whether a value whose data was read at `builtAt` may be served now without reloading it. */
  servable(builtAt: number, now: number): boolean {
    return now < this.trustedUntil || now - builtAt < this.maxAgeMs
  }

  /** Whether L2 may be read: not while a write of ours waits to be announced (L2 may predate it). */
  get l2Usable(): boolean {
    return !this.versions.hasUnannounced
  }

  /** Whether the bus is trusted right now (heartbeats coming back). */
  get busTrusted(): boolean {
    return Date.now() < this.trustedUntil
  }

  /** Makes every value depending on these scopes unreachable, here at once and on every instance. */
  async invalidate(scopes: readonly string[]): Promise<void> {
    if (scopes.length === 0) return
    this.moved(scopes)
    if (!this.l2) {
      this.versions.bumpLocal(scopes)
      return
    }
    if (await this.announce(scopes)) return
    this.versions.markUnannounced(scopes, this.origin)
    this.log.warn('cache invalidation could not reach Redis; retrying (other instances keep their copies until it does)', { scopes })
    this.scheduleRetry()
  }

  /** Resolves true once every write of this instance is announced, false after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.versions.hasUnannounced && Date.now() < deadline) await Bun.sleep(20)
    return !this.versions.hasUnannounced
  }

  /**
   * Announces a write of `scopes`. Once it is announced it supersedes every write of ours to those
   * scopes still held unannounced when it was sent (their database writes came before it): their
   * local versions are dropped, else they would keep shadowing the version just announced and this
   * instance would serve what it cached under them, older than its own acknowledged write.
   */
  private async announce(scopes: readonly string[]): Promise<boolean> {
    const superseded = this.versions.unannouncedEntries().filter(([scope]) => scopes.includes(scope))
    const reply = await this.run('bump', scopes)
    if (!Array.isArray(reply)) return false
    const [epoch, seq, reset] = reply as [string, number, string]
    this.stats.busMessagesOut++
    this.log.debug('cache invalidation', { scopes, origin: this.origin, epoch, seq })
    // A reset our own write made is the first message of its epoch: nothing before it to catch up on.
    this.adopt(Number(epoch), Number(seq), scopes.map((s) => [s, Number(seq)] as const), reset || 'newer epoch announced', !reset)
    this.versions.announced(superseded)
    return true
  }

  private run(mode: 'bump' | 'sync', scopes: readonly string[]): Promise<unknown> {
    const v = this.versions
    const args = [this.keys.channel, this.origin, String(v.epoch), String(v.seq), String(this.options.bookkeepingTtlSeconds), mode, ...scopes]
    return this.l2?.script(this.script, [this.keys.versions], args) ?? Promise.resolve(undefined)
  }

  /** Applies versions from Redis; a newer epoch means its state was lost: nothing built before is trusted. */
  private adopt(epoch: number, seq: number, scopes: Iterable<readonly [string, number]>, reason: string, resyncOnReset = true): void {
    const previous = this.versions.epoch
    if (this.versions.apply(epoch, seq, scopes) !== 'reset') return
    this.moved('all')
    this.dropL1()
    // The first epoch an instance learns is not a loss; any later one is.
    if (previous === 0) return
    this.stats.resetsDetected++
    this.log.warn('Redis lost the cache state (restart, flush, eviction or failover): every cached value built before is dropped', {
      reason,
      previous_epoch: previous,
      epoch,
    })
    // A message of a new epoch that is not the reset itself may not be its first: read the whole state once.
    if (!resyncOnReset) return
    this.needsSync = true
    this.ping()
  }

  private onMessage(raw: string): void {
    const m = parseMessage(raw)
    if (!m) {
      this.log.warn('ignoring malformed cache bus message')
      return
    }
    this.stats.busMessagesIn++
    if (m.o !== this.origin) {
      this.log.debug('cache invalidation', { scopes: m.c, origin: m.o, epoch: m.e, seq: m.s })
      // Before the versions move (our own writes told `moved` in invalidate()).
      this.moved(m.c as string[])
    }
    this.adopt(Number(m.e), m.s, (m.c as string[]).map((s) => [s, m.s] as const), m.r || 'a newer epoch announced', !m.r)
  }

  private ping(): void {
    void this.l2?.publish(this.keys.pings(this.origin), String(Date.now()))
  }

  /**
   * Our heartbeat sent at `sentAt` came back: every write announced before then has reached us.
   * After a reconnect that holds only once the versions were read again, so that comes first.
   */
  private onPing(sentAt: number): void {
    if (!Number.isFinite(sentAt)) return
    if (!this.needsSync) {
      this.trustedUntil = Math.max(this.trustedUntil, sentAt + this.maxAgeMs)
      return
    }
    void this.sync().then((ok) => {
      if (ok) this.trustedUntil = Math.max(this.trustedUntil, sentAt + this.maxAgeMs)
    })
  }

  /** Reads the whole versions hash (Redis starts a new epoch if it lost it) and drops L1. */
  private sync(): Promise<boolean> {
    this.syncing ??= (async () => {
      this.needsSync = false
      const snapshot = parseSnapshot(await this.run('sync', []))
      if (!snapshot) {
        this.needsSync = true
        return false
      }
      // Messages may have been missed while disconnected: any scope may have moved.
      this.moved('all')
      this.adopt(snapshot.epoch, snapshot.seq, snapshot.scopes, 'found on resync', false)
      this.dropL1()
      this.stats.busResyncs++
      this.markSynced()
      return true
    })().finally(() => (this.syncing = undefined))
    return this.syncing
  }

  private scheduleRetry(): void {
    if (this.retry) return
    this.retry = setTimeout(() => {
      this.retry = undefined
      void this.retryUnannounced()
    }, RETRY_MS)
    this.retry.unref()
  }

  private async retryUnannounced(): Promise<void> {
    const held = this.versions.unannouncedEntries()
    if (held.length > 0 && (await this.announce(held.map(([scope]) => scope)))) {
      this.log.info('announced cache invalidations held while Redis was unreachable', { scopes: held.length })
    }
    if (this.versions.hasUnannounced) this.scheduleRetry()
  }
}
