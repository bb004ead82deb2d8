import { join } from 'node:path'
import type { CeilingSizes } from './ceiling.ts'
import { freePort, track, waitUntilReady } from './processes.ts'

// The processes under test: the binary in several configurations, a private Redis, and the ceiling.

/** What each measured server is. `cache` is the product as deployed; the others differ in one setting. */
export const TARGETS = {
  cache: 'the server, caching on (LOG_LEVEL=info, metrics on)',
  nocache: 'the server with ENABLE_CACHING=false',
  ceiling: 'plain Bun.serve returning constant bytes of the same sizes',
  'log-warn': 'the server with LOG_LEVEL=warn (no per-request log line)',
  'metrics-off': 'the server with ENABLE_METRICS=false',
  'fleet-redis': 'two servers like cache sharing its redis-server, half the connections each (fleet)',
  'fleet-cluster': 'two servers like cache sharing a private 3-primary Redis Cluster, half the connections each (fleet)',
} as const
export type TargetName = keyof typeof TARGETS

export interface Running {
  name: TargetName
  baseUrl: string
  pid: number
}

/** A private redis-server on a free port, so every run starts with an empty L2 and nothing else shares it. */
export async function startRedis(): Promise<string> {
  const port = freePort()
  const proc = track(
    'redis',
    Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', '1gb', '--maxmemory-policy', 'allkeys-lru'], {
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
    }),
  )
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error('redis-server exited at start')
    const ping = Bun.spawnSync(['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'], { stdout: 'pipe', stderr: 'ignore' })
    if (ping.stdout.toString().trim() === 'PONG') return `redis://127.0.0.1:${port}`
    await Bun.sleep(50)
  }
  throw new Error('redis-server did not answer PING within 10 s')
}

/**
 * A private Redis Cluster of three primaries (no replicas) on free ports, for the fleet scenario;
 * its `REDIS_CLUSTER_NODES`. Its files go to `dir`.
 */
export async function startCluster(dir: string): Promise<string> {
  const ports = [freePort(), freePort(), freePort()]
  for (const port of ports) {
    track(
      `redis-cluster-${port}`,
      Bun.spawn(
        ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', '512mb', '--maxmemory-policy', 'allkeys-lru',
          '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir],
        { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' },
      ),
    )
  }
  const cli = (port: number, ...args: string[]) => Bun.spawnSync(['redis-cli', '-p', String(port), ...args], { stdout: 'pipe', stderr: 'ignore' }).stdout.toString().trim()
  const deadline = Date.now() + 15_000
  while (!ports.every((p) => cli(p, 'ping') === 'PONG')) {
    if (Date.now() > deadline) throw new Error('the cluster nodes did not answer PING within 15 s')
    await Bun.sleep(50)
  }
  const create = Bun.spawnSync(['redis-cli', '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { stdout: 'pipe', stderr: 'pipe' })
  if (create.exitCode !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout.toString()}${create.stderr.toString()}`)
  while (!ports.every((p) => cli(p, 'cluster', 'info').includes('cluster_state:ok'))) {
    if (Date.now() > deadline) throw new Error('the cluster was not ok within 15 s')
    await Bun.sleep(50)
  }
  return ports.map((p) => `127.0.0.1:${p}`).join(',')
}

export interface ServerSetup {
  binary: string
  databaseUrl: string
  redisUrl: string
  /** REDIS_CLUSTER_NODES instead of redisUrl. */
  clusterNodes?: string
  adminToken: string
  slowQueryMs: number
  logDir: string
}

/**
 * One server process. stdout (the info-level request log, one JSON line per request) goes to
 * /dev/null, as a service manager would capture it: writing it is part of the measured cost.
 * stderr (warnings and errors) goes to a file for the report.
 */
const BENCH_RATE_LIMITS = ['PUBLIC_READ', 'READ', 'SEARCH', 'EXPORT', 'WRITE', 'AUTH_FAILURE', 'JOB', 'EVENT'].map((c) => `RATE_LIMIT_${c}`)

export async function startServer(name: Exclude<TargetName, 'ceiling'>, setup: ServerSetup, label: string = name): Promise<Running> {
  const port = freePort()
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: setup.databaseUrl,
    ...(setup.clusterNodes ? { REDIS_CLUSTER_NODES: setup.clusterNodes } : { REDIS_URL: setup.redisUrl }),
    SEED_DEMO: 'false',
    DB_SLOW_QUERY_MS: String(setup.slowQueryMs),
    LOG_LEVEL: name === 'log-warn' ? 'warn' : 'info',
    ENABLE_CACHING: name === 'nocache' ? 'false' : 'true',
    ENABLE_METRICS: name === 'metrics-off' ? 'false' : 'true',
    // wrk is one client address: limits high enough never to refuse it, yet on, so their cost is measured.
    ...Object.fromEntries(BENCH_RATE_LIMITS.map((name) => [name, '100000000/1'])),
  }
  if (name === 'cache') env.ADMIN_TOKEN = setup.adminToken
  const proc = track(
    label,
    Bun.spawn([setup.binary, 'serve'], { env, stdin: 'ignore', stdout: 'ignore', stderr: Bun.file(join(setup.logDir, `server-${label}.stderr.log`)) }),
  )
  const baseUrl = `http://127.0.0.1:${port}`
  await waitUntilReady(`${baseUrl}/ready`, proc, `server ${label}`)
  return { name, baseUrl, pid: proc.pid }
}

export async function startCeiling(sizes: CeilingSizes): Promise<Running> {
  const port = freePort()
  const script = join(import.meta.dir, 'ceiling.ts')
  const proc = track('ceiling', Bun.spawn(['bun', script, String(port), JSON.stringify(sizes)], { stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' }))
  const baseUrl = `http://127.0.0.1:${port}`
  await waitUntilReady(`${baseUrl}/videos/x`, proc, 'ceiling')
  return { name: 'ceiling', baseUrl, pid: proc.pid }
}
