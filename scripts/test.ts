// The README's test command: runs `bun test` against the real PostgreSQL and Redis, then prints
// the one summary line CI reads: `tests: N passed, N failed`. Extra arguments go to `bun test`.
import { mkdirSync, readFileSync } from 'node:fs'

const reportPath = '.test-output/junit.xml'
mkdirSync('.test-output', { recursive: true })

// Suites create databases and start servers: a generous per-test default keeps a slow CI machine
// from failing on timing alone (bunfig.toml has no such setting in this Bun).
const TIMEOUT_MS = '60000'

const child = Bun.spawn(['bun', 'test', '--timeout', TIMEOUT_MS, '--reporter=junit', `--reporter-outfile=${reportPath}`, ...Bun.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit'],
})
const exitCode = await child.exited

let passed = 0
let failed = 0
try {
  const xml = readFileSync(reportPath, 'utf8')
  for (const testcase of xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? []) {
    if (/<skipped\b/.test(testcase)) continue
    if (/<(failure|error)\b/.test(testcase)) failed++
    else passed++
  }
} catch {
  // no report: bun test crashed before writing one
}
// A crash or a failure outside any test (e.g. in a hook) must still fail the run.
if (exitCode !== 0 && failed === 0) failed = 1
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(exitCode === 0 && failed === 0 ? 0 : 1)
