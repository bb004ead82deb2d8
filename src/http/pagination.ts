import { createHmac, timingSafeEqual } from 'node:crypto'
import { t } from 'elysia'
import { badRequest } from './errors.ts'

// Opaque keyset cursors: base64url(JSON) plus a short MAC binding them to one endpoint and one
// filter set. The MAC is an integrity check, not a secret: a forged position could only show rows
// the list shows anyway, but a tampered or foreign cursor must be a clean 400, never a SQL error.

const MAC_KEY = 'transcript-api cursor v1'
const MAC_BYTES = 9

export type CursorValue = string | number

function mac(scope: string, payload: string): Buffer {
  return createHmac('sha256', MAC_KEY).update(scope).update('\0').update(payload).digest().subarray(0, MAC_BYTES)
}

/**
 * `scope` names the endpoint and every filter that shapes the list (e.g. `videos?channel=x&sort=created_at`),
 * so a cursor cannot be replayed against another list. `values` are the sort key and id of the last
 * row, exactly as Postgres returned them (timestamps as text: JS Dates would drop microseconds).
 */
export function encodeCursor(scope: string, values: readonly CursorValue[]): string {
  const payload = Buffer.from(JSON.stringify(values)).toString('base64url')
  return `${payload}.${mac(scope, payload).toString('base64url')}`
}

/** The values of a cursor made by encodeCursor for the same scope, or a 400 `invalid_cursor`. */
export function decodeCursor(scope: string, cursor: string, arity: number): CursorValue[] {
  const invalid = () => badRequest('invalid_cursor', 'the cursor is malformed, tampered with, or belongs to another list or filter set')
  const [payload, sig, extra] = cursor.split('.')
  if (!payload || !sig || extra !== undefined || cursor.length > 512) throw invalid()
  // Compare the text, not decoded bytes: base64url decoding ignores stray trailing characters.
  const expected = Buffer.from(mac(scope, payload).toString('base64url'))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid()
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(values) || values.length !== arity) throw invalid()
  if (!values.every((v) => typeof v === 'string' || typeof v === 'number')) throw invalid()
  return values as CursorValue[]
}

export interface Page<T> {
  items: T[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

/**
 * Builds a page from rows fetched with LIMIT limit + 1: the extra row only says whether another
 * page exists (no COUNT(*)); the cursor points at the last row shown.
 */
export function toPage<R, T>(rows: R[], limit: number, scope: string, keyOf: (row: R) => CursorValue[], toItem: (row: R) => T): Page<T> {
  const hasNext = rows.length > limit
  const shown = hasNext ? rows.slice(0, limit) : rows
  const last = shown.at(-1)
  return {
    items: shown.map(toItem),
    page_info: { next_cursor: hasNext && last !== undefined ? encodeCursor(scope, keyOf(last)) : null, has_next_page: hasNext },
  }
}

/** OpenAPI schema of a page of `item`. */
export const PageSchema = <T extends Parameters<typeof t.Array>[0]>(item: T, title: string) =>
  t.Object(
    {
      items: t.Array(item),
      page_info: t.Object({ next_cursor: t.Union([t.String(), t.Null()]), has_next_page: t.Boolean() }),
    },
    { title },
  )
