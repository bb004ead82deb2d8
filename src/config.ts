import { boolean, hostPortList, integer, issuedSecret, MIN_SECRET_LENGTH, oneOf, originList, type Parser, postgresUrlList, proxyList, Rate, rate, secret, text, url } from './config-parsers.ts'
import { redactUrl } from './redact.ts'

// Every environment variable the server reads, parsed and validated once.
// One table drives parsing, error messages and `--help`, so they cannot drift apart.

export class ConfigError extends Error {
  /** What was rejected, as the message shows it: a secret by its length only, URL passwords masked. */
  readonly got: string

  constructor(
    readonly variable: string,
    readonly accepts: string,
    got: string,
  ) {
    const shown = isSecret(variable) ? `${got.length} characters` : JSON.stringify(redactUrl(got))
    super(`${variable} must be ${accepts} (got ${shown})`)
    this.got = shown
  }
}

interface Spec<T> {
  parser: Parser<T>
  default: T
  doc: string
}
const spec = <T>(parser: Parser<T>, defaultValue: T, doc: string): Spec<T> => ({ parser, default: defaultValue, doc })

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
const POOL_MODES = ['session', 'transaction'] as const
export type PoolMode = (typeof POOL_MODES)[number]
export type LogLevel = (typeof LOG_LEVELS)[number]
const DAY = 86_400

