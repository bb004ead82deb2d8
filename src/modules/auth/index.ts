import { Elysia } from 'elysia'
import { NO_STORE, PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { Config } from '../../config.ts'
import type { AccountCaller, Caller, CallerUsage, Scope, UsageReader } from '../../http/caller.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { badRequest, HttpError } from '../../http/errors.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { queryParser } from '../../http/validate.ts'
import { clearSessionCookie, clearStateCookie, readCookie, readStateCookie, safeReturnTo, sessionCookie, STATE_COOKIE, STATE_TTL_SECONDS, stateCookie } from './cookies.ts'
import { presentedCredential, type Auth } from './identity.ts'
import {
  ApiKeyPageSchema,
  CallbackQuery,
  KeyIdParams,
  KEYS_DEFAULT_LIMIT,
  KeysQuery,
  LoginQuery,
  LogoutQuery,
  MAX_KEY_BODY_BYTES,
  MeSchema,
  NewApiKeyRequestSchema,
  NewApiKeySchema,
  ProviderParams,
} from './model.ts'
import { configuredProviders, newLoginChecks, OidcProviders } from './oidc.ts'
import { keyListScope, type AccountService } from './account-service.ts'
import { SESSION_LIFETIME_SECONDS } from './service.ts'
import { hashToken, sameSecret } from './tokens.ts'

// Sign-in (OpenID Connect code flow with PKCE), sign-out, who am I, and API keys.

// The module's public face, besides its routes: what the admin module may use of accounts.
export { normaliseEmail, setPlan } from './service.ts'

interface Deps {
  config: Config
  auth: Auth
  cursors: CursorCodec
  accounts: AccountService
  /** Today's usage of a caller (the events module's, handed over by createApp). */
  usageOf: UsageReader
}

const parseKeysQuery = queryParser(KeysQuery)

const invalidState = (why: string) => new HttpError(400, 'invalid_state', `${why}; start again at GET /auth/login/{provider}`)

/** The scopes a new key gets: those asked for (each held by the caller), or all the caller's but admin. */
function keyScopes(asked: readonly Scope[] | null | undefined, caller: Caller): Scope[] {
  if (asked === undefined || asked === null) return caller.scopes.filter((s) => s !== 'admin')
  for (const scope of asked) {
    if (!caller.scopes.includes(scope)) throw new HttpError(403, 'insufficient_scope', `you cannot grant \`${scope}\`: you do not hold it`)
  }
  return [...new Set(asked)]
}

const keyExpiry = (days: number | null | undefined): Date | null => (days === undefined || days === null ? null : new Date(Date.now() + days * 86_400_000))

function me(caller: Caller, usage: CallerUsage) {
  const c = caller.credential
  return {
    user: caller.account,
    role: caller.role,
    plan: caller.plan,
    credential: {
      kind: c.kind,
      expires_at: c.kind === 'admin_token' ? null : c.expiresAt,
      ...(c.kind === 'api_key' ? { key_prefix: c.prefix } : {}),
      scopes: caller.scopes,
    },
    usage,
  }
}

export function authRoutes(deps: Deps) {
  const { config, auth, accounts } = deps
  const oidc = new OidcProviders(configuredProviders(config), config.PUBLIC_BASE_URL)
  // Config validation makes SESSION_SECRET present whenever a provider is; without providers every
  // provider is a 404 before the secret is needed.
  const secret = config.SESSION_SECRET ?? ''

  return new Elysia({ name: 'auth' })
    .use(routeOptions())
    .get(
      '/auth/login/:provider',
      async ({ params, query }) => {
        const spec = oidc.spec(params.provider)
        const checks = newLoginChecks()
        const url = await oidc.authorizationUrl(spec, checks)
        const headers = new Headers({ location: url.href })
        const expires = Date.now() + STATE_TTL_SECONDS * 1000
        headers.append('set-cookie', stateCookie({ provider: spec.name, ...checks, returnTo: safeReturnTo(query.return_to), expires }, secret, auth.cookieOptions))
        return new Response(null, { status: 302, headers })
      },
      {
        query: LoginQuery,
        cachePolicy: NO_STORE,
        detail: operation({
          tags: ['auth'],
          summary: 'Start signing in with a provider',
          description:
            'Redirects (302) to the provider with state, nonce and a PKCE challenge; their values travel to the callback in a signed, HttpOnly, ten-minute cookie.',
          params: ProviderParams,
          query: LoginQuery,
          ok: { 302: { description: 'to the provider', headers: { location: { schema: { type: 'string' } } } } },
          errors: { 404: ['provider_not_found'], 502: ['provider_unavailable'] },
          noDatabase: true,
        }),
      },
    )
    .get(
      '/auth/callback/:provider',
      async ({ params, query, request, server }) => {
        const spec = oidc.spec(params.provider)
        const saved = readStateCookie(readCookie(request.headers.get('cookie'), STATE_COOKIE), secret)
        if (!saved) throw invalidState('the sign-in cookie is missing, expired or altered (sign-in must finish within 10 minutes, in the same browser)')
        if (saved.provider !== spec.name) throw invalidState(`this sign-in was started with ${saved.provider}, not ${spec.name}`)
        if (typeof query.state !== 'string' || !sameSecret(query.state, saved.state)) throw invalidState('the state parameter does not match this browser’s sign-in')
        if (query.error) {
          throw new HttpError(400, 'sign_in_denied', `the provider answered ${query.error}${query.error_description ? `: ${query.error_description}` : ''}`)
        }
        // The URL the provider redirected to, as registered (behind a proxy the request URL may differ).
        const callbackUrl = new URL(oidc.redirectUri(spec.name))
        callbackUrl.search = new URL(request.url).search
        const { subject, profile } = await oidc.exchange(spec, callbackUrl, saved)
        const meta = { userAgent: request.headers.get('user-agent'), ip: server?.requestIP(request)?.address ?? null }
        const session = await accounts.signIn(spec.name, subject, profile, meta)
        const headers = new Headers({ location: saved.returnTo })
        headers.append('set-cookie', clearStateCookie(auth.cookieOptions))
        headers.append('set-cookie', sessionCookie(session.token, SESSION_LIFETIME_SECONDS, auth.cookieOptions))
        return new Response(null, { status: 302, headers })
      },
      {
        query: CallbackQuery,
        cachePolicy: NO_STORE,
        detail: operation({
          tags: ['auth'],
          summary: 'Finish signing in (the provider redirects here)',
          description:
            'Checks state (CSRF), exchanges the code with the PKCE verifier, checks the ID token and nonce, creates or updates the user of (provider, subject), starts a 24 h session and redirects (302) to `return_to` with the `session` cookie set.',
          params: ProviderParams,
          query: CallbackQuery,
          ok: { 302: { description: 'signed in; to return_to, with the session cookie set', headers: { location: { schema: { type: 'string' } } } } },
          errors: { 400: ['invalid_state', 'sign_in_denied', 'sign_in_failed'], 404: ['provider_not_found'], 502: ['provider_unavailable'] },
        }),
      },
    )
    .post(
      '/auth/logout',
      async (ctx) => {
        const presented = presentedCredential(ctx.request, config.ADMIN_TOKEN)
        if (ctx.query.everywhere === 'true') {
          const caller = await auth.requireAccount(ctx, 'read')
          await accounts.signOut({ everywhereFor: caller.account.id })
        } else if (presented?.kind === 'session') {
          await accounts.signOut({ sessionHash: hashToken(presented.token) })
        } else if (presented?.kind === 'api_key' || presented?.kind === 'admin_token') {
          throw badRequest('not_a_session', 'an API key is not signed out: revoke it with DELETE /auth/api-keys/{id} (or use ?everywhere=true to end your sessions)')
        }
        return new Response(null, { status: 204, headers: { 'set-cookie': clearSessionCookie(auth.cookieOptions) } })
      },
      {
        // No body is read: one sent is ignored, not parsed.
        parse: 'none',
        query: LogoutQuery,
        detail: operation({
          tags: ['auth'],
          summary: 'Sign out',
          description:
            'Ends the presented session (cookie or bearer session token) and clears the cookie; `?everywhere=true` ends every session of the user. Takes effect on every instance at once. Without a session it just clears the cookie (204).',
          // Any credential is accepted; ?everywhere=true needs a signed-in account.
          access: 'account',
          query: LogoutQuery,
          ok: { 204: { description: 'signed out' } },
          errors: { 400: ['not_a_session'] },
        }),
      },
    )
    .get(
      '/auth/me',
      async (ctx) => {
        const caller = await auth.require(ctx, 'read')
        return me(caller, await deps.usageOf(caller))
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['auth'],
          summary: 'Who is calling: user, plan, credential, and today’s usage against the quotas',
          description: 'Never cached: `Cache-Control: private, no-store`, `Vary: Cookie, Authorization`.',
          access: 'user',
          ok: { 200: MeSchema },
        }),
      },
    )
    .post(
      '/auth/api-keys',
      async (ctx) => {
        const caller: AccountCaller = await auth.requireAccount(ctx, 'write')
        // No body at all takes every default.
        const body = ctx.request.body === null ? {} : await readJsonBody(ctx.request, NewApiKeyRequestSchema, MAX_KEY_BODY_BYTES)
        const input = { name: body.name ?? null, scopes: keyScopes(body.scopes, caller), expiresAt: keyExpiry(body.expires_in_days) }
        const created = await accounts.createKey(caller.account.id, input)
        return ctx.status(201, { ...created.view, key: created.key })
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['auth'],
          summary: 'Create an API key',
          description:
            'The key (`ta_…`) is in this response only: it is stored as a SHA-256 hash. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
          access: 'account',
          body: { schema: NewApiKeyRequestSchema, maxBytes: MAX_KEY_BODY_BYTES, required: false, description: 'Optional: without a body the key gets every default.' },
          ok: { 201: NewApiKeySchema },
          errors: { 403: ['insufficient_scope'] },
        }),
      },
    )
    .get(
      '/auth/api-keys',
      async (ctx) => {
        const caller = await auth.requireAccount(ctx, 'read')
        const q = parseKeysQuery(ctx.query)
        const after = q.cursor === undefined ? undefined : decodeTimestampCursor(deps.cursors, keyListScope(caller.account.id), q.cursor)
        return accounts.listKeys(caller.account.id, q.limit ?? KEYS_DEFAULT_LIMIT, after)
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['auth'],
          summary: 'The caller’s API keys (prefixes only), newest first',
          description: 'Cursor-paginated over (created_at, id): pass `page_info.next_cursor` as `cursor` for the next page. Revoked and expired keys are listed too.',
          access: 'account',
          query: KeysQuery,
          ok: { 200: ApiKeyPageSchema },
          errors: { 400: ['invalid_limit', 'invalid_cursor'] },
        }),
      },
    )
    .delete(
      '/auth/api-keys/:id',
      async (ctx) => {
        const caller = await auth.requireAccount(ctx, 'write')
        const id = parseId(ctx.params.id, 'API key id')
        // Effective at once on every instance: their cached lookups of this key are dropped (bus).
        await accounts.revokeKey(caller.account.id, id)
        return ctx.status(204, null)
      },
      {
        // No body is read: one sent is ignored, not parsed.
        parse: 'none',
        detail: operation({
          tags: ['auth'],
          summary: 'Revoke an API key',
          description: 'Effective at once on every instance; later requests with it get 401 `token_revoked`.',
          access: 'account',
          params: KeyIdParams,
          ok: { 204: { description: 'revoked' } },
          errors: { 400: ['invalid_id'], 404: ['api_key_not_found'] },
        }),
      },
    )
}
