// Cache benchmark (issue 5): our TieredCache against BentoCache and cache-manager in one Bun process,
// all three on the same Redis (REDIS_URL, default redis://127.0.0.1:6379), with the same payloads
// and key counts, each through its read-through call (our getOrLoad, BentoCache getOrSet,
// cache-manager wrap) and each set up as a two-tier cache: an in-memory L1 (bounded by bytes where
// the library can) over Redis. Rows: an L1 hit (10,000 keys read in random order); an L2 hit, for
// which every library gets an L1 that holds one entry, so nearly every read of those keys goes to
// Redis and pays the L1 refill a real L2 hit pays; the same L2 hit with 32 reads in flight (what a
// busy server does); a miss (a new key every time, the loader answers at once, the value is written
// to both tiers); and a stampede, 1,000 concurrent reads of one cold key whose loader takes 20 ms,
// loader calls counted (ours must be 1). Each library stores what it would serve: ours a
// ReadyResponse (body bytes, gzip bytes, ETag, so a hit needs no further work), the others the
// response body as a JSON string, the cheapest fair value for them (a plain object would add JSON
// work to every hit and still leave gzip and ETag to do). Hit and miss rows run for a ~1.2 KB video
// JSON and a ~60 KB transcript. Each row starts with a warm-up that checks where every read was
// served from (HIT-L1, HIT-L2, MISS), then runs 5 rounds in which the libraries take turns, their
// order rotating. Read: ops/s (sequential rows: 1/mean, the cost of one call; in-flight and miss
// rows: operations over wall time, so writes a library defers, like our fire-and-forget L2 SET, are
// paid for), mean and p99 µs of one call, and ours/bento, our ops/s over BentoCache's (stampede:
// BentoCache's time over ours), where ≥ 1.00 is the goal. A hit row whose loader runs is flagged
// (that loader costs 2 ms, like a database read). All keys live under a prefix unique to the run,
// deleted at the end by SCAN on that prefix: the benchmark may SCAN, the product never does.
//
//   bun scripts/bench-cache.ts
//   REDIS_URL=redis://127.0.0.1:6380 bun scripts/bench-cache.ts
//   BENCH_QUICK=1 bun scripts/bench-cache.ts      # a fifth of the operations, for a smoke run

import { createKeyv as createMemoryKeyv } from '@cacheable/memory'
import { createKeyv as createRedisKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Redis as IoRedis } from 'ioredis'
import { createClient } from 'redis'
import { randomBytes, randomUUID } from 'node:crypto'
import { cpus } from 'node:os'
import { CacheType, transcriptScope, videoScope } from '../src/cache/scopes.ts'
import type { CacheRequest } from '../src/cache/cache-request.ts'
import { readyResponseCodec } from '../src/http/ready-codec.ts'
import { TieredCache } from '../src/cache/tiered-cache.ts'
import { ReadyResponse } from '../src/http/ready-response.ts'
import { createLogger } from '../src/platform/log.ts'
import { closeRedis, createRedis, type RedisClient } from '../src/platform/redis.ts'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const RUN_PREFIX = `bench-cache-${randomBytes(4).toString('hex')}`
const SCALE = process.env.BENCH_QUICK === '1' ? 0.2 : 1
const TTL_SECONDS = 600
const GRACE_SECONDS = 60
const L1_MAX_BYTES = 128 * 1024 * 1024
const L1_MAX_ENTRY_BYTES = 1024 * 1024
const ROUNDS = 5
const STAMPEDE_CALLERS = 1000
const STAMPEDE_TRIALS = 3
const STAMPEDE_LOADER_MS = 20
/** What a hit row's loader costs if a library falls through to it (a database read). */
const FALLTHROUGH_LOADER_MS = 2
const IN_FLIGHT = 32
/** The whole run must end in bounded time: past this, clean up and exit non-zero. */
const DEADLINE_MS = 170_000
const log = createLogger('warn')

const ops = (n: number) => Math.max(ROUNDS * 20, Math.round(n * SCALE))

