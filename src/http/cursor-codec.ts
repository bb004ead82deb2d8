import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Sql } from '../platform/db.ts'
import type { CursorField, CursorValue } from './cursor-fields.ts'
import { badRequest } from './errors.ts'

// Opaque keyset cursors: base64url(JSON) plus a MAC binding them to one endpoint and one filter
// set. The MAC key is a random secret the database generated once (sql/0008_cursor_secret.sql):
// every instance on the database signs alike with no setup, and it is in no source file, so a
// client cannot make a cursor the server did not. Rotating it only makes outstanding cursors 400s.

const MAC_BYTES = 9
const MAX_CURSOR_CHARS = 512
/** The row of server_secrets that holds the key. */
const SECRET_NAME = 'cursor_signing_key'

type Decoded<F extends readonly CursorField<CursorValue>[]> = { -readonly [K in keyof F]: F[K] extends CursorField<infer T> ? T : never }

const invalidCursor = () => badRequest('invalid_cursor', 'the cursor is malformed, tampered with, or belongs to another list or filter set')

export class CursorCodec {
  readonly #key: Buffer

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('the cursor signing key must be at least 32 characters')
    this.#key = Buffer.from(secret)
  }

  #mac(scope: string, payload: string): string {
    return createHmac('sha256', this.#key).update(scope).update('\0').update(payload).digest().subarray(0, MAC_BYTES).toString('base64url')
  }

  /**
   * `scope` names the endpoint and every filter that shapes the list (e.g. `GET /videos ["created_at",null,…]`),
   * so a cursor cannot be replayed against another list. `values` are the sort key and id of the last
   * row, exactly as Postgres printed them (timestamps as text: JS Dates would drop microseconds).
   */
  encode(scope: string, values: readonly CursorValue[]): string {
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url')
    return `${payload}.${this.#mac(scope, payload)}`
  }

  /** The values of a cursor this codec made for `scope`, one per field and each accepted by it, or a 400 `invalid_cursor`. */
  decode<const F extends readonly CursorField<CursorValue>[]>(scope: string, cursor: string, fields: F): Decoded<F> {
    const [payload, sig, extra] = cursor.split('.')
    if (!payload || !sig || extra !== undefined || cursor.length > MAX_CURSOR_CHARS) throw invalidCursor()
    // Compare the text, not decoded bytes: base64url decoding ignores stray trailing characters.
    const expected = Buffer.from(this.#mac(scope, payload))
    const given = Buffer.from(sig)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor()
    let values: unknown
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      throw invalidCursor()
    }
    if (!Array.isArray(values) || values.length !== fields.length) throw invalidCursor()
    return fields.map((field, i) => {
      const v: unknown = values[i]
      const parsed = typeof v === 'string' || typeof v === 'number' ? field.parse(v) : undefined
      if (parsed === undefined) throw invalidCursor()
      return parsed
    }) as Decoded<F>
  }
}

/** The cursor signing key, read once at startup (the migrations create it). */
export async function readCursorSecret(sql: Sql): Promise<string> {
  const [row] = await sql<{ value: string }[]>`SELECT value FROM server_secrets WHERE name = ${SECRET_NAME}`
  if (!row) throw new Error(`server_secrets has no ${SECRET_NAME}: the migrations have not run on this database`)
  return row.value
}
