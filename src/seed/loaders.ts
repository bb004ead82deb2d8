import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type postgres from 'postgres'
import { copyChunks } from './copy-format.ts'
import { JsonCell, type Row, type TableRows } from './rows.ts'

// Two ways to get rows into a table inside the seed's transaction: COPY FROM STDIN, streamed, for
// PostgreSQL; multi-row INSERTs for the embedded PGlite, whose socket server drops the
// connection when a client starts COPY FROM STDIN (tried with @electric-sql/pglite-socket 0.2.17,
// which src/platform/embedded-socket.ts has replaced since; COPY through that one is untried).

export type Tx = postgres.TransactionSql

export interface Loader {
  readonly method: 'copy' | 'insert'
  /** Loads every row; `onRows` hears progress in batches. Returns the number of rows loaded. */
  load(rows: TableRows, onRows: (n: number) => void): Promise<number>
}

/**
 * Rejects with the server's error when the query fails. postgres.js 3.4.9 settles neither the
 * COPY writable nor anything else when PostgreSQL rejects the data after the client has sent
 * CopyDone (a bad last row, a foreign key checked at the end of the statement): the pipeline would
 * wait forever and the error would be lost (porsager/postgres#1173). The driver still hands that
 * error to the query's own `reject`, which has no effect once the query has resolved with the
 * stream, so we listen there. If a later driver drops that hook, this promise simply never settles
 * and behaviour is the driver's own.
 */
function serverErrorOf(query: object): Promise<never> {
  const internals = query as { reject?: unknown }
  return new Promise<never>((_, rejectWith) => {
    const original = internals.reject
    if (typeof original !== 'function') return
    const forward = original as (err: unknown) => void
    internals.reject = (err: unknown) => {
      rejectWith(err)
      forward(err)
    }
  })
}

export function copyLoader(tx: Tx): Loader {
  return {
    method: 'copy',
    async load({ table, columns, rows }, onRows) {
      let loaded = 0
      const query = tx.unsafe(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)
      const failed = serverErrorOf(query)
      const writable = await Promise.race([query.writable(), failed])
      // Readable.from pulls the generator only as fast as the socket drains: rows are generated
      // while PostgreSQL parses and indexes the previous chunk, and memory stays flat.
      const source = Readable.from(
        copyChunks(rows, (n) => {
          loaded += n
          onRows(n)
        }),
      )
      await Promise.race([pipeline(source, writable), failed])
      return loaded
    },
  }
}

/** "($1, $2), ($3, $4)" for `rows` rows of `columns` columns. */
function placeholders(rows: number, columns: number): string {
  const out: string[] = new Array(rows)
  let p = 1
  for (let r = 0; r < rows; r++) {
    const cells: string[] = new Array(columns)
    for (let c = 0; c < columns; c++) cells[c] = `$${p++}`
    out[r] = `(${cells.join(', ')})`
  }
  return out.join(', ')
}

/**
 * Multi-row INSERTs of up to `maxRows` rows. Parameters go untyped, so the server casts each one
 * to its column's type exactly as COPY would parse the same text.
 */
export function insertLoader(tx: Tx, maxRows = 500): Loader {
  return {
    method: 'insert',
    async load({ table, columns, rows }, onRows) {
      const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `
      const fullBatch = head + placeholders(maxRows, columns.length)
      let loaded = 0
      let batch: Row[] = []
      const flush = async () => {
        if (batch.length === 0) return
        const text = batch.length === maxRows ? fullBatch : head + placeholders(batch.length, columns.length)
        const params = batch.flat().map((cell) => (cell instanceof JsonCell ? tx.json(cell.value) : cell))
        await tx.unsafe(text, params)
        loaded += batch.length
        onRows(batch.length)
        batch = []
      }
      for (const row of rows) {
        batch.push(row)
        if (batch.length === maxRows) await flush()
      }
      await flush()
      return loaded
    },
  }
}
