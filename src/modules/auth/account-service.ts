import { afterAccountChanged, afterCredentialsChanged } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Scope } from '../../http/caller.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { NotFound } from '../../platform/domain-errors.ts'
import { createApiKey, createSession, deleteSession, deleteUserSessions, listApiKeys, revokeApiKey, upsertOAuthAccount, type OAuthProfile } from './service.ts'

// The accounts' rules: sign-in creates or refreshes the user and starts a session; sign-out and
// revocation take effect on every instance at once (their cached lookups are invalidated through
// the bus, not left until CACHE_SESSION_TTL). Queries are timed here; the routes never see SQL.

/** The scope names the owner too: a cursor is only good for the list it came from. */
export const keyListScope = (userId: string) => `GET /auth/api-keys ${userId}`

export function createAccountService(deps: { sql: Sql; cache: TieredCache; timed: Timed; cursors: CursorCodec }) {
  const { sql, cache, timed, cursors } = deps
  return {
    /** The user of (provider, subject), created or refreshed, and a new session of theirs. */
    async signIn(provider: string, subject: string, profile: OAuthProfile, meta: { userAgent: string | null; ip: string | null }) {
      const account = await timed('account_upsert', () => upsertOAuthAccount(sql, provider, subject, profile))
      await cache.invalidate(afterAccountChanged(account.id)) // the profile may have changed
      return timed('session_create', () => createSession(sql, account.id, meta))
    },
    /** Ends one session (by its token's hash) or, with `everywhere`, every session of the user. */
    async signOut(end: { sessionHash: string } | { everywhereFor: string }): Promise<void> {
      const hashes: string[] = []
      if ('everywhereFor' in end) {
        hashes.push(...(await timed('session_delete_all', () => deleteUserSessions(sql, end.everywhereFor))))
      } else {
        await timed('session_delete', () => deleteSession(sql, end.sessionHash))
        hashes.push(end.sessionHash)
      }
      await cache.invalidate(afterCredentialsChanged(hashes))
    },
    createKey(userId: string, input: { name: string | null; scopes: readonly Scope[]; expiresAt: Date | null }) {
      return timed('api_key_create', () => createApiKey(sql, userId, input))
    },
    /** A page of the user's keys, newest first, after (created_at, id) `after`. */
    async listKeys(userId: string, limit: number, after: [string, string] | undefined) {
      const rows = await timed('api_key_list', () => listApiKeys(sql, userId, limit, after), [userId, after])
      return toPage(cursors, rows, limit, keyListScope(userId), (r) => [r.created_key, r.id], ({ created_key: _key, ...key }) => key)
    },
    async revokeKey(userId: string, id: string): Promise<void> {
      const hash = await timed('api_key_revoke', () => revokeApiKey(sql, userId, id))
      if (!hash) throw new NotFound('api_key_not_found', `you have no API key with id ${id}`)
      await cache.invalidate(afterCredentialsChanged([hash]))
    },
  }
}

export type AccountService = ReturnType<typeof createAccountService>
