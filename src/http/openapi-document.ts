import type { DocumentDecoration } from 'elysia'
import type { OpenAPIV3 } from 'openapi-types'
import { errorResponse, SCHEMES, withResponseHeaders } from './openapi-operation.ts'
import { UNLIMITED_ROUTES } from './rate-limit-hooks.ts'

// The OpenAPI 3.1 document, built from the routes as declared (each route's `detail` is its whole
// operation: src/http/openapi-operation.ts). Titled schemas become named components referred to
// by `$ref`, so a shape used by several operations is written once and has a name in generated
// clients; only the security schemes some operation uses are listed.

export interface DocumentedRoute {
  method: string
  path: string
  hooks: { detail?: DocumentDecoration }
}

export interface DocumentInfo {
  title: string
  version: string
  description: string
  /** Where the API lives, relative to the page's own origin (e.g. `/`): see serverUrl. */
  serverUrl: string
  /** A sentence per tag the operations use. */
  tags: Record<string, string>
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch'])

const SECURITY_SCHEMES: Record<string, Record<string, string>> = {
  [SCHEMES.bearer]: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`ta_…`, from POST /auth/api-keys or `transcript-api users create`) or a session token, as `Authorization: Bearer <token>`.',
  },
  [SCHEMES.header]: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (`ta_…`) in the X-API-Key header.' },
  [SCHEMES.cookie]: {
    type: 'apiKey',
    in: 'cookie',
    name: 'session',
    description: 'The session cookie set by GET /auth/callback/{provider} after signing in (browsers send it themselves).',
  },
  [SCHEMES.admin]: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN of the deployment, as `Authorization: Bearer <token>`: an admin without an account.' },
  [SCHEMES.metrics]: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN, when the deployment sets one.' },
}

/**
 * The 429 every rate-limited operation may answer (src/http/rate-limit.ts), added here to each of
 * them: the limits apply to every route but the operator endpoints, so no route declares it.
 */
const RATE_LIMITED: OpenAPIV3.ResponseObject = withResponseHeaders('429', {
  description:
    '`rate_limited`: a rate limit of the route\'s class (README, "Rate limits"), the auth-failure limit of the client address, or a daily budget (events) is used up. ' +
    'Retry after `Retry-After` seconds.',
  headers: {
    'Retry-After': { description: 'seconds until the request may be retried', schema: { type: 'integer', minimum: 1 } },
    'RateLimit-Policy': {
      description: 'the policy that refused the request (draft-ietf-httpapi-ratelimit-headers): its name, quota `q` and window `w` in seconds, e.g. `"search";q=120;w=60`',
      schema: { type: 'string' },
    },
    RateLimit: { description: 'what is left of that policy: remaining `r` (0) and seconds `t` until it resets, e.g. `"search";r=0;t=42`', schema: { type: 'string' } },
  },
  content: errorResponse(429, ['rate_limited']).content,
})

/**
 * The server as a path relative to the page's origin: an absolute URL (PUBLIC_BASE_URL) would send
 * Swagger UI's "Try it out" to that host even when the page was opened through another (a tunnel,
 * 127.0.0.1), where the browser refuses it ("Failed to fetch").
 */
export const serverUrl = (publicBaseUrl: string) => new URL(publicBaseUrl).pathname.replace(/(.)\/+$/, '$1')

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `value` with every titled schema moved into `components` and replaced by a $ref to it. */
function hoist(value: unknown, components: Map<string, { json: string; schema: unknown }>): unknown {
  if (Array.isArray(value)) return value.map((v) => hoist(v, components))
  if (!isRecord(value)) return value
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'example' || k === 'examples' ? v : hoist(v, components)]))
  const name = value.title
  if (typeof name !== 'string') return out
  const json = JSON.stringify(out)
  const known = components.get(name)
  if (known && known.json !== json) throw new Error(`two different schemas are titled ${name}: give one another title`)
  components.set(name, { json, schema: out })
  return { $ref: `#/components/schemas/${encodeURIComponent(name)}` }
}

export function openApiDocument(routes: readonly DocumentedRoute[], info: DocumentInfo) {
  const paths: Record<string, Record<string, unknown>> = {}
  const tags = new Set<string>()
  const schemes = new Set<string>()
  for (const route of routes) {
    const method = route.method.toLowerCase()
    const detail = route.hooks.detail
    if (!METHODS.has(method) || !detail || detail.hide) continue
    const path = route.path.replace(/:(\w+)/g, '{$1}')
    for (const tag of detail.tags ?? []) tags.add(tag)
    for (const requirement of detail.security ?? []) for (const name of Object.keys(requirement)) schemes.add(name)
    const { hide: _hide, ...op } = detail
    const limited = !UNLIMITED_ROUTES.has(route.path)
    if (limited) op.responses = { ...op.responses, 429: RATE_LIMITED }
    paths[path] = { ...paths[path], [method]: { operationId: operationId(method, path), ...op } }
  }
  const components = new Map<string, { json: string; schema: unknown }>()
  const hoisted = hoist(paths, components)
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.serverUrl, description: 'this server' }],
    tags: [...tags].sort().map((name) => ({ name, ...(info.tags[name] ? { description: info.tags[name] } : {}) })),
    paths: hoisted,
    components: {
      schemas: Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => [name, c.schema])),
      securitySchemes: Object.fromEntries([...schemes].sort().map((name) => [name, SECURITY_SCHEMES[name] ?? {}])),
    },
  }
}

/** `get /videos/{id}/transcript.srt` → `getVideosIdTranscriptSrt`: stable names for generated clients. */
function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return method + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('')
}
