import type { Config } from '../../config.ts'
import type { Codec } from '../../cache/codec.ts'
import { jsonCodec } from '../../cache/json-codec.ts'
import { afterCredentialsChanged, CacheType, credentialScope, userScope } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import { scopesOfRole, type Account, type AccountCaller, type Caller, type CallerContext, type Credential, type Identity, type Scope } from '../../http/caller.ts'
import { HttpError } from '../../http/errors.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { errorFields, type Logger } from '../../platform/log.ts'
import { clearSessionCookie, readCookie, SESSION_COOKIE, sessionCookie, type CookieOptions } from './cookies.ts'
import {
  extendSession,
  findAccount,
  findApiKey,
  findSession,
  SESSION_LIFETIME_SECONDS,
  touchApiKey,
} from './service.ts'
import { hashToken, isApiKey, isSessionToken, sameSecret } from './tokens.ts'

// Who is calling: the one place a request's credentials are read and checked. In order of
// precedence: `Authorization: Bearer <ADMIN_TOKEN | API key | session token>`, `X-API-Key`, then
// the `session` cookie. Lookups go through the two-tier cache keyed by the credential's SHA-256
// (never the token), in two steps: credential → user id (scope `credential:<hash bucket>`), then user id →
// role, plan and profile (scope `user:<id>`). Logout and revocation bump the first scope, plan and
// role changes the second, and the bus carries both to every instance. Expiry is checked on every
// use, so a cached (or stale-served) lookup can never outlive its credential.

type Presented =
  | { kind: 'admin_token' }
  | { kind: 'session'; token: string; viaCookie: boolean }
  | { kind: 'api_key'; key: string }
  | { kind: 'malformed'; message: string }

interface Resolution {
  caller?: Caller
  error?: HttpError
  /** A Set-Cookie to send with the response (the session cookie after a sliding refresh). */
  setCookie?: string
}

const unauthorized = (code: string, message: string) => new HttpError(401, code, message)
const HOW_TO_SIGN_IN =
  'sign in (GET /auth/login/{provider}) for a session cookie, or send `Authorization: Bearer <API key or session token>` or `X-API-Key: <API key>`'

/** The credential a request presents, if any; shape checks only (no lookup). */
export function presentedCredential(request: Request, adminToken: string | undefined): Presented | undefined {
  const authorization = request.headers.get('authorization')
  if (authorization !== null) {
    const m = /^Bearer +(\S+) *$/i.exec(authorization)
    const token = m?.[1]
    if (!token) return { kind: 'malformed', message: 'the Authorization header must be `Bearer <token>`' }
    if (adminToken && sameSecret(token, adminToken)) return { kind: 'admin_token' }
    if (isApiKey(token)) return { kind: 'api_key', key: token }
    if (isSessionToken(token)) return { kind: 'session', token, viaCookie: false }
    return { kind: 'malformed', message: 'the bearer token is neither an API key (ta_…) nor a session token' }
  }
  const apiKey = request.headers.get('x-api-key')
  if (apiKey !== null) {
    const key = apiKey.trim()
    return isApiKey(key) ? { kind: 'api_key', key } : { kind: 'malformed', message: 'X-API-Key must be an API key (ta_ and 43 characters)' }
  }
  const cookie = readCookie(request.headers.get('cookie'), SESSION_COOKIE)
  if (cookie !== undefined && cookie !== '') {
    return isSessionToken(cookie) ? { kind: 'session', token: cookie, viaCookie: true } : { kind: 'malformed', message: 'the session cookie is malformed; sign in again' }
  }
  return undefined
}

interface SessionValue {
  id: string
  user_id: string
  expires_at: string
}

interface ApiKeyValue {
  id: string
  user_id: string
  key_prefix: string
  scopes: Scope[]
  expires_at: string | null
  revoked_at: string | null
}

/** Lookups are cached as JSON records (null: no such row, kept for the negative TTL). */
const CODECS = {
  session: jsonCodec<SessionValue>(CacheType.session),
  apiKey: jsonCodec<ApiKeyValue>(CacheType.apiKey),
  account: jsonCodec<Account>(CacheType.account),
}
const TOUCH_EVERY_MS = 60_000

