import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config.ts'
import { readCookie } from '../src/modules/auth/cookies.ts'
import { hashToken } from '../src/modules/auth/tokens.ts'
import { APP_ORIGIN, expectError, oidcEnv, SESSION_SECRET, signIn } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { CookieJar, followProvider, startOidcProvider, type TestProvider } from './support/oidc-provider.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// Sign-in end to end against a real OpenID provider (oidc-provider on 127.0.0.1): authorization
// code + PKCE, state and nonce; sessions (cookie attributes, sliding refresh, sign-out).

let db: TestDatabase
let provider: TestProvider
let api: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  provider = await startOidcProvider({ redirectUris: [`${APP_ORIGIN}/auth/callback/oidc`] })
  api = testApp(db.sql, { env: oidcEnv(provider) })
}, 30_000)
afterAll(async () => {
  await provider.close()
  await db.drop()
})

interface MeJson {
  user: { id: string; email: string; name: string; role: string; plan: string } | null
  role: string
  plan: string
  credential: { kind: string; expires_at: string | null; scopes: string[] }
  usage: { exports: { used: number; limit: number | null; remaining: number | null }; searches: { used: number } }
}

const me = (cookie: string) => api.request('/auth/me', { headers: { cookie } })

describe('sign-in with OpenID Connect (code + PKCE)', () => {
  test('login redirect → provider → callback → session cookie → /auth/me', async () => {
    const login = await api.request('/auth/login/oidc?return_to=/favorites?x=1')
    expect(login.status).toBe(302)
    expect(login.headers.get('cache-control')).toBe('no-store')
    const authorize = new URL(login.headers.get('location') ?? '')
    expect(authorize.origin).toBe(provider.issuer)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP_ORIGIN}/auth/callback/oidc`)
    for (const p of ['state', 'nonce', 'code_challenge']) expect(authorize.searchParams.get(p)?.length ?? 0).toBeGreaterThan(20)
    const stateCookie = login.headers.getSetCookie().find((c) => c.startsWith('oauth_state='))
    expect(stateCookie).toContain('HttpOnly')
    expect(stateCookie).toContain('SameSite=Lax')
    expect(stateCookie).toContain('Path=/auth/callback')
    expect(stateCookie).toContain('Max-Age=600')
    // The verifier never leaves in the URL; the cookie is signed, not readable as plain JSON of secrets.
    expect(authorize.search).not.toContain('code_verifier')

    const session = await signIn(api, provider, 'alice', '/favorites?x=1')
    expect(session.location).toBe('/favorites?x=1')
    const cookie = session.setCookie.find((c) => c.startsWith('session='))
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain('Max-Age=86400')
    expect(cookie).not.toContain('Secure') // http://localhost: a Secure cookie would never come back
    expect(session.setCookie.some((c) => c.startsWith('oauth_state=;') && c.includes('Max-Age=0'))).toBe(true)

    const res = await me(session.cookie)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('private, no-store')
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Cookie, Authorization')
    const body = (await res.json()) as MeJson
    expect(body.user).toMatchObject({ email: 'alice@example.test', name: 'User alice', role: 'user', plan: 'free' })
    expect(body.credential.kind).toBe('session')
    expect(body.credential.scopes).toEqual(['read', 'write', 'export'])
    expect(body.usage.exports).toEqual({ used: 0, limit: 2, remaining: 2 })

    // Only the hash is stored.
    const [row] = await db.sql<{ token_hash: string; user_agent: string | null }[]>`SELECT token_hash, user_agent FROM sessions WHERE token_hash = ${hashToken(session.token)}`
    expect(row?.token_hash).toBe(hashToken(session.token))
    const leaked = await db.sql`SELECT 1 FROM sessions WHERE token_hash = ${session.token}`
    expect(leaked).toHaveLength(0)
  })

  test('the same (provider, subject) signs in to the same user; another subject is another user', async () => {
    const first = (await (await me((await signIn(api, provider, 'bob')).cookie)).json()) as MeJson
    const again = (await (await me((await signIn(api, provider, 'bob')).cookie)).json()) as MeJson
    const carol = (await (await me((await signIn(api, provider, 'carol')).cookie)).json()) as MeJson
    expect(again.user?.id).toBe(first.user?.id ?? 'missing')
    expect(carol.user?.id).not.toBe(first.user?.id ?? 'missing')
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE oauth_provider = 'oidc' AND oauth_subject = 'bob'`
    expect(row?.n).toBe(1)
  })

  test('return_to only ever leads to a path on this site', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/ok\r\nSet-Cookie: x=1']) {
      expect((await signIn(api, provider, 'dave', evil)).location).toBe('/')
    }
  })

  test('CSRF: a callback whose state does not match the browser’s sign-in is a 400 invalid_state', async () => {
    // Mallory starts a sign-in and gets a code; the victim's browser has its own state cookie.
    const victim = await api.request('/auth/login/oidc')
    const victimJar = new CookieJar()
    victimJar.store(victim)
    const mallory = await api.request('/auth/login/oidc')
    const callback = await followProvider(mallory.headers.get('location') ?? '', APP_ORIGIN)
    const res = await api.request(callback.pathname + callback.search, { headers: { cookie: victimJar.header() } })
    expect(await expectError(res, 400, 'invalid_state')).toContain('does not match')
    expect(res.headers.getSetCookie().some((c) => c.startsWith('session='))).toBe(false)

    // No state cookie at all, and a forged one.
    await expectError(await api.request(callback.pathname + callback.search), 400, 'invalid_state')
    const forged = (victimJar.get('oauth_state') ?? '').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    await expectError(await api.request(callback.pathname + callback.search, { headers: { cookie: `oauth_state=${forged}` } }), 400, 'invalid_state')
    // Missing state parameter.
    await expectError(await api.request('/auth/callback/oidc?code=abc', { headers: { cookie: victimJar.header() } }), 400, 'invalid_state')
  })

  test('the provider saying no is a 400 sign_in_denied; a replayed code a 400 sign_in_failed', async () => {
    const login = await api.request('/auth/login/oidc')
    const jar = new CookieJar()
    jar.store(login)
    const state = new URL(login.headers.get('location') ?? '').searchParams.get('state') ?? ''
    await expectError(await api.request(`/auth/callback/oidc?error=access_denied&state=${state}`, { headers: { cookie: jar.header() } }), 400, 'sign_in_denied')

    const fresh = await api.request('/auth/login/oidc')
    const freshJar = new CookieJar()
    freshJar.store(fresh)
    const callback = await followProvider(fresh.headers.get('location') ?? '', APP_ORIGIN)
    expect((await api.request(callback.pathname + callback.search, { headers: { cookie: freshJar.header() } })).status).toBe(302)
    await expectError(await api.request(callback.pathname + callback.search, { headers: { cookie: freshJar.header() } }), 400, 'sign_in_failed')
  })

  test('unknown or unconfigured providers are 404s', async () => {
    for (const p of ['google', 'twitch', 'nope']) {
      await expectError(await api.request(`/auth/login/${p}`), 404, 'provider_not_found')
      await expectError(await api.request(`/auth/callback/${p}?code=x&state=y`), 404, 'provider_not_found')
    }
  })
})

