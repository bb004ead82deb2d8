import { createCache } from '../cache/create.ts'
import { resolveCachePrefix } from '../cache/prefix.ts'
import { afterAccountChanged, afterCredentialsChanged } from '../cache/scopes.ts'
import type { Config } from '../config.ts'
import { listUsersQuery, toAdminUser } from '../modules/admin/queries.ts'
import { PLANS, ROLES, scopesOfRole, type Account, type Plan, type Role } from '../http/caller.ts'
import { createAccount, createApiKey, findAccountsByEmail, revokeApiKeysOf, setRole } from '../modules/auth/service.ts'
import { openDatabase } from '../platform/database.ts'
import type { Sql } from '../platform/db.ts'
import { readDeploymentIdentity } from '../platform/deployment.ts'
import type { Logger } from '../platform/log.ts'
import { migrateDatabase } from '../platform/migrate-database.ts'
import { closeRedis, createRedis, redisTopology } from '../platform/redis.ts'
import { integerOption, parseOptions, UsageError } from './usage.ts'

// `transcript-api users create|key|list|revoke-keys|set-role`: accounts without a browser. `create`
// makes a user and prints an API key for it, so a fresh VM gets its first admin from the shell.

const REDIS_WAIT_MS = 3000
/** How long a revocation keeps trying to reach Redis before the command gives up on telling the servers. */
const ANNOUNCE_WAIT_MS = 5000

function oneOf<T extends string>(command: string, flag: string, raw: string | undefined, values: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback
  const v = values.find((x) => x === raw)
  if (!v) throw new UsageError(`${command}: --${flag} must be one of ${values.join(', ')} (got ${JSON.stringify(raw)})`)
  return v
}

function requireEmail(command: string, raw: string | undefined): string {
  const email = raw?.trim()
  if (!email) throw new UsageError(`${command}: --email is required`)
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) throw new UsageError(`${command}: --email must be an email address (got ${JSON.stringify(raw)})`)
  return email
}

