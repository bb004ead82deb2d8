import { createCache } from '../cache/create.ts'
import { afterCredentialsChanged } from '../cache/scopes.ts'
import type { Config } from '../config.ts'
import { listUsersQuery, toAdminUser } from '../modules/admin/service.ts'
import {
  createAccount,
  createApiKey,
  findAccountsByEmail,
  PLANS,
  revokeApiKeysOf,
  ROLES,
  scopesOfRole,
  type Account,
  type Plan,
  type Role,
} from '../modules/auth/service.ts'
import { openDatabase } from '../platform/database.ts'
import type { Sql } from '../platform/db.ts'
import type { Logger } from '../platform/log.ts'
import { migrate } from '../platform/migrate.ts'
import { MIGRATION_FILES } from '../platform/migration-files.ts'
import { closeRedis, createRedis } from '../platform/redis.ts'
import { integerOption, parseOptions, UsageError } from './usage.ts'

// `transcript-api users create|key|list|revoke-keys`: accounts without a browser. `create` makes a
// user and prints an API key for it, so a fresh VM gets its first admin from the shell.

const REDIS_WAIT_MS = 3000

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

/** Tells running servers (through the Redis bus) to drop cached lookups of these credentials. */
async function announceRevoked(config: Config, log: Logger, hashes: string[]): Promise<void> {
  if (hashes.length === 0) return
  if (!config.REDIS_URL) {
    log.warn('REDIS_URL is not set: a running server accepts the revoked keys until its cached lookups expire (CACHE_SESSION_TTL)')
    return
  }
  const redis = createRedis(config.REDIS_URL, log)
  const deadline = Date.now() + REDIS_WAIT_MS
  while (!redis.isReady && Date.now() < deadline) await Bun.sleep(20)
  const cache = createCache(config, redis, log)
  try {
    if (!redis.isReady) {
      log.warn('Redis is not reachable: running servers accept the revoked keys until their cached lookups expire (CACHE_SESSION_TTL)')
      return
    }
    await cache.start()
    await cache.invalidate(afterCredentialsChanged(hashes))
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
      await migrate(db.sql, MIGRATION_FILES, log)
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
        await announceRevoked(config, log, hashes)
        console.log(`revoked ${hashes.length} API key${hashes.length === 1 ? '' : 's'} of ${email}`)
      })
    }
    default:
      throw new UsageError(
        `users: expected a subcommand: create --email E [--name N] [--role user|admin] [--plan free|pro], key --email E, list [--email E] [--limit N], revoke-keys --email E${sub ? ` (got ${JSON.stringify(sub)})` : ''}`,
      )
  }
}