/** Variable name → how to read it. Optional values use `undefined` as their default. */
export const CONFIG_SPECS = {
  PORT: spec(integer(0, 65535), 8000, 'HTTP port (0 picks a free one)'),
  HOST: spec(text, '0.0.0.0', 'address to listen on'),
  DATABASE_URL: spec<string | undefined>(
    url(['postgres:', 'postgresql:']),
    undefined,
    'PostgreSQL URL; unset runs the embedded PGlite database in DATA_DIR',
  ),
  DATABASE_MIGRATION_URL: spec<string | undefined>(
    url(['postgres:', 'postgresql:']),
    undefined,
    'PostgreSQL URL migrations use instead of DATABASE_URL (e.g. straight to PostgreSQL when DATABASE_URL goes through PgBouncer); always a session-mode connection',
  ),
  DB_POOL_MODE: spec(
    oneOf(POOL_MODES),
    'session' as PoolMode,
    'session, or transaction when DATABASE_URL goes through a transaction-mode pooler (PgBouncer pool_mode=transaction): no prepared statements, no per-connection settings',
  ),
  DATABASE_REPLICA_URLS: spec<readonly string[] | undefined>(
    postgresUrlList,
    undefined,
    'streaming replicas of DATABASE_URL (comma list) that cache fills of videos, transcripts and search may read, once they have replayed every write the value depends on; everything else stays on DATABASE_URL',
  ),
  DB_REPLICA_MAX_LAG_MS: spec(
    integer(1, 3_600_000),
    5000,
    'ms; a replica further behind DATABASE_URL (or one that fails) leaves the rotation until it catches up',
  ),
  DATA_DIR: spec(text, './data', 'directory of the embedded database'),
  DB_POOL_MAX: spec(integer(1, 200), 10, 'PostgreSQL pool size (the embedded database always uses 1)'),
  DB_STATEMENT_TIMEOUT_MS: spec(
    integer(0, 3_600_000),
    5000,
    'ms; PostgreSQL cancels a longer statement of `serve` and the request answers 503 (0: no limit; external PostgreSQL only)',
  ),
  DB_CONNECT_TIMEOUT: spec(integer(1, DAY), 30, 'seconds a starting process waits for the database (each failed attempt logged) before it exits with 1'),
  REDIS_URL: spec<string | undefined>(url(['redis:', 'rediss:']), undefined, 'Redis URL for the L2 cache; unset (and no REDIS_SENTINELS or REDIS_CLUSTER_NODES) means L1 only'),
  REDIS_SENTINELS: spec<readonly { host: string; port: number }[] | undefined>(
    hostPortList,
    undefined,
    'Redis behind Sentinel instead of REDIS_URL: the sentinels (host:port list); the primary they name is followed through failovers',
  ),
  REDIS_SENTINEL_NAME: spec(text, 'mymaster', 'with REDIS_SENTINELS: the name the sentinels monitor the primary under'),
  REDIS_CLUSTER_NODES: spec<readonly { host: string; port: number }[] | undefined>(
    hostPortList,
    undefined,
    'a Redis Cluster instead of REDIS_URL: some of its nodes (host:port list), from which the rest is discovered',
  ),
  ENABLE_CACHING: spec(boolean, true, 'false answers every cacheable route uncached'),
  CACHE_DEFAULT_TTL: spec(integer(1, 30 * DAY), 300, 'seconds; lists and anything without its own TTL'),
  CACHE_VIDEO_TTL: spec(integer(1, 30 * DAY), 300, 'seconds; GET /videos/{id}'),
  CACHE_TRANSCRIPT_TTL: spec(integer(1, 30 * DAY), 3600, 'seconds; transcripts and their exports'),
  CACHE_SEARCH_TTL: spec(integer(1, 30 * DAY), 600, 'seconds; GET /search'),
  CACHE_SESSION_TTL: spec(integer(1, 30 * DAY), 3600, 'seconds; session lookups'),
  L1_MAX_BYTES: spec(integer(0, 2 ** 40), 128 * 1024 * 1024, 'memory for the in-process cache (L1): 7/8 for responses, 1/8 for the fast path\'s URLs'),
  L1_MAX_ENTRY_BYTES: spec(integer(0, 2 ** 40), 4 * 1024 * 1024, 'larger responses are served but not kept in L1'),
  CACHE_L2_TIMEOUT_MS: spec(integer(1, 10_000), 50, 'ms; a slower Redis call counts as a miss and feeds the circuit breaker'),
  CACHE_GRACE: spec(integer(0, 30 * DAY), 300, 'seconds an expired entry may still be served: at once while one refresh runs, or when the database fails'),
  CACHE_NEGATIVE_TTL: spec(integer(0, DAY), 30, 'seconds a 404 is cached (dropped at once when the thing is created)'),
  CACHE_DISTRIBUTED_LOCK: spec(boolean, false, 'true: a short Redis lock makes it one loader per key across instances'),
  CACHE_PREFIX: spec<string | undefined>(
    text,
    undefined,
    'Redis key prefix of the deployment (values, locks, versions, bus channels); unset: derived from the database (its name and the id stored in it) and the Redis database number',
  ),
  CACHE_BUS_DOWN_MAX_AGE: spec(
    integer(1, 3600),
    5,
    'seconds; while this instance cannot hear the invalidation bus, cached values (identities included) older than this are reloaded',
  ),
  CACHE_VERSIONS_TTL: spec(integer(60, 365 * DAY), 30 * DAY, 'seconds the versions hash in Redis outlives the last write (then the next write starts a new epoch)'),
  ENABLE_METRICS: spec(boolean, true, 'false turns /metrics off'),
  METRICS_TOKEN: spec<string | undefined>(secret(MIN_SECRET_LENGTH), undefined, 'when set, /metrics requires `Authorization: Bearer <token>`'),
  DB_SLOW_QUERY_MS: spec(integer(1, 600_000), 100, 'queries slower than this are logged and counted in db_slow_queries_total'),
  LOG_LEVEL: spec(oneOf(LOG_LEVELS), 'info' as LogLevel, 'debug, info, warn or error'),
  SEED_DEMO: spec(boolean, true, 'seed ~200 demo videos into an empty embedded database'),
  ADMIN_TOKEN: spec<string | undefined>(
    secret(MIN_SECRET_LENGTH),
    undefined,
    'bootstrap admin credential (`Authorization: Bearer <token>`): the write routes (PUT transcript, PATCH video) need it, and it acts as an admin everywhere else; unset disables the write routes',
  ),
  PUBLIC_BASE_URL: spec(
    url(['http:', 'https:']),
    'http://localhost:8000',
    'URL users reach the server at: OAuth redirect URIs are built on it; https makes the session cookie Secure',
  ),
  SESSION_SECRET: spec<string | undefined>(
    secret(MIN_SECRET_LENGTH),
    undefined,
    'key that signs the short-lived OAuth state cookie; required when a sign-in provider is configured',
  ),
  OIDC_ISSUER_URL: spec<string | undefined>(url(['http:', 'https:']), undefined, 'generic OpenID Connect provider (`oidc`): its issuer URL'),
  OIDC_CLIENT_ID: spec<string | undefined>(text, undefined, 'generic OpenID Connect provider: client id'),
  OIDC_CLIENT_SECRET: spec<string | undefined>(issuedSecret, undefined, 'generic OpenID Connect provider: client secret'),
  GOOGLE_CLIENT_ID: spec<string | undefined>(text, undefined, 'Google sign-in (`google`): OAuth client id'),
  GOOGLE_CLIENT_SECRET: spec<string | undefined>(issuedSecret, undefined, 'Google sign-in: OAuth client secret'),
  TWITCH_CLIENT_ID: spec<string | undefined>(text, undefined, 'Twitch sign-in (`twitch`): client id'),
  TWITCH_CLIENT_SECRET: spec<string | undefined>(issuedSecret, undefined, 'Twitch sign-in: client secret'),
  FREE_DAILY_EXPORT_LIMIT: spec(integer(0, 1_000_000), 2, 'transcript exports (.srt/.vtt) a free-plan user may download per UTC day; pro and admins are exempt'),
  FREE_DAILY_JOB_LIMIT: spec(integer(0, 1_000_000), 10, 'new transcription jobs a free-plan user may create per UTC day (POST /jobs); pro and admins are exempt'),
  ALLOW_ANONYMOUS_JOBS: spec(boolean, false, 'true lets POST /jobs go without credentials (closed networks only: each job runs the transcriber)'),
  EVENTS_DAILY_BYTES: spec(integer(0, 2 ** 40), 8 * 1024 * 1024, 'bytes of event payload (as JSON) a user may store per UTC day through /events and /events/batch; 0: no budget'),
  TRUST_PROXY: spec<readonly string[] | undefined>(
    proxyList,
    undefined,
    'reverse proxies (IPs/CIDRs) whose X-Forwarded-For names the client; unset: the socket address is the client and X-Forwarded-For is ignored',
  ),
  CORS_ORIGINS: spec<readonly string[] | undefined>(
    originList,
    undefined,
    'browser origins allowed to call the API cross-origin (comma list of scheme://host[:port], `*` for any, without credentials); unset: no CORS headers',
  ),
  RATE_LIMIT_PUBLIC_READ: spec(rate, new Rate(1200, 10), 'points/seconds (0: off): cached public GETs per client IP, counted in memory by each instance'),
  RATE_LIMIT_READ: spec(rate, new Rate(600, 60), 'other GETs per client (credential or IP), fleet-wide'),
  RATE_LIMIT_SEARCH: spec(rate, new Rate(120, 60), 'GET /search per client, fleet-wide'),
  RATE_LIMIT_EXPORT: spec(rate, new Rate(60, 60), 'transcript exports (.srt/.vtt) per client, fleet-wide'),
  RATE_LIMIT_WRITE: spec(rate, new Rate(120, 60), 'POST/PUT/PATCH/DELETE (other than jobs and events) per client, fleet-wide'),
  RATE_LIMIT_AUTH_FAILURE: spec(rate, new Rate(20, 300), 'requests with rejected credentials (401) per client IP; past it, credentials from that IP get 429 before any lookup'),
  RATE_LIMIT_JOB: spec(rate, new Rate(30, 600), 'POST /jobs per client, fleet-wide'),
  RATE_LIMIT_EVENT: spec(rate, new Rate(300, 60), 'POST /events and /events/batch per client, fleet-wide'),
  TRANSCRIBE_CMD: spec<string | undefined>(
    text,
    undefined,
    'worker: command run with the video URL as its last argument; prints segments',
  ),
  WORKER_MAX_ATTEMPTS: spec(integer(1, 100), 3, 'worker: attempts before a job is failed for good'),
  WORKER_STUCK_AFTER: spec(integer(5, 7 * DAY), 900, 'worker: seconds after which a claimed job is re-queued'),
  WORKER_RETRY_BASE: spec(
    integer(0, DAY),
    30,
    'worker: seconds a job waits before its retry after a first failed attempt, doubling with each further one (jittered: half to all of it); 0 retries at once',
  ),
  WORKER_RETRY_MAX: spec(integer(0, 7 * DAY), 3600, 'worker: the longest wait before a retry, in seconds'),
} as const