export interface AuthDeps {
  timed: Timed
  config: Config
  sql: Sql
  cache: TieredCache
  log: Logger
}

export class Auth implements Identity {
  private readonly resolutions = new WeakMap<Request, Promise<Resolution>>()
  private readonly lastTouched = new Map<string, number>()
  readonly cookieOptions: CookieOptions

  constructor(private readonly deps: AuthDeps) {
    this.cookieOptions = { secure: new URL(deps.config.PUBLIC_BASE_URL).protocol === 'https:' }
  }

  /** The signed-in caller, or a 401 (`unauthorized` when no credential was sent). */
  async require(ctx: CallerContext, scope: Scope): Promise<Caller> {
    const r = await this.resolve(ctx.request)
    if (r.setCookie) ctx.set.headers['set-cookie'] = r.setCookie
    if (r.error) throw r.error
    if (!r.caller) throw unauthorized('unauthorized', `this route needs a signed-in caller: ${HOW_TO_SIGN_IN}`)
    if (!r.caller.scopes.includes(scope)) {
      throw new HttpError(403, 'insufficient_scope', `this API key lacks the \`${scope}\` scope (it has: ${r.caller.scopes.join(', ') || 'none'})`)
    }
    return r.caller
  }

  /** A caller with an account: the ADMIN_TOKEN bootstrap credential has none to hold favorites, events or keys. */
  async requireAccount(ctx: CallerContext, scope: Scope): Promise<AccountCaller> {
    const caller = await this.require(ctx, scope)
    if (!caller.account) {
      throw new HttpError(403, 'no_account', 'ADMIN_TOKEN is a bootstrap credential without an account: create one with `transcript-api users create --email … --role admin`')
    }
    return caller as AccountCaller
  }

  /** An admin (role admin, `admin` scope), else 401 / 403 `forbidden`. */
  async requireAdmin(ctx: CallerContext): Promise<Caller> {
    const r = await this.resolve(ctx.request)
    if (r.setCookie) ctx.set.headers['set-cookie'] = r.setCookie
    if (r.error) throw r.error
    if (!r.caller) throw unauthorized('unauthorized', `admin routes need an admin: ${HOW_TO_SIGN_IN}`)
    if (r.caller.role !== 'admin') throw new HttpError(403, 'forbidden', 'admin routes are for users with the admin role')
    if (!r.caller.scopes.includes('admin')) throw new HttpError(403, 'insufficient_scope', 'this API key lacks the `admin` scope')
    return r.caller
  }

  /**
   * The caller when one is signed in and valid, else undefined; never throws. For usage recording
   * on public routes: it never refreshes a session, since a public response must not carry the
   * Set-Cookie that would have to go with it.
   */
  async optional(request: Request): Promise<Caller | undefined> {
    try {
      return (await this.resolveUncached(request, false)).caller
    } catch {
      return undefined
    }
  }

  /** Memoised per request: a route and a hook asking twice cost one lookup. */
  private resolve(request: Request): Promise<Resolution> {
    let r = this.resolutions.get(request)
    if (!r) {
      r = this.resolveUncached(request, true)
      this.resolutions.set(request, r)
    }
    return r
  }

  private async resolveUncached(request: Request, refresh: boolean): Promise<Resolution> {
    const presented = presentedCredential(request, this.deps.config.ADMIN_TOKEN)
    if (!presented) return {}
    switch (presented.kind) {
      case 'malformed':
        return { error: unauthorized('invalid_token', presented.message) }
      case 'admin_token':
        return { caller: { account: null, role: 'admin', plan: 'pro', credential: { kind: 'admin_token' }, scopes: scopesOfRole('admin') } }
      case 'session':
        return this.resolveSession(presented.token, presented.viaCookie, refresh)
      case 'api_key':
        return this.resolveApiKey(presented.key)
    }
  }

