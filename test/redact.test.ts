import { afterEach, describe, expect, test } from 'bun:test'
import { createLogger, SerialisedFields } from '../src/platform/log.ts'
import { redactUrl, redactUrlPasswords, secretRedactor } from '../src/redact.ts'

describe('redaction', () => {
  test('URL passwords are masked wherever they appear; URLs without one are left alone', () => {
    expect(redactUrlPasswords('connect postgres://app:s3cret@db:5432/x failed')).toBe('connect postgres://app:***@db:5432/x failed')
    expect(redactUrlPasswords('{"url":"redis://:s3cret@cache/0","email":"a@b.example"}')).toBe('{"url":"redis://:***@cache/0","email":"a@b.example"}')
    for (const plain of ['postgres://app@db:5432/x', 'postgres://db:5432/x', 'http://localhost:8000/auth?next=a@b']) expect(redactUrlPasswords(plain)).toBe(plain)
  })

  test('a single URL, even one that does not parse, loses everything between its user name and its last @', () => {
    expect(redactUrl('postgres://app:p@ss/w#rd@db/x')).toBe('postgres://app:***@db/x')
    expect(redactUrl('redis://:pw@cache:6379')).toBe('redis://:***@cache:6379')
    for (const plain of ['postgres://app@db:5432/x', 'postgres://db:5432/x', 'not a url']) expect(redactUrl(plain)).toBe(plain)
  })

  test('configured secrets are masked as written and as JSON escapes them; short values are ignored', () => {
    const redact = secretRedactor(['token-with-"quote"-0123456789', 'abc'])
    expect(redact('Bearer token-with-"quote"-0123456789')).toBe('Bearer ***')
    expect(redact(JSON.stringify({ h: 'token-with-"quote"-0123456789' }))).toBe('{"h":"***"}')
    expect(redact('abc stays')).toBe('abc stays')
  })

  describe('the logger', () => {
    const realWrite = process.stderr.write.bind(process.stderr)
    afterEach(() => {
      process.stderr.write = realWrite
    })

    test('masks secrets in every line it writes', () => {
      const lines: string[] = []
      process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write
      const log = createLogger('warn', secretRedactor(['admin-token-0123456789abcdef-0123456789']))
      log.warn('rejected', { header: 'Bearer admin-token-0123456789abcdef-0123456789', url: 'postgres://app:pw-123456@db/x' })
      log.error('failed: admin-token-0123456789abcdef-0123456789')
      expect(lines).toHaveLength(2)
      expect(lines.join('')).not.toContain('admin-token-0123456789abcdef')
      expect(lines.join('')).not.toContain('pw-123456')
      expect(JSON.parse(lines[0]!)).toMatchObject({ header: 'Bearer ***', url: 'postgres://app:***@db/x' })
      expect(JSON.parse(lines[1]!).msg).toBe('failed: ***')
    })

    test('request lines (pre-serialised: route templates and numbers only) are written as built', async () => {
      const out: string[] = []
      const realOut = process.stdout.write.bind(process.stdout)
      process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write
      try {
        let calls = 0
        const log = createLogger('info', (line) => (calls++, line))
        log.info('request', new SerialisedFields('"method":"GET","route":"/videos/:id","status":200'))
        log.info('other', { a: 1 })
        expect(calls).toBe(1)
        await Bun.sleep(50) // info lines are flushed in batches: catch them before restoring stdout
        expect(out.join('')).toContain('"route":"/videos/:id"')
      } finally {
        process.stdout.write = realOut
      }
    })
  })
})