type Specs = typeof CONFIG_SPECS

function isSecret(variable: string): boolean {
  return (CONFIG_SPECS as Record<string, Spec<unknown> | undefined>)[variable]?.parser.secret === true
}

/** The password of a URL, as written and decoded. */
function urlPassword(url: string): string[] {
  try {
    const { password } = new URL(url)
    if (!password) return []
    try {
      return [password, decodeURIComponent(password)]
    } catch {
      return [password] // a malformed %-escape
    }
  } catch {
    return [] // not a URL after all
  }
}

/** Every secret value in `config` (flagged variables, URL passwords), for the log's redactor. */
export function secretValues(config: Config): string[] {
  const values: string[] = []
  for (const [name, value] of Object.entries(config)) {
    // Lists (DATABASE_REPLICA_URLS) item by item.
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item !== 'string') continue
      if (isSecret(name)) values.push(item)
      else if (item.includes('://')) values.push(...urlPassword(item))
    }
  }
  return values
}
export type Config = { -readonly [K in keyof Specs]: Specs[K] extends Spec<infer T> ? T : never }

/** Reads the given environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(CONFIG_SPECS) as [string, Spec<unknown>][]) {
    const raw = env[name]
    if (raw === undefined || raw === '') {
      out[name] = s.default
      continue
    }
    const value = s.parser.parse(raw)
    if (value === undefined) throw new ConfigError(name, s.parser.accepts, raw)
    out[name] = value
  }
  const config = out as Config
  checkRedis(config, env)
  if (config.DATABASE_REPLICA_URLS && !config.DATABASE_URL) {
    throw new ConfigError('DATABASE_REPLICA_URLS', 'unset unless DATABASE_URL is set (the embedded database has no replicas)', env.DATABASE_REPLICA_URLS ?? '')
  }
  checkSignIn(config, env)
  return config
}

/** At most one way to reach Redis; a cluster's prefix must make a valid hash tag (src/cache/keys.ts). */
function checkRedis(config: Config, env: Record<string, string | undefined>): void {
  const given = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((n) => config[n] !== undefined)
  const [first, second] = given
  if (first && second) throw new ConfigError(second, `unset when ${first} is set (REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other)`, env[second] ?? '')
  if (config.REDIS_CLUSTER_NODES && config.CACHE_PREFIX !== undefined && /[{}]/.test(config.CACHE_PREFIX)) {
    throw new ConfigError('CACHE_PREFIX', 'free of { and } with REDIS_CLUSTER_NODES (the prefix becomes a hash tag)', config.CACHE_PREFIX)
  }
}

