// Command-line options of `bun run bench`.

export const SCENARIOS = ['mixed', 'video', 'overhead', 'transcript-1000', 'search', 'search-uncached', 'stampede', 'soak', 'fleet'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

const FULL_SCENARIOS: ScenarioName[] = ['mixed', 'video', 'overhead', 'transcript-1000', 'search', 'search-uncached', 'stampede']
const QUICK_SCENARIOS: ScenarioName[] = ['mixed', 'search', 'stampede']

export interface BenchOptions {
  quick: boolean
  /** Seconds per wrk measurement. */
  duration: number
  /** Each measurement is repeated this many times, interleaved with the others; medians are reported. */
  rounds: number
  scenarios: ScenarioName[]
  connections: number
  threads: number
  databaseUrl: string
  /** Use this Redis instead of starting a private redis-server. */
  redisUrl: string | undefined
  build: boolean
  charts: boolean
  /** Where the JSON and PNGs go; quick runs write to a scratch folder so committed results stay put. */
  outDir: string
}

export const USAGE = `bun run bench [options]    (bun loadtest/bench/run.ts)

Builds the binary, starts it against PostgreSQL and a private Redis on loopback (plus a second
server with ENABLE_CACHING=false, one with LOG_LEVEL=warn, one with ENABLE_METRICS=false and a
plain Bun.serve ceiling; for fleet, two more on the same Redis and two on a private Redis Cluster),
warms the cache, drives the load-test scenarios with wrk, checks
loadtest/thresholds.json and writes loadtest/results/<date>.json and PNG charts.
Exits 1 when a threshold fails, 2 on bad usage.

  --quick               CI smoke: small seed (transcript_bench_quick, 200 videos), 3 s, 1 round,
                        scenarios mixed,search,stampede, the thresholds' "quick" overrides;
                        results under loadtest/results/tmp/
  --duration 10s        length of each wrk measurement (s or m suffix)
  --rounds 3            repetitions of every measurement, interleaved; medians are reported
  --scenarios LIST      comma-separated: ${SCENARIOS.join(', ')}
                        (default: ${FULL_SCENARIOS.join(',')}; soak and fleet only when named)
  --connections 64      wrk connections (wrk runs 2 threads)
  --database-url URL    default postgres://postgres@127.0.0.1:5432/transcript_bench
                        (created and seeded with 10,000 videos x 100 segments when missing)
  --redis-url URL       use this Redis instead of a private redis-server on a free port
  --out DIR             where results go (default loadtest/results)
  --no-build            reuse dist/bench/transcript-api
  --no-charts           skip the PNG charts
  --help`

export class UsageError extends Error {}

function seconds(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(raw)
  if (!m?.[1]) throw new UsageError(`--duration must look like 10s or 2m (got ${JSON.stringify(raw)})`)
  const n = Number(m[1]) * (m[2] === 'm' ? 60 : 1)
  if (n < 1 || n > 3600) throw new UsageError('--duration must be between 1 s and 60 m')
  return n
}

function positive(name: string, raw: string, max: number): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be an integer from 1 to ${max} (got ${JSON.stringify(raw)})`)
  return n
}

function scenarioList(raw: string): ScenarioName[] {
  const out: ScenarioName[] = []
  for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const known = SCENARIOS.find((s) => s === name)
    if (!known) throw new UsageError(`unknown scenario ${JSON.stringify(name)} (known: ${SCENARIOS.join(', ')})`)
    if (!out.includes(known)) out.push(known)
  }
  if (out.length === 0) throw new UsageError('--scenarios needs at least one scenario')
  return out
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const given = new Map<string, string>()
  const flags = new Set<string>()
  const valued = ['--duration', '--rounds', '--scenarios', '--connections', '--database-url', '--redis-url', '--out']
  const switches = ['--quick', '--no-build', '--no-charts', '--help', '-h']
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (switches.includes(name)) {
      flags.add(name)
    } else if (valued.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined) throw new UsageError(`${name} needs a value`)
      given.set(name, value)
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(arg)} (see --help)`)
    }
  }
  if (flags.has('--help') || flags.has('-h')) return 'help'
  const quick = flags.has('--quick')
  const db = quick ? 'transcript_bench_quick' : 'transcript_bench'
  const duration = given.has('--duration') ? seconds(given.get('--duration') ?? '') : quick ? 3 : 10
  const scenarios = given.has('--scenarios') ? scenarioList(given.get('--scenarios') ?? '') : quick ? QUICK_SCENARIOS : FULL_SCENARIOS
  return {
    quick,
    duration,
    rounds: given.has('--rounds') ? positive('--rounds', given.get('--rounds') ?? '', 10) : quick ? 1 : 3,
    scenarios,
    connections: given.has('--connections') ? positive('--connections', given.get('--connections') ?? '', 4096) : 64,
    threads: 2,
    databaseUrl: given.get('--database-url') ?? `postgres://postgres@127.0.0.1:5432/${db}`,
    redisUrl: given.get('--redis-url'),
    build: !flags.has('--no-build'),
    charts: !flags.has('--no-charts'),
    outDir: given.get('--out') ?? (quick ? 'loadtest/results/tmp' : 'loadtest/results'),
  }
}