  private async resolveSession(token: string, viaCookie: boolean, refresh: boolean): Promise<Resolution> {
    const hash = hashToken(token)
    const clear = viaCookie ? clearSessionCookie(this.cookieOptions) : undefined
    const session = await this.lookup(CODECS.session, hash, [credentialScope(hash)], async () => {
      const s = await this.deps.timed('session_get', () => findSession(this.deps.sql, hash))
      return s && { id: s.id, user_id: s.user_id, expires_at: s.expires_at.toISOString() }
    })
    if (!session) return { error: unauthorized('invalid_token', 'the session is unknown or was signed out; sign in again'), setCookie: clear }
    let expiresAt = Date.parse(session.expires_at)
    const now = Date.now()
    if (expiresAt <= now) return { error: unauthorized('token_expired', `the session expired at ${session.expires_at}; sign in again`), setCookie: clear }
    const account = await this.account(session.user_id)
    if (!account) return { error: unauthorized('invalid_token', 'the account of this session no longer exists'), setCookie: clear }

    let setCookie: string | undefined
    if (refresh && expiresAt - now < (SESSION_LIFETIME_SECONDS * 1000) / 2) {
      // Another request or instance may have extended it first: then the row holds the new expiry.
      const extended =
        (await this.deps.timed('session_extend', () => extendSession(this.deps.sql, session.id))) ?? (await this.deps.timed('session_get', () => findSession(this.deps.sql, hash)))?.expires_at
      // Every instance must see the new expiry rather than its cached one.
      await this.deps.cache.invalidate(afterCredentialsChanged([hash]))
      if (extended) expiresAt = extended.getTime()
      if (viaCookie) setCookie = sessionCookie(token, (expiresAt - Date.now()) / 1000, this.cookieOptions)
    }
    const credential: Credential = { kind: 'session', id: session.id, hash, expiresAt: new Date(expiresAt).toISOString(), viaCookie }
    return { caller: { account, role: account.role, plan: account.plan, credential, scopes: scopesOfRole(account.role) }, setCookie }
  }

  private async resolveApiKey(key: string): Promise<Resolution> {
    const hash = hashToken(key)
    const k = await this.lookup(CODECS.apiKey, hash, [credentialScope(hash)], async () => {
      const r = await this.deps.timed('api_key_get', () => findApiKey(this.deps.sql, hash))
      return r && { ...r, expires_at: r.expires_at?.toISOString() ?? null, revoked_at: r.revoked_at?.toISOString() ?? null }
    })
    if (!k) return { error: unauthorized('invalid_token', 'unknown API key') }
    if (k.revoked_at) return { error: unauthorized('token_revoked', `the API key ${k.key_prefix}… was revoked at ${k.revoked_at}`) }
    if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) {
      return { error: unauthorized('token_expired', `the API key ${k.key_prefix}… expired at ${k.expires_at}`) }
    }
    const account = await this.account(k.user_id)
    if (!account) return { error: unauthorized('invalid_token', 'the account of this API key no longer exists') }
    this.touch(k.id)
    const allowed = scopesOfRole(account.role)
    const credential: Credential = { kind: 'api_key', id: k.id, hash, prefix: k.key_prefix, expiresAt: k.expires_at }
    return { caller: { account, role: account.role, plan: account.plan, credential, scopes: k.scopes.filter((s) => allowed.includes(s)) } }
  }

  private account(userId: string): Promise<Account | undefined> {
    return this.lookup(CODECS.account, userId, [userScope(userId)], () => this.deps.timed('account_get', () => findAccount(this.deps.sql, userId)))
  }

  /** A small record through the two-tier cache (the codec's name is its cache type); undefined when there is no such row. */
  private async lookup<T>(codec: Codec<T | null>, key: string, scopes: string[], load: () => Promise<T | undefined>): Promise<T | undefined> {
    const request = { type: codec.name, key, scopes, ttlSeconds: this.deps.config.CACHE_SESSION_TTL, codec }
    const { value } = await this.deps.cache.getOrLoad(request, async () => (await load()) ?? null)
    return value ?? undefined
  }

  /** last_used_at, at most once a minute per key and instance, off the request path. */
  private touch(id: string): void {
    const now = Date.now()
    if (now - (this.lastTouched.get(id) ?? 0) < TOUCH_EVERY_MS) return
    this.lastTouched.set(id, now)
    if (this.lastTouched.size > 10_000) this.lastTouched.clear()
    this.deps.timed('api_key_touch', () => touchApiKey(this.deps.sql, id)).catch((err: unknown) => this.deps.log.warn('could not record API key use', errorFields(err)))
  }
}
