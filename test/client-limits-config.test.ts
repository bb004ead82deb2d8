import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config.ts'
import { ClientIp, UNKNOWN_CLIENT } from '../src/http/client-ip.ts'
import { LocalWindow } from '../src/http/local-rate-limit.ts'

// The rate limits' parts without a server: the variables, the client address behind proxies, the
// per-instance window of the public reads.

describe('rate limit variables', () => {
  test('points/seconds, 0 for off; anything else stops startup naming the variable', () => {
    const c = loadConfig({ RATE_LIMIT_SEARCH: '10/5', RATE_LIMIT_JOB: '0' })
    expect([c.RATE_LIMIT_SEARCH.points, c.RATE_LIMIT_SEARCH.seconds, c.RATE_LIMIT_SEARCH.off]).toEqual([10, 5, false])
    expect(c.RATE_LIMIT_JOB.off).toBe(true)
    expect(String(loadConfig({}).RATE_LIMIT_PUBLIC_READ)).toBe('1200/10')
    for (const bad of ['10', '10/0', '0/10', '-1/5', 'ten/5', '10/5/2', '10/999999999']) expect(() => loadConfig({ RATE_LIMIT_WRITE: bad })).toThrow(ConfigError)
  })

  test('TRUST_PROXY takes addresses and CIDR blocks, nothing else', () => {
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8' }).TRUST_PROXY).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined()
    for (const bad of ['localhost', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', '*']) expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError)
  })
})

describe('client address', () => {
  const socket = (address: string) => ({ requestIP: () => ({ address }) })
  const withXff = (xff?: string) => new Request('http://localhost/', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })

  test('without TRUST_PROXY the socket address, whatever X-Forwarded-For says', () => {
    const ip = new ClientIp(undefined)
    expect(ip.of(withXff('203.0.113.9'), socket('192.0.2.1'))).toBe('192.0.2.1')
    expect(ip.of(withXff(), socket('::ffff:192.0.2.1'))).toBe('192.0.2.1')
    expect(ip.of(withXff(), undefined)).toBe(UNKNOWN_CLIENT)
  })

  test('behind trusted proxies: the right-most untrusted hop', () => {
    const ip = new ClientIp(['127.0.0.1', '10.0.0.0/8'])
    expect(ip.of(withXff('203.0.113.9'), socket('127.0.0.1'))).toBe('203.0.113.9')
    // A client prepending addresses does not choose its bucket.
    expect(ip.of(withXff('1.1.1.1, 203.0.113.9'), socket('127.0.0.1'))).toBe('203.0.113.9')
    // Trusted hops are skipped.
    expect(ip.of(withXff('203.0.113.9, 10.1.2.3'), socket('127.0.0.1'))).toBe('203.0.113.9')
    // A peer that is not a trusted proxy is the client, header or not.
    expect(ip.of(withXff('203.0.113.9'), socket('192.0.2.1'))).toBe('192.0.2.1')
    // Garbage in the header: the last address that was believed.
    expect(ip.of(withXff('nonsense, 10.1.2.3'), socket('127.0.0.1'))).toBe('10.1.2.3')
    expect(ip.of(withXff(), socket('127.0.0.1'))).toBe('127.0.0.1')
  })
})

test('the public reads window: points per window per key, then a new window', () => {
  const c = loadConfig({ RATE_LIMIT_PUBLIC_READ: '3/10' })
  const w = new LocalWindow(c.RATE_LIMIT_PUBLIC_READ)
  const t0 = 1_000_000
  expect([1, 2, 3, 4].map(() => w.hit('a', t0))).toEqual([0, 0, 0, 10_000])
  expect(w.hit('b', t0)).toBe(0)
  expect(w.hit('a', t0 + 4000)).toBe(6000)
  expect(w.hit('a', t0 + 10_000)).toBe(0)
})
