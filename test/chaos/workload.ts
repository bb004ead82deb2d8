import type { Random } from '../../src/seed/prng.ts'
import type { History, Register } from './history.ts'

// The writer and the readers of a chaos run, over real HTTP against every instance. One writer
// changes the registers one at a time (so markers increase with acknowledgement order); readers
// on every instance read them anonymously (the cache's fast path) and check credentials.

export interface Target {
  baseUrls: string[]
  videoId: string
  adminToken: string
  /** API keys of one user, revoked in order; `manager` (never revoked) revokes them. */
  keys: { id: string; key: string }[]
  manager: string
}

const TIMEOUT_MS = 10_000

async function call(h: History, what: string, url: string, init: RequestInit, expected: number[]): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!expected.includes(res.status)) {
      h.failures.push(`${what}: ${res.status} ${(await res.text()).slice(0, 200)}`)
      return undefined
    }
    return res
  } catch (err) {
    h.failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
    return undefined
  }
}

const markerOf = (text: string | null | undefined) => Number(/marker-(\d+)/.exec(text ?? '')?.[1] ?? Number.NaN)

export async function writer(t: Target, h: History, random: Random, running: () => boolean): Promise<void> {
  const next = { title: 1, transcript: 1 }
  let revoked = 0
  const admin = { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }
  while (running()) {
    const instance = random.int(0, t.baseUrls.length - 1)
    const base = t.baseUrls[instance]
    const op = random.weighted<Register | 'revoke'>([['title', 5], ['transcript', 3], ['revoke', revoked < t.keys.length ? 1.5 : 0]])
    const start = performance.now()
    if (op === 'revoke') {
      const key = t.keys[revoked] as { id: string }
      const res = await call(h, `revoke key ${revoked}`, `${base}/auth/api-keys/${key.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.manager}` } }, [204])
      if (res) h.revocations.push({ key: revoked, instance, start, ack: performance.now() })
      revoked++
    } else {
      const marker = next[op]++
      const res =
        op === 'title'
          ? await call(h, `PATCH title ${marker}`, `${base}/videos/${t.videoId}`, { method: 'PATCH', headers: admin, body: JSON.stringify({ title: `marker-${marker}` }) }, [200])
          : await call(h, `PUT transcript ${marker}`, `${base}/videos/${t.videoId}/transcript?source=whisper`, {
              method: 'PUT',
              headers: admin,
              body: JSON.stringify({ segments: [{ start_ms: 0, end_ms: 1000, text: `transcript marker-${marker}` }] }),
            }, [200])
      if (res) h.writes.push({ register: op, marker, instance, start, ack: performance.now() })
    }
    await Bun.sleep(random.int(60, 200))
  }
}

export async function reader(t: Target, h: History, instance: number, random: Random, running: () => boolean): Promise<void> {
  const base = t.baseUrls[instance] as string
  while (running()) {
    const op = random.weighted<Register | 'credential'>([['title', 4], ['transcript', 4], ['credential', 2]])
    const start = performance.now()
    if (op === 'credential') {
      // Keys around the revocation front: the last few revoked and the next few to go.
      const front = h.revocations.length
      const key = Math.min(t.keys.length - 1, Math.max(0, front + random.int(-3, 2)))
      const res = await call(h, `GET /auth/me with key ${key}`, `${base}/auth/me`, { headers: { authorization: `Bearer ${(t.keys[key] as { key: string }).key}` } }, [200, 401])
      if (res) {
        await res.arrayBuffer()
        h.credentialReads.push({ key, accepted: res.status === 200, instance, start, end: performance.now() })
      }
    } else {
      const path = op === 'title' ? `/videos/${t.videoId}` : `/videos/${t.videoId}/transcript`
      const res = await call(h, `GET ${path}`, `${base}${path}`, { headers: { 'accept-encoding': 'gzip' } }, [200])
      if (res) {
        const body = (await res.json()) as { title?: string; segments?: { text: string }[] }
        const marker = op === 'title' ? markerOf(body.title) : markerOf(body.segments?.[0]?.text)
        h.reads.push({ register: op, marker, instance, start, end: performance.now() })
      }
    }
    await Bun.sleep(random.int(2, 12))
  }
}
