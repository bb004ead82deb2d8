// PostgreSQL WAL positions (pg_lsn, printed as two hex halves `16/B374D848`) as bigints, which
// compare and take maxima like the byte positions they are.

export type Lsn = bigint

export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text)
  if (!m) throw new Error(`not a WAL position: ${JSON.stringify(text)}`)
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/**
 * The primary's WAL insert position: at or past the end of every commit record already written,
 * whether or not it reached disk. Not pg_current_wal_lsn(): with synchronous_commit=off that is
 * the *write* position, which can trail a commit that has already returned (seen here: 0/3000000
 * against an insert position of 0/3015E88), and a replica at it would not have the write yet.
 */
export const PRIMARY_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn'

/**
 * What a hot standby has replayed (its data is as of that position) and whether it still is one:
 * a promoted server is no longer fed by our primary.
 */
export const REPLAY_LSN_SQL = 'SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_is_in_recovery() AS standby'
