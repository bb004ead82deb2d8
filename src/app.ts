import { Elysia } from 'elysia'
import { l1Budget } from './cache/create.ts'
import type { TieredCache } from './cache/tiered-cache.ts'
import type { Config } from './config.ts'
import type { CachePolicy, CachePolicyTable } from './http/cache-policy.ts'
import { CursorCodec } from './http/cursor-codec.ts'
import { delivery, resultStatus } from './http/delivery.ts'
import { bearerChallenge, httpErrorOf, jsonError } from './http/errors.ts'
import { Edge, type Exchange } from './http/edge.ts'
import { preflightRoute } from './http/preflight.ts'
import { FastPath } from './http/fast-path.ts'
import { IdentityBodies } from './http/identity-bodies.ts'
import type { DocumentedRoute } from './http/openapi-document.ts'
import { ClientIp, UNKNOWN_CLIENT, type SocketAddressSource } from './http/client-ip.ts'
import { DailyBudget } from './http/daily-budget.ts'
import { refusalResponse, RateLimits } from './http/rate-limit.ts'
import { presentedToken, rateLimitHooks } from './http/rate-limit-hooks.ts'
import { requestHooks, requestRecorder, UNMATCHED_ROUTE } from './http/request-recorder.ts'
import { validationFailure } from './http/validate.ts'
import { routableRequest } from './http/request-target.ts'
import { declaredRoutes } from './http/route-options.ts'
import type { Sql } from './platform/db.ts'
import { registerCacheMetrics } from './cache/cache-metrics.ts'
import { primaryReads, type ReplicaReads } from './cache/replica-reads.ts'
import { registerReplicaMetrics } from './cache/replica-metrics.ts'
import type { DatabaseBreaker } from './platform/db-breaker.ts'
import { createQueryTimer, type Timed } from './platform/db-metrics.ts'
import { DatabaseUnavailableError, isDatabaseUnavailable } from './platform/db-errors.ts'
import { errorFields, type Logger } from './platform/log.ts'
import { requestScope } from './platform/request-scope.ts'
import type { RedisClient } from './platform/redis.ts'
import { adminCacheRoutes } from './modules/admin/cache.ts'
import { adminRoutes } from './modules/admin/index.ts'
import { createAdminService } from './modules/admin/service.ts'
import { Auth } from './modules/auth/identity.ts'
import { createAccountService } from './modules/auth/account-service.ts'
import { authRoutes } from './modules/auth/index.ts'
import { docsRoutes } from './modules/docs/index.ts'
import { EventBatcher } from './modules/events/batcher.ts'
import { createExportGate } from './modules/events/export-quota.ts'
import { eventRoutes } from './modules/events/index.ts'
import { createEventService } from './modules/events/service.ts'
import { createSearchRecorder } from './modules/events/search-usage.ts'
import { createUsageReader } from './modules/events/usage.ts'
import { favoriteRoutes } from './modules/favorites/index.ts'
import { createFavoriteService } from './modules/favorites/service.ts'
import { healthRoutes } from './modules/health/index.ts'
import { jobLimit, jobsRoutes } from './modules/jobs/index.ts'
import { createJobService } from './modules/jobs/service.ts'
import { metricsRoutes } from './modules/metrics/index.ts'
import { searchRoutes } from './modules/search/index.ts'
import { createSearchService } from './modules/search/service.ts'
import { transcriptRoutes } from './modules/transcripts/index.ts'
import { createTranscriptService } from './modules/transcripts/service.ts'
import { videoRoutes } from './modules/videos/index.ts'
import { createVideoService } from './modules/videos/service.ts'
import { registerJobQueueMetrics } from './modules/jobs/queue-metrics.ts'
import { createMetrics, type Metrics } from './platform/metrics.ts'

export interface AppDeps {
  config: Config
  sql: Sql
  redis: RedisClient | undefined
  cache: TieredCache
  log: Logger
  /** Signs pagination cursors; serve reads it from the database (readCursorSecret). */
  cursorSecret: string
  /** Usage events written off the request path; serve passes its own to flush it at shutdown. */
  events?: EventBatcher
  /** What this app counts into; its own unless serve passes the one its database breaker uses. */
  metrics?: Metrics
  /** How services run queries; by default timed into `metrics`, through `breaker`. */
  timed?: Timed
  /** The database's circuit breaker (external PostgreSQL only), for timed queries and /ready. */
  breaker?: DatabaseBreaker
  /** Read replicas for cache fills (DATABASE_REPLICA_URLS); without them every fill queries `sql`. */
  replicaReads?: ReplicaReads
}

