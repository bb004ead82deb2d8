import type postgres from 'postgres'
import type { CursorCodec } from './cursor-codec.ts'
import { timestampField, uuidField } from './cursor-fields.ts'

// Keyset cursors over (timestamptz, uuid). The timestamp travels as text made by Postgres in UTC
// with microseconds, and goes back as `${key}::text::timestamptz`: through a JS Date it would lose
// the microseconds and skip or repeat rows that share a millisecond.

/** SQL for a timestamptz column as a cursor key: UTC, microseconds, independent of the session's TimeZone. */
export const timestampKey = (sql: postgres.ISql, column: postgres.PendingQuery<postgres.Row[]>) =>
  sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** [key, id] of a cursor for `scope`, or 400 `invalid_cursor`. */
export const decodeTimestampCursor = (cursors: CursorCodec, scope: string, cursor: string): [string, string] =>
  cursors.decode(scope, cursor, [timestampField, uuidField])