/** Sign-in providers come as complete sets, and any of them needs SESSION_SECRET. */
function checkSignIn(config: Config, env: Record<string, string | undefined>): void {
  const sets = [
    ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'],
    ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
    ['TWITCH_CLIENT_ID', 'TWITCH_CLIENT_SECRET'],
  ] as const
  let anyProvider = false
  for (const names of sets) {
    const given = names.filter((n) => config[n] !== undefined)
    if (given.length === 0) continue
    const missing = names.find((n) => config[n] === undefined)
    if (missing) throw new ConfigError(missing, `set together with ${given.join(' and ')}`, env[missing] ?? '')
    anyProvider = true
  }
  const issuer = config.OIDC_ISSUER_URL ? new URL(config.OIDC_ISSUER_URL) : undefined
  // Plain http only for a provider on this machine (a local test provider); tokens must not cross a network in clear.
  if (issuer?.protocol === 'http:' && !/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(issuer.hostname)) {
    throw new ConfigError('OIDC_ISSUER_URL', 'an https URL (http only for a loopback issuer)', config.OIDC_ISSUER_URL ?? '')
  }
  if (anyProvider && config.SESSION_SECRET === undefined) {
    throw new ConfigError('SESSION_SECRET', `set (${MIN_SECRET_LENGTH}+ characters) when a sign-in provider is configured`, '')
  }
}

/** Lines for `--help`: name, default, what it does. */
export function describeConfig(): string[] {
  return Object.entries(CONFIG_SPECS).map(([name, s]) => {
    const d = s.default === undefined ? 'unset' : String(s.default)
    return `  ${name.padEnd(24)} ${s.doc} [default: ${d}]`
  })
}
