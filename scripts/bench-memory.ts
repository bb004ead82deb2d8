// `bun scripts/bench-memory.ts`: does the cache's byte bound hold the process's memory? For each
// kind of unique-key flood (random-UUID 404s, unique searches, unique list filters) a fresh server
// (the built binary, L1_MAX_BYTES as configured, L1 only) is flooded by wrk for --seconds while its
// RSS is sampled every second; the bound is 2 × L1_MAX_BYTES + the RSS it had idle, warmed up:
// after wrk has sent the same number of connections one URL of the flood's kind for a few seconds,
// so the idle figure holds what serving that traffic costs whatever the cache keeps (compiled code,
// connection buffers, the pools) and the flood's growth is what unique keys add.
// Prints a table and exits 1 when a flood breaks the bound.
//
//   bun scripts/bench-memory.ts [--seconds 60] [--l1-mib 64] [--kinds video-404,search] [--database-url URL] [--no-build]
//
// The database defaults to transcript_bench (created and seeded by `bun run bench` when missing).

import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { prepareDatabase } from '../loadtest/bench/database.ts'
import { freePort, stopAll, stopOnSignals, track, waitUntilReady } from '../loadtest/bench/processes.ts'

const ROOT = resolve(import.meta.dir, '..')
const BINARY = join(ROOT, 'dist', 'bench', 'transcript-api')
const FLOOD_SCRIPT = join(ROOT, 'loadtest', 'wrk', 'flood.lua')
const KINDS = ['video-404', 'transcript-404', 'search', 'list'] as const
const IDLE_WARMUP_S = 5
const WRK_WARMUP_S = 4
/** One URL of each kind, asked again and again: the warm-up serves it from the cache after the first. */
const WARMUP_PATH: Record<(typeof KINDS)[number], string> = {
  'video-404': '/videos/00000000-0000-4000-8000-000000000000',
  'transcript-404': '/videos/00000000-0000-4000-8000-000000000000/transcript',
  search: '/search?q=coffee',
  list: '/videos?channel=warm-up',
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'l1-mib': { type: 'string', default: '64' },
    kinds: { type: 'string', default: KINDS.join(',') },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/transcript_bench' },
    'no-build': { type: 'boolean', default: false },
  },
})
const seconds = Number(values.seconds)
const l1Bytes = Number(values['l1-mib']) * 1024 * 1024
const kinds = (values.kinds ?? '').split(',').filter(Boolean)
for (const k of kinds) if (!KINDS.includes(k as (typeof KINDS)[number])) throw new Error(`unknown kind ${k}; kinds: ${KINDS.join(', ')}`)

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
}

interface Result {
  kind: string
  idle: number
  peak: number
  end: number
  l1: number
  requests: number
  bound: number
}

async function flood(kind: string, databaseUrl: string): Promise<Result> {
  const port = freePort()
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, L1_MAX_BYTES: String(l1Bytes), LOG_LEVEL: 'warn', SEED_DEMO: 'false' }
  const proc = track(`server ${kind}`, Bun.spawn([BINARY, 'serve'], { env, stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' }))
  const baseUrl = `http://127.0.0.1:${port}`
  await waitUntilReady(`${baseUrl}/ready`, proc, `server ${kind}`)
  // Idle but warm: the routes' code has run, compiled, and the connections and pools are open.
  for (const path of ['/videos', '/search?q=coffee', `/videos/${crypto.randomUUID()}`, '/metrics']) await (await fetch(`${baseUrl}${path}`)).arrayBuffer()
  const warmup = Bun.spawn(['wrk', '-t2', '-c32', `-d${WRK_WARMUP_S}s`, `${baseUrl}${WARMUP_PATH[kind as (typeof KINDS)[number]]}`], { stdout: 'ignore', stderr: 'inherit' })
  await warmup.exited
  await Bun.sleep(IDLE_WARMUP_S * 1000)
  const idle = rssBytes(proc.pid)
  let peak = idle
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(proc.pid))), 1000)
  const wrk = Bun.spawn(['wrk', '-t2', '-c32', `-d${seconds}s`, '--timeout', '5s', '-s', FLOOD_SCRIPT, baseUrl, '--', kind], { stdout: 'pipe', stderr: 'pipe' })
  const out = await new Response(wrk.stdout).text()
  await wrk.exited
  clearInterval(sampler)
  const end = rssBytes(proc.pid)
  peak = Math.max(peak, end)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const l1 = await metric(baseUrl, 'cache_size_bytes')
  proc.kill('SIGTERM')
  await proc.exited
  return { kind, idle, peak, end, l1, requests, bound: 2 * l1Bytes + idle }
}

stopOnSignals()
try {
  if (!values['no-build']) {
    const build = Bun.spawn(['bun', 'run', 'build'], { cwd: ROOT, env: { ...process.env, BUILD_OUTFILE: BINARY }, stdout: 'inherit', stderr: 'inherit' })
    if ((await build.exited) !== 0) throw new Error('bun run build failed')
  }
  const databaseUrl = values['database-url'] ?? ''
  await prepareDatabase(databaseUrl, { videos: 10_000, segmentsPerVideo: 100, seed: 1 })
  console.log(`memory under unique-key floods: L1_MAX_BYTES ${mib(l1Bytes)}, ${seconds} s per flood, wrk -t2 -c32; bound = 2 × L1_MAX_BYTES + idle RSS`)
  const results: Result[] = []
  for (const kind of kinds) {
    const r = await flood(kind, databaseUrl)
    results.push(r)
    const ok = r.peak <= r.bound
    console.log(
      `  ${r.kind.padEnd(15)} ${r.requests.toLocaleString('en-US').padStart(9)} requests  idle ${mib(r.idle).padStart(8)}  peak ${mib(r.peak).padStart(8)}  end ${mib(r.end).padStart(8)}  L1 ${mib(r.l1).padStart(7)}  bound ${mib(r.bound).padStart(8)}  ${ok ? 'PASS' : 'FAIL'}`,
    )
  }
  process.exitCode = results.every((r) => r.peak <= r.bound) ? 0 : 1
} finally {
  await stopAll()
}
