import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

// Session tokens and API keys. Only their SHA-256 is ever stored or used as a cache key: a leaked
// table or cache dump holds nothing a client could present. Both carry 256 random bits, so a
// plain (unsalted, fast) hash is enough: there is nothing to brute-force.

const RANDOM_BYTES = 32

/** API keys start with this marker, so they are recognisable in logs, configs and secret scanners. */
export const API_KEY_MARKER = 'ta_'
/** The clear part of a key kept for display ("ta_AbCd1234…"): the marker and 8 random characters. */
export const API_KEY_DISPLAY_CHARS = API_KEY_MARKER.length + 8

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/
const API_KEY = /^ta_[A-Za-z0-9_-]{43}$/

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export const isSessionToken = (s: string): boolean => SESSION_TOKEN.test(s)
export const isApiKey = (s: string): boolean => API_KEY.test(s)

export interface NewSecret {
  /** Shown to the caller once, never stored. */
  token: string
  hash: string
}

export function newSessionToken(): NewSecret {
  const token = randomBytes(RANDOM_BYTES).toString('base64url')
  return { token, hash: hashToken(token) }
}

export function newApiKey(): NewSecret & { prefix: string } {
  const token = `${API_KEY_MARKER}${randomBytes(RANDOM_BYTES).toString('base64url')}`
  return { token, hash: hashToken(token), prefix: token.slice(0, API_KEY_DISPLAY_CHARS) }
}

/** Constant-time equality whatever the lengths (compares digests). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}
