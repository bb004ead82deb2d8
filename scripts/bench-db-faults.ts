// `bun scripts/bench-db-faults.ts [--runs N]`: measures how fast the server fails and recovers
// when its database goes away, on a private PostgreSQL cluster and local black-hole listeners (the
// scenarios of test/db-faults.test.ts, repeated), and prints min / median / max per figure. Run it
// on a quiet machine: `flock -x /tmp/ta-cpu.lock bun scripts/bench-db-faults.ts`.
import { parseArgs } from 'node:util'
import { hung, outageScenario, startAgainstBlackHole, stopped, type OutageFigures } from '../test/support/db-faults.ts'
import { privatePostgres } from '../test/support/private-postgres.ts'
import { startServer } from '../test/support/server-process.ts'
import { startTcpProxy } from '../test/support/tcp-proxy.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const runs = Number(values.runs)
const CONNECT_TIMEOUT_S = 3

const figures = new Map<string, number[]>()
const record = (name: string, ms: number) => figures.set(name, [...(figures.get(name) ?? []), ms])

function recordOutage(label: string, f: OutageFigures) {
  if (f.unexpected > 0 || f.failuresAfterBack > 0) throw new Error(`${label}: ${f.unexpected} unexpected answers, ${f.failuresAfterBack} failures after it was back`)
  record(`${label}: fault → first 503`, f.faultToFirst503Ms)
  record(`${label}: slowest answer while down`, f.slowestWhileDownMs)
  record(`${label}: back → first answer from it`, f.backToFirstAnswerMs)
}

const pg = await privatePostgres()
const proxy = startTcpProxy('127.0.0.1', pg.port)
const serve = (url: string) => startServer(['bun', 'src/main.ts', 'serve'], { env: { DATABASE_URL: url, LOG_LEVEL: 'info' } })
try {
  const direct = await serve(pg.url)
  const proxied = await serve(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`)
  try {
    for (let i = 0; i < runs; i++) {
      recordOutage('pg_ctl stop -m fast / start', await outageScenario(direct.baseUrl, stopped(pg)))
      recordOutage('every connection hangs / answers again', await outageScenario(proxied.baseUrl, hung(proxy)))
      for (const kind of ['close', 'silent'] as const) {
        const failed = await startAgainstBlackHole(kind, { DB_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S) })
        if (failed.exitCode !== 1) throw new Error(`black hole (${kind}): exit ${failed.exitCode}\n${failed.output}`)
        record(`startup on a listener that accepts and ${kind === 'close' ? 'closes' : 'stays silent'} (DB_CONNECT_TIMEOUT=${CONNECT_TIMEOUT_S}): spawn → exit 1`, failed.ms)
        const stoppedEarly = await startAgainstBlackHole(kind, { DB_CONNECT_TIMEOUT: '30' }, 1000)
        if (stoppedEarly.exitCode !== 0) throw new Error(`SIGTERM (${kind}): exit ${stoppedEarly.exitCode}\n${stoppedEarly.output}`)
        record(`SIGTERM while waiting on a listener that ${kind === 'close' ? 'closes' : 'stays silent'}: signal → exit 0`, stoppedEarly.ms)
      }
      console.log(`run ${i + 1}/${runs} done`)
    }
  } finally {
    await Promise.all([direct.stop(), proxied.stop()])
  }
} finally {
  proxy.close()
  await pg.destroy()
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}
const fmt = (ms: number) => `${Math.round(ms)}`.padStart(6)
console.log(`\n${'figure (ms)'.padEnd(112)}    min median    max`)
for (const [name, xs] of figures) console.log(`${name.padEnd(112)} ${fmt(Math.min(...xs))} ${fmt(median(xs))} ${fmt(Math.max(...xs))}`)
process.exit(0) // startServer's listen timer would keep the process for a minute