describe('sessions', () => {
  test('sliding refresh: past half its life a session gets 24 h again and the cookie is re-sent', async () => {
    const session = await signIn(api, provider, 'erin')
    const hash = hashToken(session.token)
    const fresh = await me(session.cookie)
    expect(fresh.headers.getSetCookie()).toEqual([]) // young session: nothing to refresh
    await db.sql`UPDATE sessions SET expires_at = now() + interval '2 hours' WHERE token_hash = ${hash}`
    await api.cache.invalidate([`credential:${hash.slice(0, 3)}`]) // as if its cached lookup had aged
    const refreshed = await me(session.cookie)
    expect(refreshed.status).toBe(200)
    expect(refreshed.headers.getSetCookie()).toHaveLength(1)
    const cookie = refreshed.headers.getSetCookie().find((c) => c.startsWith('session='))
    expect(cookie).toContain(`session=${session.token};`)
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie ?? '')?.[1])
    expect(maxAge).toBeGreaterThan(86_400 - 60)
    const [row] = await db.sql<{ left: number }[]>`SELECT extract(epoch FROM expires_at - now())::int AS left FROM sessions WHERE token_hash = ${hash}`
    expect(row?.left).toBeGreaterThan(86_400 - 60)
  })

  test('an expired session is a 401 token_expired, and the cookie is cleared', async () => {
    const session = await signIn(api, provider, 'frank')
    await db.sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = ${hashToken(session.token)}`
    // No invalidation: the cached lookup still says it is valid until now, and expiry is checked on every use.
    const res = await me(session.cookie)
    expect(await expectError(res, 401, 'token_expired')).toContain('sign in again')
    expect(res.headers.getSetCookie()).toEqual(['session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax'])
  })

  test('sign-out ends the session and clears the cookie; a session token also works as a bearer token', async () => {
    const session = await signIn(api, provider, 'grace')
    expect((await api.request('/auth/me', { headers: { authorization: `Bearer ${session.token}` } })).status).toBe(200)
    const out = await api.request('/auth/logout', { method: 'POST', headers: { cookie: session.cookie } })
    expect(out.status).toBe(204)
    expect(readCookie(out.headers.getSetCookie().join('; '), 'session')).toBe('')
    expect(out.headers.getSetCookie()[0]).toContain('Max-Age=0')
    await expectError(await me(session.cookie), 401, 'invalid_token')
    await expectError(await api.request('/auth/me', { headers: { authorization: `Bearer ${session.token}` } }), 401, 'invalid_token')
  })

  test('sign out everywhere ends every session of the user', async () => {
    const a = await signIn(api, provider, 'heidi')
    const b = await signIn(api, provider, 'heidi')
    expect((await api.request('/auth/logout?everywhere=true', { method: 'POST', headers: { cookie: a.cookie } })).status).toBe(204)
    await expectError(await me(a.cookie), 401, 'invalid_token')
    await expectError(await me(b.cookie), 401, 'invalid_token')
  })

  test('the session cookie is Secure when the public base URL is https', async () => {
    const secure = testApp(db.sql, { env: { ...oidcEnv(provider), PUBLIC_BASE_URL: 'https://api.example.test' } })
    const login = await secure.request('/auth/login/oidc')
    expect(login.headers.getSetCookie()[0]).toContain('; Secure')
    expect(new URL(login.headers.get('location') ?? '').searchParams.get('redirect_uri')).toBe('https://api.example.test/auth/callback/oidc')
  })
})

describe('sign-in configuration', () => {
  const base = { SESSION_SECRET }
  const fails = (env: Record<string, string>, variable: string) => {
    try {
      loadConfig(env)
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).variable).toBe(variable)
      return
    }
    throw new Error(`expected a ConfigError for ${variable}`)
  }

  test('a provider needs all its variables, and SESSION_SECRET', () => {
    fails({ GOOGLE_CLIENT_ID: 'id' }, 'GOOGLE_CLIENT_SECRET')
    fails({ ...base, TWITCH_CLIENT_SECRET: 's' }, 'TWITCH_CLIENT_ID')
    fails({ OIDC_ISSUER_URL: 'https://id.example', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y' }, 'SESSION_SECRET')
    fails({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', SESSION_SECRET: 'too short' }, 'SESSION_SECRET')
    fails({ ...base, OIDC_ISSUER_URL: 'http://id.example', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y' }, 'OIDC_ISSUER_URL')
    fails({ PUBLIC_BASE_URL: 'ftp://x' }, 'PUBLIC_BASE_URL')
    expect(loadConfig({ ...base, GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', TWITCH_CLIENT_ID: 'i', TWITCH_CLIENT_SECRET: 's' }).GOOGLE_CLIENT_ID).toBe('id')
    expect(loadConfig({}).FREE_DAILY_EXPORT_LIMIT).toBe(2)
  })

  test('Google and Twitch presets: enabled by their client id and secret', async () => {
    const presets = testApp(db.sql, { env: { ...base, GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'gs', TWITCH_CLIENT_ID: 't', TWITCH_CLIENT_SECRET: 'ts' } })
    // Discovery would need the internet: only the routing decision is checked here (no 404).
    await expectError(await presets.request('/auth/login/oidc'), 404, 'provider_not_found')
    const { configuredProviders } = await import('../src/modules/auth/oidc.ts')
    const specs = configuredProviders(loadConfig({ ...base, GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'gs', TWITCH_CLIENT_ID: 't', TWITCH_CLIENT_SECRET: 'ts' }))
    expect(specs.get('google')?.issuer.href).toBe('https://accounts.google.com/')
    expect(specs.get('twitch')?.issuer.href).toBe('https://id.twitch.tv/oauth2')
    expect(specs.get('twitch')?.scope).toContain('user:read:email')
  })
})
