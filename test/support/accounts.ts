import { expect } from 'bun:test'
import { scopesOfRole, type Account, type Plan, type Role, type Scope } from '../../src/http/caller.ts'
import { createAccount, createApiKey } from '../../src/modules/auth/service.ts'
import type { Sql } from '../../src/platform/db.ts'
import { CookieJar, followProvider, type TestProvider } from './oidc-provider.ts'

// Helpers for account tests: users with API keys straight from the database, and a full browser
// sign-in through the app and a real OpenID provider.

/** The public base URL the test apps run under: app.handle requests go to http://localhost. */
export const APP_ORIGIN = 'http://localhost'
export const SESSION_SECRET = 'a-session-secret-for-tests-only-0123456789'

export const oidcEnv = (provider: TestProvider): Record<string, string> => ({
  PUBLIC_BASE_URL: APP_ORIGIN,
  SESSION_SECRET,
  OIDC_ISSUER_URL: provider.issuer,
  OIDC_CLIENT_ID: provider.clientId,
  OIDC_CLIENT_SECRET: provider.clientSecret,
})

let emails = 0
export async function userWithKey(sql: Sql, o: { role?: Role; plan?: Plan; scopes?: Scope[]; expiresAt?: Date | null; email?: string } = {}) {
  const role = o.role ?? 'user'
  const account: Account = await createAccount(sql, { email: o.email ?? `user${++emails}-${crypto.randomUUID().slice(0, 8)}@example.test`, name: null, role, plan: o.plan ?? 'free' })
  const { key, view } = await createApiKey(sql, account.id, { name: 'test', scopes: o.scopes ?? scopesOfRole(role), expiresAt: o.expiresAt ?? null })
  return { account, key, keyId: view.id, auth: { authorization: `Bearer ${key}` } }
}

type Api = { request: (path: string, init?: RequestInit) => Promise<Response> }

export interface SignedIn {
  /** `session=<token>`, ready for a Cookie header. */
  cookie: string
  token: string
  /** The callback's redirect target. */
  location: string
  setCookie: string[]
}

/** Login redirect → provider (signs in as `account`) → callback: the session the app set. */
export async function signIn(api: Api, provider: TestProvider, account: string, returnTo?: string): Promise<SignedIn> {
  provider.nextAccount = account
  const login = await api.request(`/auth/login/oidc${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`)
  expect(login.status).toBe(302)
  const browser = new CookieJar()
  browser.store(login)
  const callback = await followProvider(login.headers.get('location') ?? '', APP_ORIGIN)
  const res = await api.request(callback.pathname + callback.search, { headers: { cookie: browser.header() } })
  if (res.status !== 302) throw new Error(`callback answered ${res.status}: ${await res.text()}`)
  browser.store(res)
  const token = browser.get('session')
  if (!token) throw new Error('no session cookie')
  return { cookie: `session=${token}`, token, location: res.headers.get('location') ?? '', setCookie: res.headers.getSetCookie() }
}

export interface ErrorJson {
  error: { code: string; message: string }
}

export async function expectError(res: Response, status: number, code: string): Promise<string> {
  const body = (await res.json()) as ErrorJson
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  expect(res.headers.get('cache-control')).toBe('no-store')
  return body.error.message
}