// ---------------------------------------------------------------------------------------------
// Payloads

/** Deterministic pseudo-random numbers, so every run benchmarks the same bytes and access pattern. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function videoJson(rand: () => number, i: number) {
  const id = `0b6f${i.toString(16).padStart(4, '0')}-9c1e-4d2a-8f3b-5e7a1c2d${(1000 + i).toString(16).padStart(4, '0')}`
  return {
    id,
    job_id: `7d3c2a1b-${i.toString(16).padStart(4, '0')}-4e5f-9a8b-1c2d3e4f5a6b`,
    youtube_id: `dQw4w9W${i.toString(36).padStart(4, 'x')}`,
    title: `Cutting p99 by ${Math.round(rand() * 90)}%: two-tier caching, part ${i + 1}`,
    channel_name: 'Systems Engineering Weekly',
    language: 'en',
    category: 'Science & Technology',
    duration_seconds: 600 + Math.round(rand() * 3000),
    thumbnail_url: `https://i.ytimg.com/vi/dQw4w9W${i.toString(36).padStart(4, 'x')}/maxresdefault.jpg`,
    uploaded_at: '2025-03-14T09:26:53.000Z',
    state: 'completed',
    error: null,
    created_at: '2025-03-15T10:00:00.000Z',
    updated_at: '2025-03-15T10:04:31.000Z',
    transcript_sources: ['whisper', 'youtube'],
  }
}

/** A /videos page of two videos: the ~1.2 KB "video JSON" of the issue. */
function videoPayload() {
  const rand = prng(1)
  return { items: [videoJson(rand, 0), videoJson(rand, 1)], page_info: { next_cursor: 'eyJrIjoiMjAyNS0wMy0xNVQxMDowMDowMC4wMDAwMDBaIiwiaSI6IjBiNmYwMDAxIn0', has_next_page: true } }
}

const WORDS = 'the cache serves every read from memory and only asks redis when a key is cold so the database sees one query per key per minute instead of thousands which keeps latency flat under load'.split(' ')

/** A transcript of 310 segments: the ~60 KB payload. */
function transcriptPayload() {
  const rand = prng(2)
  const segments = []
  let at = 0
  for (let idx = 0; idx < 310; idx++) {
    const n = 12 + Math.floor(rand() * 14)
    const words: string[] = []
    for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(rand() * WORDS.length)] ?? 'cache')
    const dur = 1500 + Math.floor(rand() * 4000)
    segments.push({ idx, start_ms: at, end_ms: at + dur, text: words.join(' '), speaker_label: idx % 7 === 0 ? 'SPEAKER_01' : 'SPEAKER_00', confidence: Math.round(rand() * 1000) / 1000 })
    at += dur
  }
  return { video_id: '0b6f0000-9c1e-4d2a-8f3b-5e7a1c2d03e8', source: 'whisper', language: 'en', model: 'large-v3', created_at: '2025-03-15T10:04:31.000Z', segments }
}

interface Payload {
  label: string
  /** What our cache stores and serves. */
  ready: ReadyResponse
  /** What the other libraries store and serve: the body as a JSON string. */
  body: string
  /** Our request for an id, built per call as the product's cached reads do. */
  request(id: string): CacheRequest<ReadyResponse>
  /** The key the other libraries use for an id. */
  keyOf(id: string): string
  /** Keys held in L1 / L2 for the hit rows. */
  keys: string[]
}

function makePayload(label: string, value: unknown, keyCount: number, request: (id: string) => CacheRequest<ReadyResponse>, prefix: string): Payload {
  const body = JSON.stringify(value)
  const kb = Buffer.byteLength(body) / 1024
  return { label: `${label} ${kb < 10 ? kb.toFixed(1) : kb.toFixed(0)} KB`, ready: ReadyResponse.json(value), body, request, keyOf: (id) => `${prefix}:${id}`, keys: Array.from({ length: keyCount }, () => randomUUID()) }
}

// ---------------------------------------------------------------------------------------------
// The contenders, behind one interface

