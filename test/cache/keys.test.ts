import { expect, test } from 'bun:test'
import calculateSlot from 'cluster-key-slot'
import { keySpace } from '../../src/cache/keys.ts'

// The key layout: outside a cluster exactly the names earlier releases used (a rolling upgrade runs
// both side by side on one Redis); in a cluster the versions hash and the bus channels share one
// slot (the versions script SPUBLISHes there, heartbeats travel with announcements), values do not.

test('standalone and Sentinel: the names of earlier releases', () => {
  const keys = keySpace('transcript-api:db:0123456789ab:db0', { cluster: false })
  expect(keys.versions).toBe('transcript-api:db:0123456789ab:db0:versions')
  expect(keys.channel).toBe('transcript-api:db:0123456789ab:db0:bus')
  expect(keys.pings('origin-1')).toBe('transcript-api:db:0123456789ab:db0:bus:ping:origin-1')
  expect(keys.entry('video:x|1|0')).toBe('transcript-api:db:0123456789ab:db0:v3:c:video:x|1|0')
  expect(keys.lock('video:x|1|0')).toBe('transcript-api:db:0123456789ab:db0:v3:lock:video:x|1|0')
})

test('cluster: versions, bus and every heartbeat channel in one slot; values and locks spread over many', () => {
  const keys = keySpace('transcript-api:db:0123456789ab:db0', { cluster: true })
  const slot = calculateSlot(keys.versions)
  expect([keys.channel, keys.pings('origin-1'), keys.pings('origin-2')].map((k) => calculateSlot(k))).toEqual([slot, slot, slot])
  const valueSlots = new Set(Array.from({ length: 200 }, (_, i) => calculateSlot(keys.entry(`video:${i}|1|0`))))
  const lockSlots = new Set(Array.from({ length: 200 }, (_, i) => calculateSlot(keys.lock(`video:${i}|1|0`))))
  expect(valueSlots.size).toBeGreaterThan(150)
  expect(lockSlots.size).toBeGreaterThan(150)
})
