import { createServer, type Server, type Socket } from 'node:net'
import type { PrivatePostgres } from './private-postgres.ts'
import type { TcpProxy } from './tcp-proxy.ts'

// Database fault scenarios against the real server process, each returning what it measured:
// test/db-faults.test.ts asserts generous bounds on them, scripts/bench-db-faults.ts repeats them
// on a quiet machine and prints the figures.

const SERVE = ['bun', 'src/main.ts', 'serve']

export interface Answer {
  /** performance.now() when sent and when the response (or a network error, status 0) came back. */
  sentAt: number
  answeredAt: number
  status: number
}

/**
 * A request for a random video id every `everyMs`, without waiting for earlier ones: each is a
 * cache miss, so each needs the database (404 when it answers, 503 when it is unreachable).
 */
export function coldTraffic(baseUrl: string, everyMs = 20) {
  const pending: Promise<Answer>[] = []
  const send = () => {
    const sentAt = performance.now()
    pending.push(
      fetch(`${baseUrl}/videos/${crypto.randomUUID()}`, { signal: AbortSignal.timeout(30_000) }).then(
        async (res) => {
          await res.arrayBuffer()
          return { sentAt, answeredAt: performance.now(), status: res.status }
        },
        () => ({ sentAt, answeredAt: performance.now(), status: 0 }),
      ),
    )
  }
  const timer = setInterval(send, everyMs)
  send()
  return {
    /** Stops sending and resolves with every answer once the last one is in. */
    async stop(): Promise<Answer[]> {
      clearInterval(timer)
      return Promise.all(pending)
    },
  }
}

export interface OutageFigures {
  /** From the start of the fault (e.g. `pg_ctl stop -m fast` being run) to the first 503. */
  faultToFirst503Ms: number
  /** The slowest answer to a request sent while the database was unreachable. */
  slowestWhileDownMs: number
  /**
   * From the database being back (e.g. `pg_ctl start` returned: it accepts connections) to the
   * first 404, an answer from it; ≤ 0 when one came before the command returned.
   */
  backToFirstAnswerMs: number
  /** Answers other than 404 to requests sent from a second after the database was back. */
  failuresAfterBack: number
  /** Answers neither 404 nor 503 (a 500, a network error) at any time. */
  unexpected: number
  requests: number
}

export interface Fault {
  /** Makes the database unreachable; resolves once it is (pg_ctl stop returned, the proxy froze). */
  begin(): Promise<void>
  /** Makes it reachable again; resolves once it is. */
  end(): Promise<void>
}

/** Cold traffic through a fault lasting `downMs`. */
export async function outageScenario(baseUrl: string, fault: Fault, downMs = 1500): Promise<OutageFigures> {
  const traffic = coldTraffic(baseUrl)
  await Bun.sleep(500)
  const faultAt = performance.now()
  await fault.begin()
  await Bun.sleep(downMs)
  const endAt = performance.now()
  await fault.end()
  const backAt = performance.now()
  await Bun.sleep(1500)
  const answers = await traffic.stop()
  const byAnswer = [...answers].sort((a, b) => a.answeredAt - b.answeredAt)
  const first503 = byAnswer.find((a) => a.status === 503 && a.answeredAt >= faultAt)
  const firstBack = byAnswer.find((a) => a.status === 404 && a.sentAt >= endAt)
  const whileDown = answers.filter((a) => a.sentAt >= faultAt && a.sentAt < endAt)
  return {
    faultToFirst503Ms: first503 ? first503.answeredAt - faultAt : Number.POSITIVE_INFINITY,
    slowestWhileDownMs: Math.max(0, ...whileDown.map((a) => a.answeredAt - a.sentAt)),
    backToFirstAnswerMs: firstBack ? firstBack.answeredAt - backAt : Number.POSITIVE_INFINITY,
    failuresAfterBack: answers.filter((a) => a.sentAt >= backAt + 1000 && a.status !== 404).length,
    unexpected: answers.filter((a) => a.status !== 404 && a.status !== 503).length,
    requests: answers.length,
  }
}

/** PostgreSQL stopped with `pg_ctl stop -m fast` (running queries cut off) and started again. */
export const stopped = (pg: PrivatePostgres): Fault => ({ begin: () => pg.halt(), end: () => pg.start() })

/** Every connection hangs (a partition, a hung host): nothing is refused, nothing answered. */
export const hung = (proxy: TcpProxy): Fault => ({
  begin: async () => proxy.freeze(),
  end: async () => proxy.thaw(),
})

/** A TCP listener that never speaks PostgreSQL: `close` accepts and closes at once, `silent` accepts and says nothing. */
export async function blackHole(kind: 'close' | 'silent') {
  const held = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((socket) => {
    accepted++
    socket.on('error', () => {})
    if (kind === 'close') socket.end()
    else held.add(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `postgres://app:hunter2-db-password@127.0.0.1:${(server.address() as { port: number }).port}/app`,
    get accepted() {
      return accepted
    },
    close() {
      for (const s of held) s.destroy()
      server.close()
    },
  }
}

export interface StartupOutcome {
  exitCode: number
  /** From spawning (or from the signal, when one was sent) to exit. */
  ms: number
  /** Connections the black hole accepted. */
  accepted: number
  output: string
}

/** Collects a stream's text as it arrives. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = ''
  const done = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
  })()
  return { text: () => text, done }
}

/**
 * Starts the server on a DATABASE_URL that accepts TCP but never speaks PostgreSQL. With
 * `signalAfterMs`, sends SIGTERM that long after the server started waiting for its database.
 */
export async function startAgainstBlackHole(kind: 'close' | 'silent', env: Record<string, string>, signalAfterMs?: number): Promise<StartupOutcome> {
  const hole = await blackHole(kind)
  try {
    const spawnedAt = performance.now()
    const proc = Bun.spawn(SERVE, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: hole.url, ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const out = collect(proc.stdout)
    const err = collect(proc.stderr)
    let from = spawnedAt
    if (signalAfterMs !== undefined) {
      // Its signal handlers are in place once it names the database it waits for.
      while (!out.text().includes('database: external PostgreSQL') && proc.exitCode === null) await Bun.sleep(10)
      await Bun.sleep(signalAfterMs)
      from = performance.now()
      proc.kill('SIGTERM')
    }
    const exitCode = await Promise.race([proc.exited, Bun.sleep(60_000).then(() => (proc.kill('SIGKILL'), -1))])
    const ms = performance.now() - from
    await Promise.all([out.done, err.done])
    return { exitCode, ms, accepted: hole.accepted, output: out.text() + err.text() }
  } finally {
    hole.close()
  }
}