export function createApp(deps: AppDeps) {
  const metricsOn = deps.config.ENABLE_METRICS
  const metrics = deps.metrics ?? createMetrics()
  const timed = deps.timed ?? createQueryTimer({ metrics, log: deps.log, slowQueryMs: deps.config.DB_SLOW_QUERY_MS, poolMax: deps.config.DB_POOL_MAX, breaker: deps.breaker })
  registerCacheMetrics(metrics.registry, deps.cache)
  if (deps.replicaReads) registerReplicaMetrics(metrics.registry, deps.replicaReads)
  registerJobQueueMetrics(metrics.registry, deps.sql)
  const record = requestRecorder(deps.log, metricsOn ? metrics : undefined)
  // Filled from the routes' own declarations once they are all added (below).
  const policies = new Map<string, CachePolicy>()
  const declaredPolicies: CachePolicyTable = policies
  const bodies = new IdentityBodies()
  // Rate limits (src/http/rate-limit.ts): app.fetch resolves each request's client address once.
  const limitDeps = { config: deps.config, redis: deps.redis, prefix: deps.cache.prefix }
  const limits = new RateLimits(limitDeps)
  const eventBytes = new DailyBudget(limitDeps, 'event_bytes', deps.config.EVENTS_DAILY_BYTES)
  const clientIp = new ClientIp(deps.config.TRUST_PROXY)
  // Security and CORS headers and request ids (src/http/edge.ts): app.fetch makes each request's
  // exchange once; the router's hooks and the delivery layer read it back.
  const edge = new Edge(deps.config)
  const exchanges = new WeakMap<Request, Exchange>()
  const exchangeOf = (request: Request): Exchange => {
    let exchange = exchanges.get(request)
    // A request handed to the router directly (app.handle, as some tests do) has no socket.
    if (!exchange) exchanges.set(request, (exchange = edge.exchange(request, UNKNOWN_CLIENT)))
    return exchange
  }
  const publicReads = new Set<string>()
  // Accounts: one identity resolver for every route that needs the caller (src/modules/auth/identity.ts).
  const auth = new Auth({ ...deps, timed })
  const events = deps.events ?? new EventBatcher(deps.sql, deps.log, timed)
  const cursors = new CursorCodec(deps.cursorSecret)
  const services = { sql: deps.sql, cache: deps.cache, reads: deps.replicaReads ?? primaryReads(deps.sql), config: deps.config, timed }
  const usageEvents = createEventService(services)
  const jobs = createJobService({ ...services, cursors, metrics })
  // What the modules' routes are built from: the app's dependencies and the services made of them.
  const modules = {
    ...deps,
    cursors,
    videos: createVideoService({ ...services, cursors }),
    transcripts: createTranscriptService(services),
    search: createSearchService(services),
    jobs,
    favorites: createFavoriteService({ ...services, cursors }),
    usageEvents,
    accounts: createAccountService({ ...services, cursors }),
    admin: createAdminService({ ...services, cursors, usageEvents }),
    countSearch: () => metrics.searchQueriesTotal.inc(),
    usageOf: createUsageReader({ ...services, jobsOf: (caller) => jobs.usageToday(caller.account?.id, jobLimit(deps.config, caller)) }),
    auth,
    events,
    exportGate: createExportGate({ ...deps, auth, batcher: events, timed }),
    onSearch: createSearchRecorder({ auth, events }),
    eventBudget: async (userId: string, bytes: number) => {
      const refused = await eventBytes.spend(userId, bytes)
      return refused && refusalResponse(refused, `this account's events today reached the daily budget of ${deps.config.EVENTS_DAILY_BYTES} bytes (EVENTS_DAILY_BYTES)`)
    },
  }
  // Elysia reads the path from the first `/` after index 11 of the URL unless told the host may be
  // short: with `Host: ab`, `/xyz/metrics` was routed as `/metrics` (src/http/request-target.ts).
  const app = new Elysia({ precompile: true, handler: { standardHostname: false } })
    .use(requestHooks(record, metricsOn ? metrics : undefined, resultStatus, exchangeOf))
    .use(rateLimitHooks({ limits, publicReads, clientOf: (request) => exchanges.get(request)?.ip }))
    .onError(({ code, error, set, request, route }) => {
      let status = 500
      let errCode = 'internal_error'
      let message = 'internal server error'
      // Elysia wraps errors thrown in a parse hook (e.g. a 413 while reading the body) in its own.
      // Services throw domain errors; httpErrorOf gives each its status (the one mapping there is).
      const cause = error instanceof Error ? error.cause : undefined
      const httpError = httpErrorOf(error) ?? httpErrorOf(cause) ?? (code === 'VALIDATION' ? validationFailure(error.all) : undefined)
      if (httpError) {
        ;[status, errCode, message] = [httpError.status, httpError.code, httpError.message]
      } else if (code === 'NOT_FOUND') {
        ;[status, errCode, message] = [404, 'not_found', `no route for ${request.method} ${new URL(request.url).pathname}`]
      } else if (code === 'PARSE') {
        ;[status, errCode, message] = [400, 'invalid_json', 'the request body could not be parsed']
      } else if (code === 'INVALID_COOKIE_SIGNATURE') {
        ;[status, errCode, message] = [400, 'invalid_cookie', 'a signed cookie was tampered with']
      } else if (isDatabaseUnavailable(error)) {
        ;[status, errCode, message] = [503, 'database_unavailable', 'the database is unavailable; retry shortly']
        // A refusal by the open breaker is one of many during an outage, which the breaker logged once.
        if (!(error instanceof DatabaseUnavailableError)) {
          deps.log.warn('database unavailable', { method: request.method, route: route ?? UNMATCHED_ROUTE, ...errorFields(error) })
        }
      } else {
        deps.log.error('unhandled error', { method: request.method, route: route ?? UNMATCHED_ROUTE, ...errorFields(error) })
      }
      set.status = status
      const headers: Record<string, string> | undefined = status === 503 ? { 'retry-after': '1' } : status === 401 ? { 'www-authenticate': bearerChallenge(presentedToken(request.headers) !== undefined) } : undefined
      // Finished here too: a 404 of no route never reaches the delivery layer.
      return edge.finish(jsonError(status, errCode, message, headers), exchangeOf(request))
    })
    .use(delivery(policies, bodies, exchangeOf))
    .use(edge.corsEnabled ? preflightRoute(exchangeOf) : new Elysia({ name: 'cors-off' }))
    .use(docsRoutes(deps.config, (): readonly DocumentedRoute[] => app.routes))
    .use(healthRoutes(deps))
    .use(jobsRoutes(modules))
    .use(searchRoutes(modules))
    .use(videoRoutes(modules))
    .use(transcriptRoutes(modules))
    .use(authRoutes(modules))
    .use(favoriteRoutes(modules))
    .use(eventRoutes(modules))
    .use(adminRoutes(modules))
    .use(adminCacheRoutes(modules))
    .use(metricsOn ? metricsRoutes({ config: deps.config, registry: metrics.registry }) : new Elysia({ name: 'metrics-off' }))
  const declared = declaredRoutes(app.routes)
  for (const [template, policy] of declared.policies) policies.set(template, policy)
  for (const route of declared.cached) publicReads.add(route.template)
  const fast = new FastPath(deps.cache, deps.config.ENABLE_CACHING ? declared.cached : [], record, {
    maxMemoBytes: l1Budget(deps.config.L1_MAX_BYTES).fastPath,
    bodies,
    limit: (exchange) => {
      const refused = limits.hitPublicRead(exchange.ip)
      return refused && edge.finish(refusalResponse(refused), exchange)
    },
  })
  return {
    /** The router: every route, hook and schema. */
    app,
    /** What this app counts: its own registry, never shared with another app in the process. */
    metrics,
    /** Answers fresh L1 hits of the public cached GETs before the router (fetch uses it). */
    fastPath: fast,
    /** The route templates' Cache-Control policies, as the routes declared them. */
    policies: declaredPolicies,
    /** The client address of a request the router is answering (TRUST_PROXY applied), for log lines. */
    clientOf: (request: Request): string | undefined => exchanges.get(request)?.ip,
    /** The edge headers, for answers made outside the app (the server's last-resort error handler). */
    edge,
    /**
     * What Bun.serve calls: a Host check, the fast path, then the router, inside the request's
     * scope so every line logged while serving it names it. `server` gives the socket address.
     */
    fetch: (request: Request, server?: SocketAddressSource): Response | Promise<Response> => {
      const exchange = edge.exchange(request, clientIp.of(request, server ?? app.server))
      const routable = routableRequest(request)
      if (!routable) {
        record(request.method, UNMATCHED_ROUTE, 400, 0, exchange)
        return edge.finish(jsonError(400, 'invalid_host', 'the Host header is not a valid host[:port]'), exchange)
      }
      const fastAnswer = fast.serve(routable, exchange)
      if (fastAnswer) return fastAnswer
      exchanges.set(routable, exchange)
      return requestScope.run(exchange, () => app.fetch(routable))
    },
  }
}