type Library = 'ours' | 'bentocache' | 'cache-manager'
const LIBRARIES: readonly Library[] = ['ours', 'bentocache', 'cache-manager']
type Source = 'HIT-L1' | 'HIT-L2' | 'MISS' | 'OTHER'

/** The loader: counts its calls and may wait (the stampede's slow database). */
interface Loader {
  calls: number
  delayMs: number
}

interface Contender {
  library: Library
  /** One read-through call; resolves to the served body's length in bytes or characters. */
  read(payload: Payload, id: string, loader: Loader): Promise<number>
  /** Where the last read was served from; only asked during verification. */
  lastSource(payload: Payload, id: string, loaderCallsBefore: number, loader: Loader, l1HadIt: boolean): Source
  /** Whether L1 holds the key now (verification only). */
  inL1(payload: Payload, id: string): Promise<boolean>
  /** Waits until writes this library left in flight have reached Redis. */
  settle(): Promise<void>
  /** L2 calls that failed or timed out so far (as each library reports them). */
  l2Errors(): number
  close(): Promise<void>
}

const runLoader = async (loader: Loader) => {
  loader.calls++
  if (loader.delayMs > 0) await Bun.sleep(loader.delayMs)
}

function redisOptionsOf(url: string) {
  const u = new URL(url)
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    db: Number(u.pathname.slice(1) || 0),
  }
}

async function ours(redis: RedisClient, l1MaxBytes: number): Promise<Contender> {
  const cache = new TieredCache(
    {
      enabled: true,
      l1MaxBytes,
      l1MaxEntryBytes: L1_MAX_ENTRY_BYTES,
      l2TimeoutMs: 50,
      graceSeconds: GRACE_SECONDS,
      negativeTtlSeconds: 30,
      distributedLock: false,
      prefix: `${RUN_PREFIX}:ours`,
      busDownMaxAgeSeconds: 5,
      bookkeepingTtlSeconds: 600,
    },
    redis,
    log,
  )
  await cache.start()
  let last: Source = 'OTHER'
  return {
    library: 'ours',
    async read(p, id, loader) {
      const result = await cache.getOrLoad(p.request(id), async () => {
        await runLoader(loader)
        return p.ready
      })
      last = result.source === 'l1' ? 'HIT-L1' : result.source === 'l2' ? 'HIT-L2' : result.source === 'loaded' ? 'MISS' : 'OTHER'
      return result.value.bodyLength
    },
    lastSource: () => last,
    inL1: async () => false,
    // Commands on one connection complete in order: when PING answers, every SET before it is done.
    settle: async () => void (await redis.ping()),
    l2Errors: () => cache.stats.l2Errors,
    close: () => cache.close(),
  }
}

type BentoLogger = NonNullable<ConstructorParameters<typeof BentoCache>[0]['logger']>

/** A silent logger for BentoCache that counts its failed L2 operations (it logs each as an error). */
function countingLogger(counts: { l2Errors: number }): BentoLogger {
  const noop = () => undefined
  const logger: BentoLogger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    fatal: noop,
    error: (a: unknown, b?: unknown) => {
      if (String(typeof a === 'string' ? a : b).includes('failed on remote cache')) counts.l2Errors++
    },
    child: () => logger,
  }
  return logger
}

