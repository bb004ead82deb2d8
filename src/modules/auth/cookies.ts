import { createHmac, timingSafeEqual } from 'node:crypto'

// The two cookies of sign-in: `session` (the session token; HttpOnly, SameSite=Lax, Secure when the
// public base URL is https) and `oauth_state` (state, nonce and PKCE verifier between the login
// redirect and the callback: signed with SESSION_SECRET, HttpOnly, ten minutes, callback path only).

export const SESSION_COOKIE = 'session'
export const STATE_COOKIE = 'oauth_state'
const STATE_PATH = '/auth/callback'
export const STATE_TTL_SECONDS = 600

/** The value of one cookie from a Cookie header (first occurrence), undefined when absent. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== name) continue
    const raw = part.slice(eq + 1).trim()
    return raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw
  }
  return undefined
}

export interface CookieOptions {
  secure: boolean
}

function serialize(name: string, value: string, path: string, maxAge: number, { secure }: CookieOptions): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

export const sessionCookie = (token: string, maxAgeSeconds: number, opts: CookieOptions) => serialize(SESSION_COOKIE, token, '/', Math.max(0, Math.floor(maxAgeSeconds)), opts)
export const clearSessionCookie = (opts: CookieOptions) => serialize(SESSION_COOKIE, '', '/', 0, opts)
export const clearStateCookie = (opts: CookieOptions) => serialize(STATE_COOKIE, '', STATE_PATH, 0, opts)

/** What the login redirect remembers for the callback. */
export interface LoginState {
  provider: string
  state: string
  nonce: string
  verifier: string
  returnTo: string
  /** Epoch ms after which the callback refuses it. */
  expires: number
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`oauth_state\0${payload}`).digest()

export function stateCookie(value: LoginState, secret: string, opts: CookieOptions): string {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url')
  return serialize(STATE_COOKIE, `${payload}.${mac(secret, payload).toString('base64url')}`, STATE_PATH, STATE_TTL_SECONDS, opts)
}

/** The login state from a cookie value, or undefined when missing, forged, malformed or expired. */
export function readStateCookie(raw: string | undefined, secret: string, now = Date.now()): LoginState | undefined {
  if (!raw) return undefined
  const [payload, sig, extra] = raw.split('.')
  if (!payload || !sig || extra !== undefined) return undefined
  const expected = mac(secret, payload)
  const given = Buffer.from(sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<LoginState>
    const strings = [v.provider, v.state, v.nonce, v.verifier, v.returnTo]
    if (!strings.every((s) => typeof s === 'string') || typeof v.expires !== 'number' || v.expires < now) return undefined
    return v as LoginState
  } catch {
    return undefined
  }
}

/**
 * A same-origin path to send the browser to after sign-in, or '/'. Anything that could leave the
 * site (`//evil`, `/\evil`, `https://…`, control characters) falls back to '/'.
 */
export function safeReturnTo(raw: string | undefined): string {
  if (!raw || raw.length > 1000 || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/'
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/'
  try {
    const resolved = new URL(raw, 'http://x.invalid')
    return resolved.origin === 'http://x.invalid' ? resolved.pathname + resolved.search + resolved.hash : '/'
  } catch {
    return '/'
  }
}
