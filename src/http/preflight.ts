import { Elysia } from 'elysia'
import { CORS_METHODS } from './cors.ts'
import type { Exchange } from './edge.ts'
import { jsonError } from './errors.ts'

// CORS preflights (OPTIONS with Origin and Access-Control-Request-Method), on any path, added only
// while CORS_ORIGINS is set. An allowed origin gets 204 with the methods, headers and max age of
// src/http/cors.ts (and, like every response to it, its Allow-Origin from the edge profile); an
// origin not allowed gets 403 `origin_not_allowed` and no Access-Control-* header, so the browser
// refuses the call and the page's developer sees why in the network panel. Any other OPTIONS is
// answered with Allow.

const ALLOW = `${CORS_METHODS}, OPTIONS`

export function preflightRoute(exchangeOf: (request: Request) => Exchange) {
  return new Elysia({ name: 'cors-preflight' }).options(
    '/*',
    ({ request }) => {
      const headers = request.headers
      if (!headers.has('origin') || !headers.has('access-control-request-method')) return new Response(null, { status: 204, headers: { allow: ALLOW } })
      const { preflight } = exchangeOf(request).edge
      if (!preflight) return jsonError(403, 'origin_not_allowed', 'this origin may not call the API from a browser (it is not in CORS_ORIGINS)')
      return new Response(null, { status: 204, headers: preflight as [string, string][] })
    },
    { detail: { hide: true } },
  )
}