async function printNewKey(sql: Sql, account: Account, name: string): Promise<void> {
  const { key, view } = await createApiKey(sql, account.id, { name, scopes: scopesOfRole(account.role), expiresAt: null })
  console.log(`API key ${view.key_prefix}… (scopes ${view.scopes.join(', ')}); shown once, send it as \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`:`)
  // Last line, alone: `KEY=$(transcript-api users create … | tail -n 1)`.
  console.log(key)
}

/** Tells running servers (through the Redis bus) to drop what they cached of these scopes: `what` changed. */
async function announce(config: Config, log: Logger, sql: Sql, scopes: string[], what: string): Promise<void> {
  if (scopes.length === 0) return
  const topology = redisTopology(config)
  if (!topology) {
    log.warn(`no Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): a running server sees ${what} only when its cached lookups expire (CACHE_SESSION_TTL)`)
    return
  }
  const redis = createRedis(topology, log)
  const deadline = Date.now() + REDIS_WAIT_MS
  while (!redis.isReady && Date.now() < deadline) await Bun.sleep(20)
  const cache = createCache(config, redis, log, resolveCachePrefix(config, await readDeploymentIdentity(sql)))
  try {
    await cache.start()
    await cache.invalidate(scopes)
    if (!(await cache.settle(ANNOUNCE_WAIT_MS))) {
      log.warn(
        `Redis is not reachable: running servers that cannot reach it either see ${what} after CACHE_BUS_DOWN_MAX_AGE (${config.CACHE_BUS_DOWN_MAX_AGE} s); any that can see it only when their cached lookups expire (CACHE_SESSION_TTL)`,
      )
    }
  } finally {
    await cache.close()
    await closeRedis(redis)
  }
}

export async function usersCommand(args: string[], config: Config, log: Logger): Promise<void> {
  const [sub, ...rest] = args
  const run = async (body: (sql: Sql) => Promise<void>) => {
    const db = await openDatabase(config, log, 'transcript-api users')
    try {
      // A fresh VM may run this before the server ever started: bring the schema up to date first.
      await migrateDatabase(db, config, log)
      await body(db.sql)
    } finally {
      await db.close()
    }
  }

  switch (sub) {
    case 'create': {
      const o = parseOptions('users create', rest, { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, plan: { type: 'string' } })
      const email = requireEmail('users create', o.email)
      const role: Role = oneOf('users create', 'role', o.role, ROLES, 'user')
      const plan: Plan = oneOf('users create', 'plan', o.plan, PLANS, 'free')
      return run(async (sql) => {
        if ((await findAccountsByEmail(sql, email)).length > 0) {
          throw new UsageError(`users create: a user with email ${email} exists; \`transcript-api users key --email ${email}\` prints a new key for it`)
        }
        const account = await createAccount(sql, { email, name: o.name ?? null, role, plan })
        console.log(`created user ${account.id} ${account.email} (role ${account.role}, plan ${account.plan})`)
        await printNewKey(sql, account, 'created by `transcript-api users create`')
      })
    }
    case 'key': {
      const o = parseOptions('users key', rest, { email: { type: 'string' }, name: { type: 'string' } })
      const email = requireEmail('users key', o.email)
      return run(async (sql) => {
        const found = await findAccountsByEmail(sql, email)
        if (found.length !== 1) throw new UsageError(`users key: ${found.length === 0 ? 'no user' : `${found.length} users`} with email ${email}`)
        const [account] = found as [Account]
        console.log(`user ${account.id} ${account.email} (role ${account.role}, plan ${account.plan})`)
        await printNewKey(sql, account, o.name ?? 'created by `transcript-api users key`')
      })
    }
    case 'list': {
      const o = parseOptions('users list', rest, { email: { type: 'string' }, limit: { type: 'string' } })
      const limit = integerOption('users list', 'limit', o.limit, 1, 10_000, 100)
      return run(async (sql) => {
        const rows = await listUsersQuery(sql, { email: o.email, limit, after: undefined })
        const users = rows.slice(0, limit).map(toAdminUser)
        console.log(['id'.padEnd(36), 'email'.padEnd(32), 'role'.padEnd(5), 'plan'.padEnd(4), 'provider'.padEnd(8), 'created'].join('  '))
        for (const u of users) {
          console.log([u.id, (u.email ?? '-').padEnd(32), u.role.padEnd(5), u.plan.padEnd(4), (u.oauth_provider ?? '-').padEnd(8), u.created_at].join('  '))
        }
        console.log(`${users.length} user${users.length === 1 ? '' : 's'}${rows.length > limit ? ` (more: raise --limit)` : ''}`)
      })
    }
    case 'revoke-keys': {
      const o = parseOptions('users revoke-keys', rest, { email: { type: 'string' } })
      const email = requireEmail('users revoke-keys', o.email)
      return run(async (sql) => {
        const found = await findAccountsByEmail(sql, email)
        if (found.length === 0) throw new UsageError(`users revoke-keys: no user with email ${email}`)
        const hashes = await revokeApiKeysOf(
          sql,
          found.map((a) => a.id),
        )
        await announce(config, log, sql, afterCredentialsChanged(hashes), 'the revocation')
        console.log(`revoked ${hashes.length} API key${hashes.length === 1 ? '' : 's'} of ${email}`)
      })
    }
    case 'set-role': {
      const o = parseOptions('users set-role', rest, { email: { type: 'string' }, role: { type: 'string' } })
      const email = requireEmail('users set-role', o.email)
      if (o.role === undefined) throw new UsageError('users set-role: --role is required (user or admin)')
      const role: Role = oneOf('users set-role', 'role', o.role, ROLES, 'user')
      return run(async (sql) => {
        const found = await findAccountsByEmail(sql, email)
        if (found.length === 0) throw new UsageError(`users set-role: no user with email ${email}`)
        const changed = await Promise.all(found.map((a) => setRole(sql, a.id, role)))
        await announce(config, log, sql, found.flatMap((a) => afterAccountChanged(a.id)), 'the new role')
        console.log(`${email}: role ${role} (${changed.length} user${changed.length === 1 ? '' : 's'})`)
      })
    }
    default:
      throw new UsageError(
        `users: expected a subcommand: create --email E [--name N] [--role user|admin] [--plan free|pro], key --email E, list [--email E] [--limit N], revoke-keys --email E, set-role --email E --role user|admin${sub ? ` (got ${JSON.stringify(sub)})` : ''}`,
      )
  }
}
