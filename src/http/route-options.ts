import { Elysia } from 'elysia'
import type { CachePolicy, CachePolicyTable } from './cache-policy.ts'
import { CachedGet } from './cached-get.ts'

// Route options every module may use, declared next to its routes:
//   `cachePolicy`: the Cache-Control policy of a GET route that is not a public cached read;
//   `cached`: the declaration of a public cached GET (src/http/cached-get.ts), policy included.
// They do nothing per request: the app reads them off the built router once (declaredRoutes), so
// the policy table and the fast path's routes come from the routes themselves, never a list kept
// beside them.

export const routeOptions = () =>
  new Elysia({ name: 'route-options' }).macro({
    cachePolicy: (_policy: CachePolicy) => ({}),
    cached: (_route: CachedGet) => ({}),
  })

export interface DeclaredRoutes {
  policies: CachePolicyTable
  cached: readonly CachedGet[]
}

interface RouteLike {
  method: string
  path: string
  hooks: { cachePolicy?: unknown; cached?: unknown }
}

function isCachePolicy(value: unknown): value is CachePolicy {
  return typeof value === 'object' && value !== null && 'cacheControl' in value && typeof value.cacheControl === 'string'
}

/** The policies and cached reads the GET routes of a built router declare. */
export function declaredRoutes(routes: readonly RouteLike[]): DeclaredRoutes {
  const policies = new Map<string, CachePolicy>()
  const cached: CachedGet[] = []
  for (const route of routes) {
    if (route.method !== 'GET') continue
    const { cachePolicy, cached: read } = route.hooks
    if (read instanceof CachedGet) {
      if (read.template !== route.path) throw new Error(`route ${route.path} carries the cached read of ${read.template}`)
      policies.set(route.path, read.policy)
      cached.push(read)
    } else if (isCachePolicy(cachePolicy)) {
      policies.set(route.path, cachePolicy)
    }
  }
  return { policies, cached }
}
