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