async function bento(l1: { maxItems: number }): Promise<Contender> {
  const connection = new IoRedis(REDIS_URL, { lazyConnect: true })
  await connection.connect()
  const counts = { l2Errors: 0 }
  const cache = new BentoCache({
    default: 'cache',
    logger: countingLogger(counts),
    prefix: `${RUN_PREFIX}:bento`,
    ttl: TTL_SECONDS * 1000,
    grace: GRACE_SECONDS * 1000,
    // Comparable to our breaker: skip L2 for a while after it fails.
    l2CircuitBreakerDuration: 2000,
    stores: {
      cache: bentostore()
        // Byte-bounded L1 like ours: BentoCache then keeps entries serialised (its default).
        .useL1Layer(memoryDriver({ maxSize: L1_MAX_BYTES, maxEntrySize: L1_MAX_ENTRY_BYTES, maxItems: l1.maxItems }))
        .useL2Layer(redisDriver({ connection }))
        // Its bus keeps the L1s of several instances coherent, as ours does.
        .useBus(redisBusDriver({ connection: redisOptionsOf(REDIS_URL) })),
    },
  })
  let last: Source = 'OTHER'
  cache.on('cache:hit', (e) => {
    last = e.layer === 'l1' ? 'HIT-L1' : 'HIT-L2'
  })
  cache.on('cache:miss', () => {
    last = 'MISS'
  })
  return {
    library: 'bentocache',
    async read(p, id, loader) {
      const body = await cache.getOrSet({
        key: p.keyOf(id),
        factory: async () => {
          await runLoader(loader)
          return p.body
        },
      })
      return body.length
    },
    lastSource: () => last,
    inL1: async () => false,
    settle: async () => void (await connection.ping()),
    l2Errors: () => counts.l2Errors,
    async close() {
      await cache.disconnectAll()
      connection.disconnect()
    },
  }
}

async function cacheManager(l1: { lruSize: number }): Promise<Contender> {
  // The two-store setup of cache-manager's docs: Keyv over an in-memory LRU (counted in entries: it
  // has no byte bound), then Keyv over Redis.
  const memory = createMemoryKeyv({ lruSize: l1.lruSize, useClone: false, ttl: TTL_SECONDS * 1000 })
  const remote = createRedisKeyv(REDIS_URL, { namespace: `${RUN_PREFIX}:cm` })
  let l2Errors = 0
  remote.on('error', () => {
    l2Errors++
  })
  const cache = createCacheManager({ stores: [memory, remote], ttl: TTL_SECONDS * 1000 })
  return {
    library: 'cache-manager',
    async read(p, id, loader) {
      const body = await cache.wrap(p.keyOf(id), async () => {
        await runLoader(loader)
        return p.body
      })
      return body.length
    },
    // cache-manager reports no tier for wrap(): a read that was in L1 before is an L1 hit, one
    // that ran no loader came from Redis.
    lastSource: (_p, _id, before, loader, l1HadIt) => (l1HadIt ? 'HIT-L1' : loader.calls > before ? 'MISS' : 'HIT-L2'),
    inL1: async (p, id) => (await memory.get(p.keyOf(id))) !== undefined,
    settle: async () => undefined,
    l2Errors: () => l2Errors,
    async close() {
      await cache.disconnect()
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Measure {
  /** Latency of every timed call, ns. */
  lat: number[]
  wallNs: number
  ops: number
}

const emptyMeasure = (): Measure => ({ lat: [], wallNs: 0, ops: 0 })

/** Runs `ids` through `read`, `concurrency` at a time; records each call's latency. */
async function runBatch(c: Contender, p: Payload, ids: readonly string[], loader: Loader, concurrency: number, into: Measure, settle: boolean): Promise<void> {
  Bun.gc(true)
  let next = 0
  let bad = 0
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string
      const t0 = Bun.nanoseconds()
      const size = await c.read(p, id, loader)
      into.lat.push(Bun.nanoseconds() - t0)
      if (size === 0) bad++
    }
  }
  const start = Bun.nanoseconds()
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (settle) await c.settle()
  into.wallNs += Bun.nanoseconds() - start
  into.ops += ids.length
  if (bad > 0) throw new Error(`${c.library}: ${bad} empty values`)
}

/** Reads `ids` one by one and counts where each was served from. */
async function verify(c: Contender, p: Payload, ids: readonly string[], loader: Loader): Promise<Map<Source, number>> {
  const seen = new Map<Source, number>()
  for (const id of ids) {
    const had = await c.inL1(p, id)
    const before = loader.calls
    await c.read(p, id, loader)
    const s = c.lastSource(p, id, before, loader, had)
    seen.set(s, (seen.get(s) ?? 0) + 1)
  }
  return seen
}

interface Result {
  row: string
  library: Library
  opsPerSec: number
  meanUs: number
  p99Us: number
  note: string
}

function summarise(row: string, library: Library, m: Measure, concurrent: boolean, note: string): Result {
  const sorted = Float64Array.from(m.lat).sort()
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0
  // Sequential rows: ops/s is 1/mean (the pure cost of a call). With reads in flight: ops over wall
  // time. Miss rows use wall time too, so our deferred L2 writes are paid for.
  const opsPerSec = concurrent ? m.ops / (m.wallNs / 1e9) : 1e9 / mean
  return { row, library, opsPerSec, meanUs: mean / 1000, p99Us: p99 / 1000, note }
}

const shuffle = <T>(items: readonly T[], rand: () => number): T[] => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}

