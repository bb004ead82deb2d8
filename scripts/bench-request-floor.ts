// How close to the Bun.serve ceiling can a cache hit get? The ceiling of `bun run bench` answers
// constant bytes and reads nothing of the request; a real hit must at least learn the client's
// address (rate limits, log lines), read a few headers (credentials, If-None-Match,
// Accept-Encoding) and write its log line. This runs the ceiling as is and with each of those
// layers (the server's own code for them: ClientIp, the logger), interleaved round by round on the
// same machine, and prints req/s and CPU per request of each beside the bare ceiling.
//
//   bun scripts/bench-request-floor.ts [--rounds 7] [--duration 2]
//
// Needs wrk; loopback only; about (layers × rounds × duration) seconds.

import { type CeilingSizes, type PerRequestWork, startCeiling } from '../loadtest/bench/ceiling.ts'
import { cpuMs, freePort, stopAll, stopOnSignals, track, waitUntilReady } from '../loadtest/bench/processes.ts'
import { runWrk } from '../loadtest/bench/wrk.ts'
import { ClientIp } from '../src/http/client-ip.ts'
import { createLogger, SerialisedFields } from '../src/platform/log.ts'

/** The bench's typical gzip size of a video (bytes); the other paths are not asked for. */
const SIZES: CeilingSizes = { video: 519, transcript: 1, search: 1, big: 0, bigId: '' }

const LAYERS = {
  'client address': ['ip'],
  'header reads': ['headers'],
  'log line': ['log'],
  'all three': ['ip', 'headers', 'log'],
} as const satisfies Record<string, readonly string[]>

function workOf(parts: readonly string[]): PerRequestWork {
  const clientIp = new ClientIp(undefined)
  const log = createLogger('info')
  const members = new SerialisedFields('"method":"GET","route":"/videos/:id","status":200,"ms":0.05')
  let sink = 0
  return (request, server) => {
    if (parts.includes('ip')) sink += clientIp.of(request, server).length
    if (parts.includes('headers')) {
      const h = request.headers
      if (h.has('authorization') || h.has('x-api-key') || h.has('cookie')) sink++
      sink += (h.get('if-none-match') ?? '').length + (h.get('accept-encoding') ?? '').length
    }
    if (parts.includes('log')) log.info('request', members)
    if (sink < 0) console.log(sink)
  }
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  const value = i === -1 ? fallback : Number(process.argv[i + 1])
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`)
  return value
}

async function main(): Promise<void> {
  const rounds = option('--rounds', 7)
  const seconds = option('--duration', 2)
  stopOnSignals()
  const targets = [{ name: 'ceiling (bare)', layer: '' }, ...Object.keys(LAYERS).map((name) => ({ name: `+ ${name}`, layer: name }))].map((t) => {
    const port = freePort()
    const proc = track(t.name, Bun.spawn(['bun', import.meta.path, '--serve', String(port), t.layer], { stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' }))
    return { ...t, port, proc, rps: [] as number[], cpu: [] as number[] }
  })
  try {
    for (const t of targets) await waitUntilReady(`http://127.0.0.1:${t.port}/videos/x`, t.proc, t.name)
    console.log(`${targets.length} servers, ${rounds} interleaved rounds of ${seconds} s, wrk -t1 -c64 on GET /videos/x`)
    for (let round = 0; round <= rounds; round++) {
      for (const t of targets) {
        const before = cpuMs(t.proc.pid) ?? 0
        const m = await runWrk({ baseUrl: `http://127.0.0.1:${t.port}`, args: ['fixed', '/videos/x'], seconds: round === 0 ? 1 : seconds, connections: 64, threads: 1 })
        // Round 0 warms every server up (the JIT) and is not counted.
        if (round === 0) continue
        t.rps.push(m.rps)
        t.cpu.push((((cpuMs(t.proc.pid) ?? 0) - before) * 1000) / m.requests)
      }
      if (round > 0) process.stdout.write(`round ${round}/${rounds} done\n`)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const bare = median(targets[0]?.rps ?? [])
    console.log(`\n${'server'.padEnd(20)}${'req/s'.padStart(10)}${'CPU µs/req'.padStart(12)}${'÷ bare'.padStart(9)}`)
    for (const t of targets) {
      console.log(`${t.name.padEnd(20)}${Math.round(median(t.rps)).toLocaleString('en').padStart(10)}${median(t.cpu).toFixed(1).padStart(12)}${(median(t.rps) / bare).toFixed(2).padStart(8)}×`)
    }
  } finally {
    await stopAll()
  }
}

if (process.argv[2] === '--serve') {
  const layer = process.argv[4] ?? ''
  const parts = layer === '' ? undefined : LAYERS[layer as keyof typeof LAYERS]
  startCeiling(Number(process.argv[3]), SIZES, parts && workOf(parts))
} else {
  await main()
}
