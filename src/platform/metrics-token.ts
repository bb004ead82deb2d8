import { createHash, timingSafeEqual } from 'node:crypto'

// The METRICS_TOKEN check, one for every /metrics (the server's route and the worker's own
// listener): `Authorization: Bearer <token>`, compared in constant time over digests (so neither
// the token's length nor its characters leak through timing).

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Whether the request may read metrics: always without a token, else only with `Bearer <token>`. */
export function metricsAuthorized(authorization: string | null, token: string | undefined): boolean {
  if (!token) return true
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? ''
  return timingSafeEqual(digest(given), digest(token))
}

export const METRICS_UNAUTHORIZED = { code: 'unauthorized', message: '/metrics requires `Authorization: Bearer <METRICS_TOKEN>`' } as const