/** Library order rotates every round, so none always runs first (or right after the GC of another). */
const orderFor = (round: number): Library[] => LIBRARIES.map((_, i) => LIBRARIES[(i + round) % LIBRARIES.length] as Library)

type Contenders = Record<Library, Contender>

interface HitRow {
  name: string
  payload: Payload
  set: Contenders
  totalOps: number
  concurrency: number
  expect: Source
}

async function hitRow(row: HitRow, results: Result[]): Promise<void> {
  const rand = prng(row.name.length * 7919)
  const sequence = Array.from({ length: row.totalOps }, () => row.payload.keys[Math.floor(rand() * row.payload.keys.length)] as string)
  const perRound = Math.ceil(row.totalOps / ROUNDS)
  // A read that falls through to the loader is no hit, and must not look cheap: the loader costs
  // what a database read would.
  const loaders = new Map<Library, Loader>(LIBRARIES.map((l) => [l, { calls: 0, delayMs: FALLTHROUGH_LOADER_MS }]))
  const loaderOf = (lib: Library) => loaders.get(lib) as Loader
  const notes = new Map<Library, string>()
  const errorsBefore = new Map(LIBRARIES.map((l) => [l, row.set[l].l2Errors()]))
  // Warm-up doubles as the check that every library really serves this row from the tier it names.
  for (const lib of LIBRARIES) {
    const sample = shuffle(row.payload.keys, rand).slice(0, Math.min(500, row.payload.keys.length))
    const seen = await verify(row.set[lib], row.payload, sample, loaderOf(lib))
    const share = (seen.get(row.expect) ?? 0) / sample.length
    if (share < 0.98) throw new Error(`${row.name}: ${lib} served ${[...seen].map(([s, n]) => `${s}=${n}`).join(' ')} (expected ${row.expect})`)
    notes.set(lib, `${row.expect} ${(share * 100).toFixed(1)}%`)
    await runBatch(row.set[lib], row.payload, sequence.slice(0, perRound), loaderOf(lib), row.concurrency, emptyMeasure(), false)
  }
  const measures = new Map<Library, Measure>(LIBRARIES.map((l) => [l, emptyMeasure()]))
  const before = new Map(LIBRARIES.map((l) => [l, loaderOf(l).calls]))
  for (let r = 0; r < ROUNDS; r++) {
    const ids = sequence.slice(r * perRound, (r + 1) * perRound)
    for (const lib of orderFor(r)) await runBatch(row.set[lib], row.payload, ids, loaderOf(lib), row.concurrency, measures.get(lib) as Measure, false)
  }
  for (const lib of LIBRARIES) {
    const fellThrough = loaderOf(lib).calls - (before.get(lib) ?? 0)
    let note = withErrors(notes.get(lib) ?? '', row.set[lib], errorsBefore.get(lib) ?? 0)
    if (fellThrough > 0) note += `; ${fellThrough} of ${row.totalOps} timed reads ran the loader ✗`
    results.push(summarise(row.name, lib, measures.get(lib) as Measure, row.concurrency > 1, note))
  }
}

/** A note plus the L2 errors (timeouts included) a library counted during the row, if any. */
const withErrors = (note: string, c: Contender, before: number) => {
  const n = c.l2Errors() - before
  return n > 0 ? `${note}; ${n} L2 errors/timeouts` : note
}

