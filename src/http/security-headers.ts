// Headers every response carries, whatever answered it (fast path, router, error handlers): the
// API serves JSON and one HTML page (Swagger UI, which sets its own Content-Security-Policy), none
// of which is meant to be sniffed as another type, framed by another site or leak its URL onward.

export type HeaderPair = readonly [name: string, value: string]

/** One year: browsers remember to use https for the host that long after a visit. */
const HSTS_SECONDS = 365 * 24 * 3600

export function securityHeaders(publicBaseUrl: string): HeaderPair[] {
  const pairs: HeaderPair[] = [
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
    ['x-frame-options', 'DENY'],
  ]
  // Only where users reach the server over https: on plain http it would be ignored, or pin a
  // development host to https that does not serve it.
  if (new URL(publicBaseUrl).protocol === 'https:') pairs.push(['strict-transport-security', `max-age=${HSTS_SECONDS}`])
  return pairs
}
