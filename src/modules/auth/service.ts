import type { Account, Plan, Role, Scope } from '../../http/caller.ts'
import { timestampKey } from '../../http/timestamp-key.ts'
import type { Sql } from '../../platform/db.ts'
import type { ApiKeyView } from './model.ts'
import { newApiKey, newSessionToken } from './tokens.ts'

// Users, sessions and API keys in SQL. Tokens and keys arrive here only as their SHA-256 hashes,
// except at creation, where the clear value is returned once to be handed to the caller.

export const SESSION_LIFETIME_SECONDS = 24 * 3600

interface AccountRow extends Omit<Account, 'created_at'> {
  created_at: Date
}

const toAccount = (r: AccountRow): Account => ({ ...r, created_at: r.created_at.toISOString() })

export const normaliseEmail = (email: string | null | undefined): string | null => {
  const e = email?.trim().toLowerCase()
  return e ? e : null
}

export async function findAccount(sql: Sql, id: string): Promise<Account | undefined> {
  const [row] = await sql<AccountRow[]>`SELECT id, email, name, avatar_url, role, plan, created_at FROM users WHERE id = ${id}`
  return row && toAccount(row)
}

export interface OAuthProfile {
  email: string | null
  name: string | null
  avatar_url: string | null
}

/** Creates the user of (provider, subject), or refreshes its profile: one statement, race-free. */
export async function upsertOAuthAccount(sql: Sql, provider: string, subject: string, p: OAuthProfile): Promise<Account> {
  const [row] = await sql<AccountRow[]>`
    INSERT INTO users (email, name, avatar_url, oauth_provider, oauth_subject)
    VALUES (${normaliseEmail(p.email)}, ${p.name}, ${p.avatar_url}, ${provider}, ${subject})
    ON CONFLICT (oauth_provider, oauth_subject) DO UPDATE
      SET email = coalesce(EXCLUDED.email, users.email), name = coalesce(EXCLUDED.name, users.name),
          avatar_url = coalesce(EXCLUDED.avatar_url, users.avatar_url), updated_at = now()
    RETURNING id, email, name, avatar_url, role, plan, created_at`
  if (!row) throw new Error('upsert returned no row')
  return toAccount(row)
}

/** A user without a sign-in provider (created by the CLI; it uses API keys). */
export async function createAccount(sql: Sql, u: { email: string; name: string | null; role: Role; plan: Plan }): Promise<Account> {
  const [row] = await sql<AccountRow[]>`
    INSERT INTO users (email, name, role, plan) VALUES (${normaliseEmail(u.email)}, ${u.name}, ${u.role}, ${u.plan})
    RETURNING id, email, name, avatar_url, role, plan, created_at`
  if (!row) throw new Error('insert returned no row')
  return toAccount(row)
}

export async function findAccountsByEmail(sql: Sql, email: string): Promise<Account[]> {
  const rows = await sql<AccountRow[]>`
    SELECT id, email, name, avatar_url, role, plan, created_at FROM users WHERE email = ${normaliseEmail(email)} ORDER BY created_at, id`
  return rows.map(toAccount)
}

export async function setPlan(sql: Sql, id: string, plan: Plan): Promise<Account | undefined> {
  const [row] = await sql<AccountRow[]>`
    UPDATE users SET plan = ${plan}, updated_at = now() WHERE id = ${id}
    RETURNING id, email, name, avatar_url, role, plan, created_at`
  return row && toAccount(row)
}

/** A role change (the CLI's `users set-role`); callers invalidate the account on every instance. */
export async function setRole(sql: Sql, id: string, role: Role): Promise<Account | undefined> {
  const [row] = await sql<AccountRow[]>`
    UPDATE users SET role = ${role}, updated_at = now() WHERE id = ${id}
    RETURNING id, email, name, avatar_url, role, plan, created_at`
  return row && toAccount(row)
}

// Sessions

export interface SessionRecord {
  id: string
  user_id: string
  expires_at: Date
}

/** A new 24 h session; the user's expired sessions are swept in the same statement (sessions_user_id_idx). */
export async function createSession(sql: Sql, userId: string, meta: { userAgent: string | null; ip: string | null }) {
  const secret = newSessionToken()
  const [row] = await sql<{ id: string; expires_at: Date }[]>`
    WITH swept AS (DELETE FROM sessions WHERE user_id = ${userId} AND expires_at < now())
    INSERT INTO sessions (user_id, token_hash, user_agent, ip, expires_at)
    VALUES (${userId}, ${secret.hash}, ${meta.userAgent?.slice(0, 500) ?? null}, ${meta.ip}, now() + make_interval(secs => ${SESSION_LIFETIME_SECONDS}))
    RETURNING id, expires_at`
  if (!row) throw new Error('insert returned no row')
  return { id: row.id, token: secret.token, hash: secret.hash, expiresAt: row.expires_at }
}

export async function findSession(sql: Sql, hash: string): Promise<SessionRecord | undefined> {
  const [row] = await sql<SessionRecord[]>`SELECT id, user_id, expires_at FROM sessions WHERE token_hash = ${hash}`
  return row
}