async function missRow(name: string, payload: Payload, set: Contenders, totalOps: number, results: Result[]): Promise<void> {
  const perRound = Math.ceil(totalOps / ROUNDS)
  const fresh = (n: number) => Array.from({ length: n }, () => randomUUID())
  const notes = new Map<Library, string>()
  const errorsBefore = new Map(LIBRARIES.map((l) => [l, set[l].l2Errors()]))
  for (const lib of LIBRARIES) {
    const loader: Loader = { calls: 0, delayMs: 0 }
    const sample = fresh(Math.min(200, perRound))
    const seen = await verify(set[lib], payload, sample, loader)
    if ((seen.get('MISS') ?? 0) !== sample.length || loader.calls !== sample.length) throw new Error(`${name}: ${lib} did not miss on cold keys`)
    await runBatch(set[lib], payload, fresh(perRound), loader, 1, emptyMeasure(), true)
    notes.set(lib, `loader ran once per read`)
  }
  const measures = new Map<Library, Measure>(LIBRARIES.map((l) => [l, emptyMeasure()]))
  for (let r = 0; r < ROUNDS; r++) {
    for (const lib of orderFor(r)) {
      const loader: Loader = { calls: 0, delayMs: 0 }
      const ids = fresh(perRound)
      await runBatch(set[lib], payload, ids, loader, 1, measures.get(lib) as Measure, true)
      if (loader.calls !== ids.length) throw new Error(`${name}: ${lib} ran its loader ${loader.calls} times for ${ids.length} cold keys`)
    }
  }
  for (const lib of LIBRARIES) {
    const m = measures.get(lib) as Measure
    const r = summarise(name, lib, m, false, withErrors(notes.get(lib) ?? '', set[lib], errorsBefore.get(lib) ?? 0))
    // Wall time, so that writes a library defers (ours: the L2 SET) are counted.
    r.opsPerSec = m.ops / (m.wallNs / 1e9)
    results.push(r)
  }
}

