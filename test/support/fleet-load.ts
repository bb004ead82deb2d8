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
  const acks: { n: number; at: number }[] = []
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
        if (res.status === 200) acks.push({ n, at: Date.now() })
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
    async alone<T>(write: (n: number) => Promise<{ ackedAt: number | undefined; result: T }>): Promise<T> {
      const stopped = new Promise<void>((resolve) => (idle = resolve))
      paused = new Promise<void>((resolve) => (resumeWrites = resolve))
      await stopped
      try {
        const n = nextTitle++
        const { ackedAt, result } = await write(n)
        if (ackedAt !== undefined) acks.push({ n, at: ackedAt })
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
          const stale: { read: Read; ack: { n: number; at: number } }[] = []
          for (const read of reads) {
            if (exceptDuring.some(([from, to]) => read.startedAt >= from && read.startedAt <= to)) continue
            let newest: { n: number; at: number } | undefined
            for (const ack of sorted) {
              if (ack.at + boundMs >= read.startedAt) break
              if (!newest || ack.n > newest.n) newest = ack
            }
            if (newest && !(read.n >= newest.n)) stale.push({ read, ack: newest })
          }
          return stale
        },
      }
    },
  }
}
