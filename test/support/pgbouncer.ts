import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './private-postgres.ts'

// A private PgBouncer (Debian's `pgbouncer`) on a free port in front of the shared PostgreSQL.
// PgBouncer refuses to run as root, so the test runs it as the `postgres` user when it is root.

export const PGBOUNCER_BIN = Bun.which('pgbouncer') ?? (Bun.file('/usr/sbin/pgbouncer').size > 0 ? '/usr/sbin/pgbouncer' : undefined)

export interface PrivatePgBouncer {
  /** URL of `database` through the pooler. */
  url: string
  /** PgBouncer's log so far. */
  log(): Promise<string>
  stop(): Promise<void>
}

export async function privatePgBouncer(options: { database: string; upstreamPort: number; poolMode: 'transaction' | 'session'; poolSize: number }): Promise<PrivatePgBouncer> {
  if (!PGBOUNCER_BIN) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)')
  const dir = mkdtempSync(join(tmpdir(), 'ta-pgbouncer-'))
  const port = await freePort()
  const ini = join(dir, 'pgbouncer.ini')
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n')
  writeFileSync(
    ini,
    [
      '[databases]',
      `${options.database} = host=127.0.0.1 port=${options.upstreamPort} dbname=${options.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${options.poolMode}`,
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 200',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  )
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(dir, uid, gid)
    chmodSync(dir, 0o755)
  }
  const cmd = asRoot ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', PGBOUNCER_BIN, ini] : [PGBOUNCER_BIN, ini]
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
  const log = async () => Bun.file(join(dir, 'pgbouncer.log')).text().catch(() => '')
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`pgbouncer exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()} ${await log()}`)
    if ((await log()).includes('process up')) break
    if (i > 100) {
      proc.kill('SIGKILL')
      throw new Error(`pgbouncer did not start: ${await log()}`)
    }
    await Bun.sleep(50)
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${options.database}`,
    log,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
