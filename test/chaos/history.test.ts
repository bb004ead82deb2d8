import { describe, expect, test } from 'bun:test'
import { check, emptyHistory } from './history.ts'

// The chaos checker must be able to fail: hand-made histories with and without violations.

const BOUNDS = { healthyMs: 100, faultedMs: 6000, recoveryMs: 2500 }

function base() {
  const h = emptyHistory()
  h.writes.push({ register: 'title', marker: 1, instance: 0, start: 1000, ack: 1010 })
  h.revocations.push({ key: 0, instance: 1, start: 1000, ack: 1010 })
  return h
}

describe('the chaos checker', () => {
  test('passes a history that respects the bounds', () => {
    const h = base()
    h.reads.push({ register: 'title', marker: 0, instance: 1, start: 1050, end: 1060 }) // within 100 ms: allowed
    h.reads.push({ register: 'title', marker: 1, instance: 2, start: 1200, end: 1210 })
    h.credentialReads.push({ key: 0, accepted: true, instance: 2, start: 1090, end: 1095 })
    h.credentialReads.push({ key: 0, accepted: false, instance: 2, start: 1200, end: 1205 })
    const v = check(h, BOUNDS)
    expect(v.violations).toEqual([])
    expect(v.worstStalenessMs.healthy).toBe(80) // the key accepted 80 ms after its revocation
  })

  test('flags a stale read, a revived key, a key refused before its revocation, and a marker from the future', () => {
    const h = base()
    h.reads.push({ register: 'title', marker: 0, instance: 1, start: 1200, end: 1210 })
    h.reads.push({ register: 'title', marker: 5, instance: 1, start: 1200, end: 1210 })
    h.credentialReads.push({ key: 0, accepted: true, instance: 2, start: 1300, end: 1305 })
    h.credentialReads.push({ key: 0, accepted: false, instance: 2, start: 900, end: 950 })
    expect(check(h, BOUNDS).violations).toHaveLength(4)
  })

  test('a fault between the write and the read widens the bound, but not beyond it', () => {
    const h = base()
    h.faults.push({ kind: 'restart', start: 1005, end: 1500 })
    h.reads.push({ register: 'title', marker: 0, instance: 1, start: 5000, end: 5010 })
    expect(check(h, BOUNDS).violations).toEqual([])
    h.reads.push({ register: 'title', marker: 0, instance: 1, start: 7100, end: 7110 })
    expect(check(h, BOUNDS).violations).toHaveLength(1)
  })
})
