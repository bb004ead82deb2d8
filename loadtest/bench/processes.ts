import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'

// Every process the runner starts goes through here, so one call stops them all, on success,
// failure, Ctrl-C or SIGTERM. Processes are ended by their own handle (their pid), never by name.

interface Child {
  name: string
  proc: Subprocess
}

const children: Child[] = []

export function track(name: string, proc: Subprocess): Subprocess {
  children.push({ name, proc })
  return proc
}

async function stopOne({ proc }: Child): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill('SIGTERM')
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(12_000).then(() => false)])
  if (!exited) {
    proc.kill('SIGKILL')
    await proc.exited
  }
}

export async function stopAll(): Promise<void> {
  const all = children.splice(0).reverse()
  await Promise.all(all.map(stopOne))
}

let handlersInstalled = false

/** Ctrl-C / SIGTERM: stop everything started, then exit. */
export function stopOnSignals(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping everything the bench started`)
      void stopAll().then(() => process.exit(130))
    })
  }
}

/** A TCP port that was free a moment ago (the kernel picks it). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

/** Polls `url` until it answers 200, the process exits, or the time is up. */
export async function waitUntilReady(url: string, proc: Subprocess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}) before it was ready`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000), decompress: false })
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await Bun.sleep(100)
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s (${url})`)
}

/** CPU time (user + system, all threads) a process has used so far, in ms; from /proc, Linux only. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

const CLOCK_TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK'], { stdout: 'pipe', stderr: 'ignore' }).stdout.toString().trim()) || 100
