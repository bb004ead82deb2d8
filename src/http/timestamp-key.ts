import type postgres from 'postgres'
import { badRequest } from './errors.ts'
import { decodeCursor } from './pagination.ts'

// Keyset cursors over (timestamptz, uuid). The timestamp travels as text made by Postgres in UTC
// with microseconds, and goes back as `${key}::text::timestamptz`: through a JS Date it would lose
// the microseconds and skip or repeat rows that share a millisecond.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const UTC_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** SQL for a timestamptz column as a cursor key: UTC, microseconds, independent of the session's TimeZone. */
export const timestampKey = (sql: postgres.ISql, column: postgres.PendingQuery<postgres.Row[]>) =>
  sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** [key, id] of a cursor for `scope`, or 400 `invalid_cursor` (a hand-made cursor never reaches Postgres as a bad cast). */
export function decodeTimestampCursor(scope: string, cursor: string): [string, string] {
  const [key, id] = decodeCursor(scope, cursor, 2)
  if (typeof key !== 'string' || typeof id !== 'string' || !UTC_KEY.test(key) || Number.isNaN(Date.parse(key)) || !UUID.test(id)) {
    throw badRequest('invalid_cursor', 'the cursor is malformed')
  }
  return [key, id]
}
