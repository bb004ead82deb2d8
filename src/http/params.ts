import { badRequest } from './errors.ts'

// Input checks that must fail as clean 400s before anything reaches the database.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A UUID in its hyphenated form, any case. */
export const isUuid = (s: string) => UUID.test(s)

export function parseId(raw: string, what = 'id'): string {
  if (!isUuid(raw)) throw badRequest('invalid_id', `${what} must be a UUID`)
  return raw.toLowerCase()
}

/** A real day of the proleptic Gregorian calendar in years 1..9999 (what Postgres accepts and prints with four digits). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return day <= days
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2}))?)?$/

/**
 * An optional ISO-8601 date (`2024-05-01`, midnight UTC) or date-time (`2024-05-01T10:00:00.5+02:00`;
 * UTC without an offset) query parameter, as a real instant between 0001-01-01 and 9999-12-31 UTC.
 * JS Dates roll 2024-02-30 over to March and reach years Postgres cannot be sent (postgres.js
 * writes year 10000 as `+010000`), so both are 400s here.
 */
export function parseDate(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined || raw === '') return undefined
  const invalid = () => badRequest(`invalid_${name}`, `${name} must be an ISO-8601 date or date-time between 0001-01-01 and 9999-12-31 UTC`)
  const m = ISO_DATE.exec(raw)
  if (!m) throw invalid()
  // Groups: date, time, then (7) the zone, whose hours and minutes are 8 and 9.
  const [y, mo, d, h, mi, s, oh, om] = [1, 2, 3, 4, 5, 6, 8, 9].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number, number, number]
  if (!isCalendarDate(y, mo, d) || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) throw invalid()
  const at = new Date(m[4] !== undefined && m[7] === undefined ? `${raw}Z` : raw)
  const year = at.getUTCFullYear()
  if (Number.isNaN(at.getTime()) || year < 1 || year > 9999) throw invalid()
  return at
}