/**
 * Sliding refresh: a live session past half its life gets a full 24 h again. The WHERE guard makes
 * concurrent refreshes (several requests, several instances) one extension. Returns the new expiry.
 */
export async function extendSession(sql: Sql, id: string): Promise<Date | undefined> {
  const [row] = await sql<{ expires_at: Date }[]>`
    UPDATE sessions SET expires_at = now() + make_interval(secs => ${SESSION_LIFETIME_SECONDS})
    WHERE id = ${id} AND expires_at > now() AND expires_at < now() + make_interval(secs => ${SESSION_LIFETIME_SECONDS / 2})
    RETURNING expires_at`
  return row?.expires_at
}

/** Deletes one session (sign-out); its user, when it existed. */
export async function deleteSession(sql: Sql, hash: string): Promise<string | undefined> {
  const [row] = await sql<{ user_id: string }[]>`DELETE FROM sessions WHERE token_hash = ${hash} RETURNING user_id`
  return row?.user_id
}

/** "Sign out everywhere": every session of the user (sessions_user_id_idx); their hashes, to invalidate. */
export async function deleteUserSessions(sql: Sql, userId: string): Promise<string[]> {
  const rows = await sql<{ token_hash: string }[]>`DELETE FROM sessions WHERE user_id = ${userId} RETURNING token_hash`
  return rows.map((r) => r.token_hash)
}

// API keys

export interface ApiKeyRecord {
  id: string
  user_id: string
  key_prefix: string
  scopes: Scope[]
  expires_at: Date | null
  revoked_at: Date | null
}

interface ApiKeyRow {
  id: string
  key_prefix: string
  name: string | null
  scopes: Scope[]
  created_at: Date
  last_used_at: Date | null
  expires_at: Date | null
  revoked_at: Date | null
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)
const toApiKeyView = (r: ApiKeyRow): ApiKeyView => ({
  ...r,
  created_at: r.created_at.toISOString(),
  last_used_at: iso(r.last_used_at),
  expires_at: iso(r.expires_at),
  revoked_at: iso(r.revoked_at),
})

export async function createApiKey(sql: Sql, userId: string, k: { name: string | null; scopes: readonly Scope[]; expiresAt: Date | null }) {
  const secret = newApiKey()
  const [row] = await sql<ApiKeyRow[]>`
    INSERT INTO api_keys (user_id, key_hash, key_prefix, name, scopes, expires_at)
    VALUES (${userId}, ${secret.hash}, ${secret.prefix}, ${k.name}, ${sql.array([...k.scopes])}, ${k.expiresAt})
    RETURNING id, key_prefix, name, scopes, created_at, last_used_at, expires_at, revoked_at`
  if (!row) throw new Error('insert returned no row')
  return { key: secret.token, view: toApiKeyView(row) }
}

export async function findApiKey(sql: Sql, hash: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await sql<ApiKeyRecord[]>`SELECT id, user_id, key_prefix, scopes, expires_at, revoked_at FROM api_keys WHERE key_hash = ${hash}`
  return row
}

/** A user's keys, newest first (api_keys_user_id_idx); revoked ones included, so the list explains itself. */
/**
 * One page of the user's keys, newest first over (created_at, id) (api_keys_user_id_idx), fetched
 * with LIMIT limit + 1 (see toPage); `after` is the [created_at key, id] of the last key shown.
 */
export async function listApiKeys(sql: Sql, userId: string, limit: number, after: [string, string] | undefined): Promise<(ApiKeyView & { created_key: string })[]> {
  const rows = await sql<(ApiKeyRow & { created_key: string })[]>`
    SELECT id, key_prefix, name, scopes, created_at, last_used_at, expires_at, revoked_at, ${timestampKey(sql, sql`created_at`)} AS created_key
    FROM api_keys WHERE user_id = ${userId}
      ${after === undefined ? sql`` : sql`AND (created_at, id) < (${after[0]}::text::timestamptz, ${after[1]}::uuid)`}
    ORDER BY created_at DESC, id DESC
    LIMIT ${limit + 1}`
  return rows.map((r) => ({ ...toApiKeyView(r), created_key: r.created_key }))
}

/** Revokes one of the user's keys; its hash (to invalidate), or undefined when it is not theirs. */
export async function revokeApiKey(sql: Sql, userId: string, id: string): Promise<string | undefined> {
  const [row] = await sql<{ key_hash: string }[]>`
    UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = ${id} AND user_id = ${userId} RETURNING key_hash`
  return row?.key_hash
}

/** Revokes every live key of these users; the hashes, to invalidate. */
export async function revokeApiKeysOf(sql: Sql, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return []
  const rows = await sql<{ key_hash: string }[]>`
    UPDATE api_keys SET revoked_at = now() WHERE user_id IN ${sql(userIds)} AND revoked_at IS NULL RETURNING key_hash`
  return rows.map((r) => r.key_hash)
}

/** Records use; callers throttle it (a write per request would cost more than the request). */
export async function touchApiKey(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE api_keys SET last_used_at = now() WHERE id = ${id}`
}
