import type { DeploymentIdentity } from '../platform/deployment.ts'

// The Redis key prefix of a deployment: every value, lock, version and bus channel lives under it.
// CACHE_PREFIX sets it; by default it is derived from what the deployment serves, so that two
// deployments on one Redis server never meet (pub/sub ignores database numbers) while every
// instance of one deployment agrees: `transcript-api:<database name>:<first 12 hex digits of the
// database's deployment id>:db<Redis database number>`, e.g. `transcript-api:transcripts:3f2a…:db0`.

/** The database number a Redis URL selects (`redis://host:6379/2` → 2), 0 by default. */
export function redisDatabaseNumber(url: string | undefined): number {
  if (!url) return 0
  const n = Number(new URL(url).pathname.slice(1) || '0')
  return Number.isInteger(n) && n >= 0 ? n : 0
}

export function defaultCachePrefix(identity: DeploymentIdentity, redisUrl: string | undefined): string {
  const name = identity.databaseName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)
  const id = identity.id.replaceAll('-', '').slice(0, 12)
  return `transcript-api:${name}:${id}:db${redisDatabaseNumber(redisUrl)}`
}

export function resolveCachePrefix(config: { CACHE_PREFIX: string | undefined; REDIS_URL: string | undefined }, identity: DeploymentIdentity): string {
  return config.CACHE_PREFIX ?? defaultCachePrefix(identity, config.REDIS_URL)
}
