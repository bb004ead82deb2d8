import { writeSync } from 'node:fs'
import type { LogLevel } from '../config.ts'
import { requestScope, scopeMembers } from './request-scope.ts'

// One JSON object per line on stdout (warnings and errors on stderr), so any log shipper can parse it.

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type LogFields = Record<string, unknown>

/** Fields already serialised as JSON object members (`"a":1,"b":"x"`), for the line of every request. */
export class SerialisedFields {
  constructor(readonly members: string) {}
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields | SerialisedFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

// stdout lines (one per request at info level) are batched: one write per FLUSH_MS instead of one
// per line keeps logging off the hot path. Warnings and errors go out at once. Whatever is still
// buffered when the process exits is written synchronously on the way out.
const FLUSH_MS = 20
const FLUSH_BYTES = 64 * 1024
let pending = ''
let timer: Timer | undefined

function flush(): void {
  timer = undefined
  if (pending === '') return
  const out = pending
  pending = ''
  process.stdout.write(out)
}

function bufferLine(line: string): void {
  pending += line
  if (pending.length >= FLUSH_BYTES) flush()
  else timer ??= setTimeout(flush, FLUSH_MS)
}

process.on('exit', () => {
  if (pending !== '') writeSync(1, pending)
  pending = ''
})

// At one line per request, formatting the time is a visible share of a cache hit: once per ms.
let isoMs = 0
let iso = ''
function isoNow(): string {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    iso = new Date(now).toISOString()
  }
  return iso
}

/** `","level":…,"msg":…` per level and message (messages are constants in code: a bounded set). */
const levelAndMsg = new Map<LogLevel, Map<string, string>>()
function levelAndMsgJson(lvl: LogLevel, msg: string): string {
  let byMsg = levelAndMsg.get(lvl)
  if (!byMsg) levelAndMsg.set(lvl, (byMsg = new Map()))
  let json = byMsg.get(msg)
  if (json === undefined) {
    json = `","level":"${lvl}","msg":${JSON.stringify(msg)}`
    if (byMsg.size < 1000) byMsg.set(msg, json)
  }
  return json
}

/**
 * `{"time":…,"level":…,"msg":…, ...fields}` without copying the fields into a new object first.
 * A line logged while the router serves a request carries that request's id and client address
 * (src/platform/request-scope.ts); the request's own line brings them in its serialised fields.
 */
function formatLine(lvl: LogLevel, msg: string, fields: LogFields | SerialisedFields | undefined): string {
  let head = `{"time":"${isoNow()}${levelAndMsgJson(lvl, msg)}`
  if (fields instanceof SerialisedFields) return `${head},${fields.members}}\n`
  const scope = requestScope.getStore()
  if (scope) head += `,${scopeMembers(scope)}`
  const rest = fields === undefined ? '{}' : JSON.stringify(fields)
  return rest.length > 2 ? `${head},${rest.slice(1)}\n` : `${head}}\n`
}

/**
 * `redact` masks secrets in every line (src/redact.ts); the line of each request is
 * built from route templates, methods and numbers only, so it skips that cost.
 */
export function createLogger(level: LogLevel, redact?: (line: string) => string): Logger {
  const min = RANK[level]
  const write = (lvl: LogLevel, msg: string, fields?: LogFields | SerialisedFields) => {
    if (RANK[lvl] < min) return
    let line = formatLine(lvl, msg, fields)
    if (redact && !(fields instanceof SerialisedFields)) line = redact(line)
    if (RANK[lvl] >= RANK.warn) process.stderr.write(line)
    else bufferLine(line)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  }
}

/** Serialises an unknown thrown value for a log line without its stack in the HTTP response. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { error: err.message, stack: err.stack }
  return { error: String(err) }
}
