import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freePort } from './private-postgres.ts'
import { until } from './until.ts'

// Private Redis deployments of several processes for the Sentinel and Cluster tests: each process
// on a free port, its files in the deployment's own temp dir, stopped by its PID (never by name).

export interface RedisNodeProcess {
  port: number
  /** Runs one command with redis-cli against this process; its output. */
  cli(...command: string[]): string
  kill(): Promise<void>
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered or replicated. */
  pause(): void
  resume(): void
}

function spawnNode(args: string[], port: number, dir: string): RedisNodeProcess {
  const proc: Subprocess = Bun.spawn(args, { cwd: dir, stdout: 'ignore', stderr: 'ignore' })
  return {
    port,
    cli: (...command) => Bun.spawnSync(['redis-cli', '-p', String(port), ...command]).stdout.toString().trim(),
    async kill() {
      proc.kill('SIGCONT')
      proc.kill('SIGKILL')
      await proc.exited
    },
    pause: () => proc.kill('SIGSTOP'),
    resume: () => proc.kill('SIGCONT'),
  }
}

const SERVER_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']

/** Kills every node this suite started (by PID) and removes their directory. */
async function stopNodes(nodes: readonly RedisNodeProcess[], dir: string): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()))
  rmSync(dir, { recursive: true, force: true })
}

async function redisServer(dir: string, extra: string[] = []): Promise<RedisNodeProcess> {
  const port = await freePort()
  const node = spawnNode(['redis-server', '--port', String(port), '--dir', dir, '--logfile', `redis-${port}.log`, ...SERVER_ARGS, ...extra], port, dir)
  await until(() => node.cli('ping') === 'PONG', 5000, `redis-server on ${port} answering`)
  return node
}

/** One primary, one replica, three sentinels watching them under `name` (quorum 2). */
export async function privateSentinels(name = 'ta-primary') {
  const dir = mkdtempSync(join(tmpdir(), 'ta-sentinel-'))
  const nodes: RedisNodeProcess[] = []
  try {
    const primary = await redisServer(dir, ['--dbfilename', 'primary.rdb'])
    nodes.push(primary)
    const replica = await redisServer(dir, ['--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(primary.port)])
    nodes.push(replica)
    await until(() => replica.cli('info', 'replication').includes('master_link_status:up'), 10_000, 'the replica in sync')
    const sentinels: RedisNodeProcess[] = []
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const conf = join(dir, `sentinel-${i}.conf`)
      // Sentinel rewrites its config file, so each gets its own; low timeouts keep the failover short.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 3000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      )
      const sentinel = spawnNode(['redis-sentinel', conf], port, dir)
      nodes.push(sentinel)
      sentinels.push(sentinel)
    }
    for (const s of sentinels) await until(() => s.cli('sentinel', 'get-master-addr-by-name', name).includes(String(primary.port)), 10_000, 'a sentinel watching the primary')
    // Every sentinel must know the others before a failover can reach its quorum.
    for (const s of sentinels) await until(() => /num-other-sentinels\s+2/.test(s.cli('sentinel', 'master', name)), 15_000, 'the sentinels knowing each other')
    return {
      name,
      primary,
      replica,
      sentinels,
      /** `REDIS_SENTINELS` for these sentinels. */
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      /** The port the sentinels currently name as the primary's. */
      primaryPort: () => Number(sentinels[0]?.cli('sentinel', 'get-master-addr-by-name', name).split('\n')[1]),
      stop: () => stopNodes(nodes, dir),
    }
  } catch (err) {
    await stopNodes(nodes, dir)
    throw err
  }
}

/** A cluster of `masters` masters with `replicasPerMaster` replicas each (redis-cli --cluster create). */
export async function privateCluster(masters = 3, replicasPerMaster = 1) {
  const dir = mkdtempSync(join(tmpdir(), 'ta-cluster-'))
  const nodes: RedisNodeProcess[] = []
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
      nodes.push(
        await redisServer(dir, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '1000', '--dbfilename', `dump-${i}.rdb`,
          // A replica may take over however long it was cut off (the test decides what it missed).
          '--cluster-replica-validity-factor', '0']),
      )
    }
    const create = Bun.spawnSync(['redis-cli', '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'])
    if (create.exitCode !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout.toString()}${create.stderr.toString()}`)
    await until(() => nodes.every((n) => n.cli('cluster', 'info').includes('cluster_state:ok')), 15_000, 'cluster_state:ok on every node')
    // A replica that has not finished its first sync cannot take over.
    await until(
      () => nodes.every((n) => !n.cli('role').startsWith('slave') || n.cli('info', 'replication').includes('master_link_status:up')),
      15_000,
      'every replica in sync',
    )
    const byPort = new Map(nodes.map((n) => [n.port, n]))
    return {
      nodes,
      /** `REDIS_CLUSTER_NODES` for this cluster. */
      nodeList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
      /** The node that serves `key`'s slot now (as the first live node sees it); undefined while none does. */
      masterOf(key: string): RedisNodeProcess | undefined {
        const live = nodes.find((n) => n.cli('ping') === 'PONG')
        const slot = Number(live?.cli('cluster', 'keyslot', key))
        for (const line of (live?.cli('cluster', 'nodes') ?? '').split('\n')) {
          const fields = line.split(' ')
          if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue
          const port = Number(fields[1]?.split(':')[1]?.split('@')[0])
          for (const range of fields.slice(8)) {
            const [from, to = from] = range.split('-').map(Number)
            if (from !== undefined && to !== undefined && slot >= from && slot <= to) return byPort.get(port) as RedisNodeProcess
          }
        }
        return undefined
      },
      /**
       * Moves the slot of `key` to another primary, as `redis-cli --cluster reshard` moves each slot:
       * IMPORTING/MIGRATING, MIGRATE of its keys, then SETSLOT NODE on every primary. Returns the new owner.
       */
      migrateSlotOf(key: string): RedisNodeProcess {
        const from = this.masterOf(key)
        const to = nodes.find((n) => n !== from && n.cli('role').startsWith('master'))
        if (!from || !to) throw new Error(`no primaries to move the slot of ${key} between`)
        const slot = from.cli('cluster', 'keyslot', key)
        const [fromId, toId] = [from.cli('cluster', 'myid'), to.cli('cluster', 'myid')]
        to.cli('cluster', 'setslot', slot, 'importing', fromId)
        from.cli('cluster', 'setslot', slot, 'migrating', toId)
        for (;;) {
          const keys = from.cli('cluster', 'getkeysinslot', slot, '100').split('\n').filter((k) => k !== '')
          if (keys.length === 0) break
          const moved = from.cli('migrate', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...keys)
          if (moved !== 'OK') throw new Error(`MIGRATE failed: ${moved}`)
        }
        for (const n of [to, from, ...nodes.filter((n) => n !== to && n !== from && n.cli('role').startsWith('master'))]) n.cli('cluster', 'setslot', slot, 'node', toId)
        return to
      },
      stop: () => stopNodes(nodes, dir),
    }
  } catch (err) {
    await stopNodes(nodes, dir)
    throw err
  }
}
