import { createServer } from 'node:net'

// A throwaway PostgreSQL cluster (scripts/private-postgres.sh: initdb + pg_ctl) on a free port,
// which a fault test may stop and start again; the shared server on 5432 is never touched.

const SCRIPT = 'scripts/private-postgres.sh'

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function run(...args: string[]): Promise<void> {
  const proc = Bun.spawn(['bash', SCRIPT, ...args], { stdout: 'ignore', stderr: 'pipe' })
  if ((await proc.exited) !== 0) throw new Error(`${SCRIPT} ${args.join(' ')} failed: ${await new Response(proc.stderr).text()}`)
}

export interface PrivatePostgres {
  port: number
  /** URL of its `postgres` database. */
  url: string
  /** Starts it again (pg_ctl start; resolves once it accepts connections). */
  start(): Promise<void>
  /** Fast shutdown, as `pg_ctl stop -m fast`: running queries are cut off, the data is kept. */
  halt(): Promise<void>
  /** SIGKILL to its postmaster and every backend (a dead host): no goodbye on any connection; `start` recovers it. */
  crash(): Promise<void>
  /** Stops it and deletes its data. */
  destroy(): Promise<void>
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort()
  const start = () => run('start', String(port), '128MB')
  await start()
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    halt: () => run('halt', String(port)),
    crash: () => run('crash', String(port)),
    destroy: () => run('stop', String(port)),
  }
}

export interface PrivateReplica {
  port: number
  url: string
  /** SIGKILL to its postmaster and every backend: connections drop at once, new ones are refused. */
  crash(): Promise<void>
  /** SIGSTOP to them: connections stay open and nothing answers (a hung host), until `resume`. */
  pause(): Promise<void>
  resume(): Promise<void>
  /** Stops it (if still running) and deletes its data. */
  destroy(): Promise<void>
}

/** A streaming hot standby of `primary` (pg_basebackup -R) that applies each commit `applyDelay` (e.g. '2s') late. */
export async function privateReplica(primary: PrivatePostgres, applyDelay = '0'): Promise<PrivateReplica> {
  const port = await freePort()
  await run('replica', String(port), String(primary.port), applyDelay)
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: () => run('crash', String(port)),
    pause: () => run('pause', String(port)),
    resume: () => run('resume', String(port)),
    destroy: () => run('stop', String(port)),
  }
}
