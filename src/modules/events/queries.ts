import type postgres from 'postgres'
import type { Sql } from '../../platform/db.ts'
import type { StoredEvent } from './model.ts'

// Usage events: what the server records (exports, searches) and what clients post. Quota counts
// read events_user_type_created_idx (user_id, type, created_at): today's rows of one type, index only.

/** A pool or a transaction: what the statements below run on. */
type Queryable = postgres.ISql

export const EXPORT_EVENT = 'export'
export const SEARCH_EVENT = 'search'
/** Types only the server records: a client posting them could skew usage and quotas. */
export const RESERVED_EVENT_TYPES: readonly string[] = [EXPORT_EVENT, SEARCH_EVENT]

export interface NewEvent {
  user_id: string | null
  session_id: string | null
  type: string
  payload: Record<string, unknown>
  /** ISO time of the event; defaults to the insert's now(). Batched events keep the time they happened. */
  created_at?: string
}


interface EventRow extends Omit<StoredEvent, 'created_at'> {
  created_at: Date
}

const toEvent = (r: EventRow): StoredEvent => ({ ...r, created_at: r.created_at.toISOString() })

/**
 * Any number of events in ONE statement: the rows travel as a single JSON parameter (no bind-
 * parameter limit, one round trip); `::text::json` because postgres.js would encode a typed json
 * parameter twice.
 */
export async function insertEvents(sql: Queryable, events: readonly NewEvent[]): Promise<StoredEvent[]> {
  if (events.length === 0) return []
  const rows = events.map((e) => ({ ...e, created_at: e.created_at ?? null }))
  const inserted = await sql<EventRow[]>`
    INSERT INTO events (user_id, session_id, type, payload, created_at)
    SELECT r.user_id, r.session_id, r.type, coalesce(r.payload, '{}'), coalesce(r.created_at, now())
    FROM json_to_recordset(${JSON.stringify(rows)}::text::json)
      AS r(user_id uuid, session_id uuid, type text, payload jsonb, created_at timestamptz)
    RETURNING id, user_id, session_id, type, payload, created_at`
  return inserted.map(toEvent)
}

/** Midnight UTC today, in SQL (the quota day). */
const startOfTodayUtc = (sql: Queryable) => sql`(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`

/** The quota count as one statement, not yet run: the EXPLAIN test checks the plan of this exact SQL. */
export function countTodayQuery(sql: Queryable, userId: string, type: string) {
  return sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM events
    WHERE user_id = ${userId} AND type = ${type} AND created_at >= ${startOfTodayUtc(sql)}`
}

/** Advisory-lock class of quota checks (the second key is the user's), apart from other advisory locks. */
const QUOTA_LOCK_CLASS = 0x71756f74 // 'quot'

export interface QuotaDecision {
  allowed: boolean
  /** Today's count including this one when allowed. */
  used: number
}

/**
 * Check and record in one transaction, serialised per user by an advisory lock: of N concurrent
 * calls exactly `limit - used` succeed. (Count-then-insert without the lock lets them all count
 * the same number and all pass.) The lock is per user, so different users never wait on each other.
 */
export async function consumeQuota(sql: Sql, event: NewEvent & { user_id: string }, limit: number): Promise<QuotaDecision> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${QUOTA_LOCK_CLASS}, hashtext(${event.user_id}))`
    const [row] = await countTodayQuery(tx, event.user_id, event.type)
    const used = row?.n ?? 0
    if (used >= limit) return { allowed: false, used }
    await insertEvents(tx, [event])
    return { allowed: true, used: used + 1 }
  })
}

export async function countToday(sql: Sql, userId: string, type: string): Promise<number> {
  const [row] = await countTodayQuery(sql, userId, type)
  return row?.n ?? 0
}

/** Today's exports and searches of a user (two index-only counts on the same index). */
export async function usageToday(sql: Sql, userId: string): Promise<{ exports: number; searches: number }> {
  const [exports, searches] = await Promise.all([countToday(sql, userId, EXPORT_EVENT), countToday(sql, userId, SEARCH_EVENT)])
  return { exports, searches }
}

/** Midnight UTC after `now`, when today's quota resets. */
export function quotaResetsAt(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString()
}

export interface ListEventsInput {
  type: string | undefined
  userId: string | undefined
  limit: number
  /** id of the last event of the previous page */
  beforeId: string | undefined
}

/**
 * Newest first over id (bigserial: insertion order, exact keyset). The unfiltered list reads the
 * primary key backwards; `user` uses events_user_id_idx, `type` events_type_id_idx.
 */
export function listEventsQuery(sql: Sql, i: ListEventsInput) {
  return sql<EventRow[]>`
    SELECT id, user_id, session_id, type, payload, created_at FROM events
    WHERE true
      ${i.userId === undefined ? sql`` : sql`AND user_id = ${i.userId}`}
      ${i.type === undefined ? sql`` : sql`AND type = ${i.type}`}
      ${i.beforeId === undefined ? sql`` : sql`AND id < ${i.beforeId}::bigint`}
    ORDER BY id DESC
    LIMIT ${i.limit + 1}`
}

export async function listEvents(sql: Sql, i: ListEventsInput): Promise<(StoredEvent & { id: string })[]> {
  return (await listEventsQuery(sql, i)).map(toEvent)
}
