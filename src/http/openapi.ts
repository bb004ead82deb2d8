import type { TSchema } from 'elysia'

/**
 * OpenAPI `responses` for routes that return ready (cached) responses. The schemas document the
 * JSON the bytes hold; they are not a route `response` map because Elysia would try to validate
 * the prepared bytes on every hit, which is the work the cache exists to skip.
 */
export function documentedResponses(byStatus: Record<number, TSchema>) {
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, schema]) => [
      status,
      { description: typeof schema.description === 'string' ? schema.description : `HTTP ${status}`, content: { 'application/json': { schema } } },
    ]),
  )
}
