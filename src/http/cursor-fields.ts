import { isCalendarDate, isUuid } from './params.ts'

// What a cursor may hold at each position. A cursor's MAC proves the server made it, but values
// still get the checks user input gets: a leaked or rotated-in secret, or a row the server keyed
// oddly, must become a 400, never a Postgres cast error (a 500).

export type CursorValue = string | number

/** One position of a cursor: the value when it is what the list query binds there, else undefined. */
export interface CursorField<T extends CursorValue> {
  parse(value: CursorValue): T | undefined
}

const text = (check: (s: string) => boolean): CursorField<string> => ({
  parse: (v) => (typeof v === 'string' && check(v) ? v : undefined),
})

/** A uuid as Postgres prints it (lower case). */
export const uuidField = text((s) => isUuid(s) && s === s.toLowerCase())

const INT8_MAX = 2n ** 63n - 1n
/** A positive bigint (bigserial) id as text, within int8. */
export const bigintField = text((s) => /^\d{1,19}$/.test(s) && BigInt(s) <= INT8_MAX)

// real (float4): Postgres refuses `::real` of a value that overflows to infinity or underflows to
// zero. Ranks are 0 or far above the smallest normal float4, so anything smaller is refused too.
const FLOAT4_MIN_NORMAL = 1.1754943508222875e-38
const REAL_TEXT = /^\d+(?:\.\d+)?(?:e[-+]?\d+)?$/
/** A non-negative real as Postgres prints it, which `::real` accepts. */
export const realField = text((s) => {
  if (!REAL_TEXT.test(s)) return false
  const n = Number(s)
  return n === 0 || (n >= FLOAT4_MIN_NORMAL && Number.isFinite(Math.fround(n)))
})

const UTC_KEY = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/
/** True for timestamptz text as timestampKey writes it: a real UTC instant of years 1..9999 with microseconds. */
export function isTimestampKey(s: string): boolean {
  const m = UTC_KEY.exec(s)
  if (!m) return false
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  return isCalendarDate(y, mo, d) && h < 24 && mi < 60 && sec < 60
}

/** A timestamptz key (src/http/timestamp-key.ts). */
export const timestampField = text(isTimestampKey)

/** A timestamptz key, or ±infinity as Postgres spells it (sort keys that coalesce a missing date). */
export const timestampOrInfinityField = text((s) => s === 'infinity' || s === '-infinity' || isTimestampKey(s))
