import { badRequest } from './errors.ts'

// Input checks that must fail as clean 400s before anything reaches the database.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function parseId(raw: string, what = 'id'): string {
  if (!UUID.test(raw)) throw badRequest('invalid_id', `${what} must be a UUID`)
  return raw.toLowerCase()
}

/** An optional id query parameter: absent when missing or empty, else a UUID (400 `invalid_id`). */
export function parseOptionalId(raw: string | undefined, what: string): string | undefined {
  return raw === undefined || raw === '' ? undefined : parseId(raw, what)
}

/** `limit` query parameter: an integer in [min, max], `fallback` when absent. */
export function parseLimit(raw: string | undefined, fallback: number, max: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < min || n > max) throw badRequest('invalid_limit', `limit must be an integer from ${min} to ${max}`)
  return n
}

/** An optional query parameter restricted to `values`; anything else is a 400 naming them. */
export function parseEnum<const V extends string>(name: string, raw: string | undefined, values: readonly V[]): V | undefined {
  if (raw === undefined || raw === '') return undefined
  const v = values.find((x) => x === raw)
  if (v === undefined) throw badRequest(`invalid_${name}`, `${name} must be one of ${values.join(', ')}`)
  return v
}

/** An optional ISO-8601 date or date-time query parameter. */
export function parseDate(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined || raw === '') return undefined
  const d = new Date(raw)
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(d.getTime())) throw badRequest(`invalid_${name}`, `${name} must be an ISO-8601 date`)
  return d
}