async function stampedeRow(payload: Payload, set: Contenders, results: Result[]): Promise<void> {
  const name = `stampede: ${STAMPEDE_CALLERS} callers, cold key`
  for (const lib of LIBRARIES) {
    const calls: number[] = []
    const times: number[] = []
    for (let t = 0; t < STAMPEDE_TRIALS; t++) {
      Bun.gc(true)
      const loader: Loader = { calls: 0, delayMs: STAMPEDE_LOADER_MS }
      const id = randomUUID()
      const start = Bun.nanoseconds()
      const sizes = await Promise.all(Array.from({ length: STAMPEDE_CALLERS }, () => set[lib].read(payload, id, loader)))
      times.push((Bun.nanoseconds() - start) / 1e6)
      if (sizes.some((s) => s === 0)) throw new Error(`${lib}: empty value in the stampede`)
      calls.push(loader.calls)
    }
    const meanMs = times.reduce((a, b) => a + b, 0) / times.length
    results.push({
      row: name,
      library: lib,
      opsPerSec: (STAMPEDE_CALLERS * STAMPEDE_TRIALS) / (times.reduce((a, b) => a + b, 0) / 1000),
      meanUs: meanMs * 1000,
      p99Us: Math.max(...times) * 1000,
      note: `loader calls per trial: ${calls.join(', ')}${lib === 'ours' && calls.some((n) => n !== 1) ? ' ✗ (must be 1)' : ''}`,
    })
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function printTable(results: Result[]): void {
  const rows = [...new Set(results.map((r) => r.row))]
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
  const head = ['row', 'library', 'ops/s', 'mean µs', 'p99 µs', 'ours/bento', 'check']
  const lines: string[][] = [head]
  for (const row of rows) {
    const of = (lib: Library) => results.find((r) => r.row === row && r.library === lib)
    const base = of('bentocache')
    for (const lib of LIBRARIES) {
      const r = of(lib)
      if (!r) continue
      const stampede = row.startsWith('stampede')
      const ratio = lib === 'ours' && base ? (stampede ? base.meanUs / r.meanUs : r.opsPerSec / base.opsPerSec) : undefined
      lines.push([
        lib === 'ours' ? row : '',
        lib,
        fmt(r.opsPerSec),
        stampede ? `${fmt(r.meanUs / 1000, 1)} ms` : fmt(r.meanUs, r.meanUs < 10 ? 2 : 1),
        stampede ? `${fmt(r.p99Us / 1000, 1)} ms` : fmt(r.p99Us, r.p99Us < 10 ? 2 : 1),
        ratio === undefined ? '' : `${ratio.toFixed(2)}${ratio >= 1 ? '' : ' ✗'}${r.note.includes('ran the loader') ? '*' : ''}`,
        r.note,
      ])
    }
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)))
  const numeric = new Set([2, 3, 4, 5])
  for (const [n, l] of lines.entries()) {
    console.log(l.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

// ---------------------------------------------------------------------------------------------
// Setup, run, clean up

/** Deletes every key of this run (SCAN on the run's own prefix: the benchmark may, the product never does). */
async function cleanUp(): Promise<number> {
  // A plain node-redis client: the application's (src/platform/redis.ts) offers no SCAN on purpose.
  const redis = await createClient({ url: REDIS_URL }).connect()
  let deleted = 0
  let cursor = '0'
  try {
    do {
      const reply = await redis.scan(cursor, { MATCH: `${RUN_PREFIX}*`, COUNT: 1000 })
      cursor = String(reply.cursor)
      if (reply.keys.length > 0) deleted += await redis.unlink(reply.keys)
    } while (cursor !== '0')
  } finally {
    redis.destroy()
  }
  return deleted
}

async function waitReady(redis: RedisClient): Promise<void> {
  for (let i = 0; i < 150 && !redis.isReady; i++) await Bun.sleep(20)
  if (!redis.isReady) throw new Error(`no Redis at ${REDIS_URL}`)
}

async function main(): Promise<void> {
  const started = Date.now()
  const redis = createRedis(REDIS_URL, log)
  const watchdog = setTimeout(() => {
    console.error(`bench-cache: still running after ${DEADLINE_MS / 1000} s; cleaning up and giving up`)
    void cleanUp().finally(() => process.exit(2))
  }, DEADLINE_MS)
  const contenders: Contender[] = []
  try {
    await waitReady(redis)
    const video = makePayload('video', videoPayload(), 10_000, (id) => ({ type: CacheType.video, key: id, scopes: [videoScope(id)], ttlSeconds: TTL_SECONDS, codec: readyResponseCodec }), 'video')
    const transcript = makePayload(
      'transcript',
      transcriptPayload(),
      500,
      (id) => ({ type: CacheType.transcript, key: `${id}:best`, scopes: [videoScope(id), transcriptScope(id)], ttlSeconds: TTL_SECONDS, codec: readyResponseCodec }),
      'transcript',
    )
    const full: Contenders = { ours: await ours(redis, L1_MAX_BYTES), bentocache: await bento({ maxItems: 1_000_000 }), 'cache-manager': await cacheManager({ lruSize: 1_000_000 }) }
    contenders.push(...Object.values(full))
    // For the L2 rows, per payload, a second instance of each library on the same keys whose L1
    // holds one entry: ours bounded to that payload's size plus its key (no room for a second).
    const l2Of = new Map<Payload, Contenders>()
    for (const p of [video, transcript]) {
      const set: Contenders = { ours: await ours(redis, p.ready.size + 512), bentocache: await bento({ maxItems: 1 }), 'cache-manager': await cacheManager({ lruSize: 1 }) }
      l2Of.set(p, set)
      contenders.push(...Object.values(set))
    }

    // Fill both tiers of every library with the hit rows' keys, through their own read path (a few
    // at a time: a burst of large writes can outlast our 50 ms L2 timeout and open the breaker).
    for (const p of [video, transcript]) {
      for (const lib of LIBRARIES) {
        const loader: Loader = { calls: 0, delayMs: 0 }
        await runBatch(full[lib], p, p.keys, loader, p === video ? 4 : 1, emptyMeasure(), true)
        if (loader.calls !== p.keys.length) throw new Error(`${lib}: fill of ${p.label} ran ${loader.calls} loaders for ${p.keys.length} keys`)
      }
    }

    // Let the fill's echoes die down (BentoCache announces every write on its bus) before timing.
    for (const c of contenders) await c.settle()
    await Bun.sleep(1000)

    const results: Result[] = []
    const step = (what: string) => console.error(`  … ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    console.error(`bench-cache: prefix ${RUN_PREFIX}, Redis ${REDIS_URL}`)
    for (const p of [video, transcript]) {
      const big = p === transcript
      step(`L1 hit, ${p.label}`)
      await hitRow({ name: `L1 hit, ${p.label}, ${p.keys.length.toLocaleString('en-US')} keys`, payload: p, set: full, totalOps: ops(big ? 10_000 : 100_000), concurrency: 1, expect: 'HIT-L1' }, results)
      step(`L2 hit, ${p.label}`)
      await hitRow({ name: `L2 hit, ${p.label}, ${p.keys.length.toLocaleString('en-US')} keys`, payload: p, set: l2Of.get(p) as Contenders, totalOps: ops(big ? 2_000 : 10_000), concurrency: 1, expect: 'HIT-L2' }, results)
      step(`L2 hit ×${IN_FLIGHT}, ${p.label}`)
      await hitRow({ name: `L2 hit ×${IN_FLIGHT} in flight, ${p.label}`, payload: p, set: l2Of.get(p) as Contenders, totalOps: ops(big ? 2_500 : 20_000), concurrency: IN_FLIGHT, expect: 'HIT-L2' }, results)
      step(`miss, ${p.label}`)
      await missRow(`miss, ${p.label}, cold key each`, p, full, ops(big ? 1_500 : 5_000), results)
    }
    step('stampede')
    await stampedeRow(video, full, results)

    console.log()
    console.log(`bench-cache · ${new Date().toISOString()} · Bun ${Bun.version} · ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}) · one process · Redis ${REDIS_URL} shared by all three`)
    console.log(`libraries: bentocache 1.6.1 (memory L1 maxSize ${L1_MAX_BYTES / 2 ** 20} MiB, serialised; redis L2 + redis bus via ioredis), cache-manager 7.2.9 (keyv memory LRU + @keyv/redis), ours (lru-cache L1 ${L1_MAX_BYTES / 2 ** 20} MiB, node-redis L2)`)
    console.log(`ops/s: sequential rows 1/mean; "in flight" and miss rows ops over wall time · stampede: ${STAMPEDE_CALLERS} concurrent reads, loader ${STAMPEDE_LOADER_MS} ms, ${STAMPEDE_TRIALS} trials, mean/max time until all answered, ours/bento = bento time / ours`)
    console.log()
    printTable(results)
    console.log()
    const behind = results.filter((r) => r.library === 'ours').filter((r) => {
      const b = results.find((x) => x.row === r.row && x.library === 'bentocache')
      if (!b) return false
      return r.row.startsWith('stampede') ? r.meanUs > b.meanUs : r.opsPerSec < b.opsPerSec
    })
    if (results.some((r) => r.library === 'ours' && r.note.includes('ran the loader'))) {
      console.log('* some of our reads fell through to the loader there (L2 timeouts, then the breaker): not a pure L2-hit figure')
    }
    console.log(behind.length === 0 ? 'goal met: ours ≥ BentoCache in every row' : `goal not met in ${behind.length} row(s): ${behind.map((r) => r.row).join('; ')}`)
  } finally {
    for (const c of contenders) await c.close().catch(() => undefined)
    const deleted = await cleanUp()
    console.error(`bench-cache: deleted ${deleted} keys under ${RUN_PREFIX}; ${((Date.now() - started) / 1000).toFixed(1)} s in all`)
    clearTimeout(watchdog)
    await closeRedis(redis)
  }
}

await main()
