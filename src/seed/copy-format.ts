import { JsonCell, type Row } from './rows.ts'

// PostgreSQL's COPY text format: one line per row, columns separated by tabs, NULL as \N, and a
// backslash escaping the characters that would otherwise end a column or a row. (Only these
// four need it; everything else, including any UTF-8, goes through as is.)

const NEEDS_ESCAPE = /[\\\t\n\r]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

export function escapeCopyText(value: string): string {
  // Nearly every value has nothing to escape: test first rather than always running replace.
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : value
}

export function encodeCopyRow(row: Row): string {
  let line = ''
  for (let i = 0; i < row.length; i++) {
    const cell = row[i]
    if (i > 0) line += '\t'
    if (cell === null || cell === undefined) line += '\\N'
    else if (typeof cell === 'number') line += String(cell)
    else if (cell instanceof JsonCell) line += escapeCopyText(JSON.stringify(cell.value))
    else line += escapeCopyText(cell)
  }
  return line + '\n'
}

/**
 * Rows as COPY text in chunks of about `chunkChars`: one stream write per chunk rather than per
 * row. `onRows` hears how many rows each chunk held, for progress.
 */
export function* copyChunks(rows: Iterable<Row>, onRows: (n: number) => void, chunkChars = 256 * 1024): Generator<string> {
  let chunk = ''
  let count = 0
  for (const row of rows) {
    chunk += encodeCopyRow(row)
    count++
    if (chunk.length >= chunkChars) {
      yield chunk
      onRows(count)
      chunk = ''
      count = 0
    }
  }
  if (count > 0) {
    yield chunk
    onRows(count)
  }
}
