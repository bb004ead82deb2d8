import type { ServerProcess } from './server-process.ts'

// Read/write load on several server processes sharing one video, recorded as a history the tests
// check: every request that failed (a status other than 200, or no answer), and every read's title
// with when it started, against when each write was acknowledged. Titles are numbered (`t-<n>`), so
// "older than an acknowledged write" is a comparison.

export interface FleetLoadOptions {
  servers: ServerProcess[]
  videoId: string
  adminToken: string
  /** Concurrent readers per server. */
  readersPerServer?: number
  /** Pause between two writes (each on the next server in turn). */
  writeEveryMs?: number
}

interface Read {
  server: number
  startedAt: number
  n: number
}

/** An acknowledged write: its title number, when its 200 came back, and which server took it. */
export interface Ack {
  n: number
  at: number
  server: number
}

export interface StaleRead {
  read: Read
  ack: Ack
}

export interface Failure {
  at: number
  what: string
}

export const titleOf = (n: number) => `t-${n}`
const numberOf = (title: string) => Number(/^t-(\d+)$/.exec(title)?.[1] ?? Number.NaN)

export function patchTitle(server: ServerProcess, videoId: string, adminToken: string, title: string): Promise<Response> {
  return fetch(`${server.baseUrl}/videos/${videoId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
    signal: AbortSignal.timeout(5000),
  })
}

export async function readTitle(server: ServerProcess, videoId: string): Promise<{ status: number; title?: string; cache: string | null }> {
  const res = await fetch(`${server.baseUrl}/videos/${videoId}`, { signal: AbortSignal.timeout(5000) })
  if (res.status !== 200) return { status: res.status, cache: res.headers.get('x-cache') }
  return { status: 200, title: ((await res.json()) as { title: string }).title, cache: res.headers.get('x-cache') }
}

export function startFleetLoad(options: FleetLoadOptions) {
  const { servers, videoId, adminToken } = options
  const reads: Read[] = []
  const acks: Ack[] = []
  const failures: Failure[] = []
  let running = true
  let nextTitle = 1
  let paused: Promise<void> | undefined
  let resumeWrites = () => {}
  let idle = () => {}

  const reader = async (server: number) => {
    const s = servers[server] as ServerProcess
    while (running) {
      const startedAt = Date.now()
      try {
        const r = await readTitle(s, videoId)
        if (r.status !== 200 || r.title === undefined) failures.push({ at: startedAt, what: `GET on ${server}: ${r.status}` })
        else reads.push({ server, startedAt, n: numberOf(r.title) })
      } catch (err) {
        failures.push({ at: startedAt, what: `GET on ${server}: ${(err as Error).message}` })
      }
    }
  }
  const writer = async () => {
    for (let i = 0; running; i++) {
      if (paused) {
        idle()
        await paused
        if (!running) break
      }
      const n = nextTitle++
      const at = Date.now()
      try {
        const res = await patchTitle(servers[i % servers.length] as ServerProcess, videoId, adminToken, titleOf(n))
        if (res.status === 200) acks.push({ n, at: Date.now(), server: i % servers.length })
        else failures.push({ at, what: `PATCH on ${i % servers.length}: ${res.status} ${await res.text()}` })
      } catch (err) {
        failures.push({ at, what: `PATCH on ${i % servers.length}: ${(err as Error).message}` })
      }
      await Bun.sleep(options.writeEveryMs ?? 50)
    }
  }
  const tasks = [writer(), ...servers.flatMap((_, i) => Array.from({ length: options.readersPerServer ?? 2 }, () => reader(i)))]

  return {
    /**
     * Stops the writer (once its write in flight is answered) and runs `write` alone, so titles stay
     * in the order they were acknowledged; `write` gets the next title number and says when it was
     * acknowledged (undefined: it was not).
     */
    async alone<T>(server: number, write: (n: number) => Promise<{ ackedAt: number | undefined; result: T }>): Promise<T> {
      const stopped = new Promise<void>((resolve) => (idle = resolve))
      paused = new Promise<void>((resolve) => (resumeWrites = resolve))
      await stopped
      try {
        const n = nextTitle++
        const { ackedAt, result } = await write(n)
        if (ackedAt !== undefined) acks.push({ n, at: ackedAt, server })
        return result
      } finally {
        paused = undefined
        resumeWrites()
      }
    },
    async stop() {
      running = false
      resumeWrites()
      await Promise.all(tasks)
      return {
        reads: reads.length,
        writes: acks.length,
        failures,
        /**
         * Reads that started more than `boundMs` after a write was acknowledged and still returned
         * an older title; `exceptDuring` excuses reads started in the given windows (a stated, longer bound).
         */
        staleReads(boundMs: number, exceptDuring: [number, number][] = []) {
          const sorted = [...acks].sort((a, b) => a.at - b.at)
          const stale: StaleRead[] = []
          for (const read of reads) {
            if (exceptDuring.some(([from, to]) => read.startedAt >= from && read.startedAt <= to)) continue
            let newest: Ack | undefined
            for (const ack of sorted) {
              if (ack.at + boundMs >= read.startedAt) break
              if (!newest || ack.n > newest.n) newest = ack
            }
            if (newest && !(read.n >= newest.n)) stale.push({ read, ack: newest })
          }
          return stale
        },
        /**
         * Reads that returned a title older than one their own server had acknowledged before they
         * started: a server must never serve its own pre-write value, bus or no bus.
         */
        ownStaleReads() {
          const stale: StaleRead[] = []
          for (const read of reads) {
            let newest: Ack | undefined
            for (const ack of acks) if (ack.server === read.server && ack.at < read.startedAt && (!newest || ack.n > newest.n)) newest = ack
            if (newest && !(read.n >= newest.n)) stale.push({ read, ack: newest })
          }
          return stale
        },
        /** The writes acknowledged between `from` and `to`, for a report. */
        acksBetween: (from: number, to: number) => acks.filter((a) => a.at >= from && a.at <= to),
      }
    },
  }
}

/**
 * A stale-read report a failure prints: when the stale reads started relative to the test's marks
 * (kill, promotion, …), on which server, how late after the ack, and whether the server that read
 * had taken the write itself.
 */
export function describeStale(stale: StaleRead[], marks: Record<string, number>): string {
  if (stale.length === 0) return 'no stale reads'
  const starts = stale.map((s) => s.read.startedAt)
  const first = Math.min(...starts)
  const last = Math.max(...starts)
  const rel = (t: number) => Object.entries(marks).map(([name, at]) => `${name}${t - at >= 0 ? '+' : ''}${t - at}`).join(' ')
  const late = stale.map((s) => s.read.startedAt - s.ack.at)
  const distinct = new Map<string, StaleRead & { count: number }>()
  for (const s of stale) {
    const key = `${s.ack.n}/${s.ack.server}/${s.read.server}/${s.read.n}`
    const seen = distinct.get(key)
    if (seen) seen.count++
    else distinct.set(key, { ...s, count: 1 })
  }
  return [
    `${stale.length} stale reads, first at ${rel(first)} ms, last at ${rel(last)} ms; ${Math.min(...late)}–${Math.max(...late)} ms after the ack`,
    `by reader: ${[0, 1].map((srv) => `server ${srv}: ${stale.filter((s) => s.read.server === srv).length}`).join(', ')}; read on the server that took the write: ${stale.filter((s) => s.read.server === s.ack.server).length}`,
    ...[...distinct.values()].slice(0, 30).map(
      (d) => `  ack n=${d.ack.n} by server ${d.ack.server} at ${rel(d.ack.at)}; server ${d.read.server} read n=${d.read.n} ×${d.count} from ${rel(d.read.startedAt)}`,
    ),
  ].join('\n')
}

/** `stale`, printed first with describeStale when there is any, so a failing expect comes with its timeline. */
export function reportStale(stale: StaleRead[], marks: Record<string, number>): StaleRead[] {
  if (stale.length > 0) console.log(describeStale(stale, marks))
  return stale
}
