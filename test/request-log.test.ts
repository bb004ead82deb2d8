import { expect, test } from 'bun:test'
import { join } from 'node:path'

// The request log line, as a log shipper reads it: one JSON object per line on stdout, whichever
// way the recorder serialised it (memoised members for standard methods, JSON.stringify otherwise).

const ROOT = join(import.meta.dir, '..')

test('request lines are one JSON object each, with time, level, msg, method, route, status and ms', () => {
  const script = `
    import { createLogger } from './src/platform/log.ts'
    import { requestRecorder } from './src/http/request-recorder.ts'
    const record = requestRecorder(createLogger('info'), false)
    const scope = { requestId: 'req-1', ip: '203.0.113.9' }
    record('GET', '/videos/:id', 200, 0.123456, scope)
    record('GET', '/videos/:id', 200, 12, { requestId: 'a.b:c-2', ip: '2001:db8::1' })
    record('HEAD', '/search', 304, 0.004, scope)
    record('BREW', '(unmatched)', 404, 1.5, scope)
    record('GET', '/odd "route"\\\\', 500, 2, scope)
  `
  const run = Bun.spawnSync(['bun', '-e', script], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  expect(run.stderr.toString()).toBe('')
  const lines = run.stdout.toString().trimEnd().split('\n')
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  expect(parsed.map(({ time, ...rest }) => rest)).toEqual([
    { level: 'info', msg: 'request', method: 'GET', route: '/videos/:id', status: 200, ms: 0.12, request_id: 'req-1', ip: '203.0.113.9' },
    { level: 'info', msg: 'request', method: 'GET', route: '/videos/:id', status: 200, ms: 12, request_id: 'a.b:c-2', ip: '2001:db8::1' },
    { level: 'info', msg: 'request', method: 'HEAD', route: '/search', status: 304, ms: 0, request_id: 'req-1', ip: '203.0.113.9' },
    { level: 'info', msg: 'request', method: 'BREW', route: '(unmatched)', status: 404, ms: 1.5, request_id: 'req-1', ip: '203.0.113.9' },
    { level: 'info', msg: 'request', method: 'GET', route: '/odd "route"\\', status: 500, ms: 2, request_id: 'req-1', ip: '203.0.113.9' },
  ])
  for (const { time } of parsed) expect(new Date(time as string).toISOString()).toBe(time as string)
})
