import { join } from 'node:path'
import { track } from './processes.ts'

// Runs wrk with loadtest/wrk/bench.lua and reads the one JSON line its done() prints.

export const LUA_SCRIPT = join(import.meta.dir, '..', 'wrk', 'bench.lua')

interface WrkJson {
  requests: number
  duration_us: number
  bytes: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  latency_us: { min: number; mean: number; stdev: number; max: number; p50: number; p75: number; p90: number; p95: number; p99: number; 'p99.9': number }
  counts: Record<'hit_l1' | 'hit_l2' | 'miss' | 'stale' | 'bypass' | 'no_header' | 's2xx' | 's3xx' | 's4xx' | 's5xx' | 'sent', number>
  keys_touched: number
}

export interface Measurement {
  requests: number
  seconds: number
  rps: number
  /** MB/s of response bytes (headers included). */
  mbps: number
  latencyMs: { p50: number; p75: number; p90: number; p95: number; p99: number; p999: number; max: number; mean: number }
  /** Socket errors (connect, read, write, timeout) plus responses with status ≥ 400. */
  errors: number
  errorRate: number
  counts: WrkJson['counts']
  /** (HIT-L1 + HIT-L2 + STALE) / (those + MISS); undefined when nothing was cacheable. */
  hitRate: number | undefined
  keysTouched: number
}

export interface WrkRun {
  baseUrl: string
  /** Arguments after `--`: the Lua script's mode and its parameters. */
  args: string[]
  seconds: number
  connections: number
  threads: number
}

export function hitRateOf(c: WrkJson['counts']): number | undefined {
  const hits = c.hit_l1 + c.hit_l2 + c.stale
  const total = hits + c.miss
  return total > 0 ? hits / total : undefined
}

export async function runWrk(run: WrkRun): Promise<Measurement> {
  const cmd = [
    'wrk',
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    LUA_SCRIPT,
    run.baseUrl,
    '--',
    ...run.args,
  ]
  const proc = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  track('wrk', proc)
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '))
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${cmd.join(' ')}\n${out}\n${err}`)
  const j = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson
  const seconds = j.duration_us / 1e6
  const errors = j.errors.connect + j.errors.read + j.errors.write + j.errors.timeout + j.errors.status
  const ms = (us: number) => us / 1000
  return {
    requests: j.requests,
    seconds,
    rps: j.requests / seconds,
    mbps: j.bytes / seconds / 1e6,
    latencyMs: {
      p50: ms(j.latency_us.p50),
      p75: ms(j.latency_us.p75),
      p90: ms(j.latency_us.p90),
      p95: ms(j.latency_us.p95),
      p99: ms(j.latency_us.p99),
      p999: ms(j.latency_us['p99.9']),
      max: ms(j.latency_us.max),
      mean: ms(j.latency_us.mean),
    },
    errors,
    errorRate: errors / Math.max(1, j.requests + j.errors.connect + j.errors.timeout),
    counts: j.counts,
    hitRate: hitRateOf(j.counts),
    keysTouched: j.keys_touched,
  }
}
