import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from '../src/platform/db.ts'
import { SerialisedFields, type LogFields, type Logger } from '../src/platform/log.ts'

// What the worker suites share: job rows, polling, the fake transcriber's files, and the processes
// of a transcriber's group as /proc sees them.

export const ROOT = join(import.meta.dir, '..')
export const FAKE = join(ROOT, 'test/fixtures/fake-transcriber.sh')

export interface JobRow {
  id: string
  state: string
  attempts: number
  claim_token: string
  claimed_by: string | null
  claimed_at: Date | null
  retry_at: Date | null
  error: string | null
  meta: Record<string, unknown>
}

export const videoUrl = (id: string) => `https://www.youtube.com/watch?v=${id}`

export async function insertJobs(sql: Sql, youtubeIds: string[]): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    INSERT INTO jobs (kind, input_url, meta, created_at)
    SELECT 'single', 'https://www.youtube.com/watch?v=' || y, jsonb_build_object('youtube_id', y), clock_timestamp()
    FROM unnest(${youtubeIds}::text[]) WITH ORDINALITY AS u(y, n) ORDER BY n
    RETURNING id`
  return rows.map((r) => r.id)
}

export async function job(sql: Sql, id: string): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    SELECT id, state, attempts, claim_token, claimed_by, claimed_at, retry_at, error, meta FROM jobs WHERE id = ${id}`
  if (!row) throw new Error(`no job ${id}`)
  return row
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(25)
  }
}

export const logLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : [])

/** The pids the fake transcriber wrote to `path`, one per complete line, once there are `count`. */
export const pidsIn = (path: string, count: number) =>
  until(`${count} pid(s) in ${path}`, 30_000, async () => {
    const pids = (existsSync(path) ? readFileSync(path, 'utf8') : '').split('\n').slice(0, -1).map(Number)
    return pids.length >= count && pids
  })

interface ProcStat {
  state: string
  pgid: number
}

/** /proc/<pid>/stat: the fields after the command name (which may hold spaces and parentheses). */
function procStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const [state = '', , pgid = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state, pgid: Number(pgid) }
}

/**
 * Whether `pid` is still running. A zombie is not: it is dead, only not yet reaped, and orphans
 * are re-parented to PID 1, which need not reap them (on this machine it does not).
 */
export const processAlive = (pid: number) => {
  const stat = procStat(pid)
  return stat !== undefined && stat.state !== 'Z'
}

export const processGroupOf = (pid: number) => procStat(pid)?.pgid

/** The live processes of process group `pgid`; with `zombies`, also those dead but not reaped. */
export function groupMembers(pgid: number, options: { zombies?: boolean } = {}): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const stat = procStat(pid)
      return stat?.pgid === pgid && (options.zombies === true || stat.state !== 'Z')
    })
}

export interface LogRecord {
  level: string
  msg: string
  fields: LogFields
}

/** A Logger that keeps what it is told, for assertions on the worker's log lines. */
export function recordingLog(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  const keep = (level: string) => (msg: string, fields?: LogFields | SerialisedFields) => {
    records.push({ level, msg, fields: fields instanceof SerialisedFields || fields === undefined ? {} : fields })
  }
  return { records, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }
}
