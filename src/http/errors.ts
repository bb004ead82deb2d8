import { Conflict, InvalidInput, NotFound, QuotaExceeded } from '../platform/domain-errors.ts'

// Every error leaves the server as { error: { code, message } } with the right status.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The HTTP error an error stands for: itself, or a service's domain error with its status (the one
 * place domain errors meet HTTP); undefined for anything else (a 500, or the database's 503).
 */
export function httpErrorOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err
  if (err instanceof InvalidInput) return new HttpError(400, err.code, err.message)
  if (err instanceof NotFound) return new HttpError(404, err.code, err.message)
  if (err instanceof Conflict) return new HttpError(409, err.code, err.message)
  if (err instanceof QuotaExceeded) return new HttpError(402, err.code, err.message)
  return undefined
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message)
export const notFound = (code: string, message: string) => new HttpError(404, code, message)

export interface ErrorBody {
  error: { code: string; message: string }
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } })

export function jsonError(status: number, code: string, message: string, headers?: Record<string, string>): Response {
  const h = new Headers(headers)
  h.set('content-type', 'application/json')
  h.set('cache-control', 'no-store')
  return new Response(JSON.stringify(errorBody(code, message)), { status, headers: h })
}

/** The realm of every 401's challenge. */
export const AUTH_REALM = 'transcript-api'

/**
 * The `WWW-Authenticate` of a 401 (RFC 6750 §3): `error="invalid_token"` when the request presented
 * a credential that failed (unknown, malformed, revoked, expired), none when it presented none.
 */
export function bearerChallenge(presented: boolean): string {
  return presented ? `Bearer realm="${AUTH_REALM}", error="invalid_token"` : `Bearer realm="${AUTH_REALM}"`
}
