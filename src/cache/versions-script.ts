// The one Lua script that reads and moves the deployment's versions in Redis. Redis runs a script
// atomically, so the hash update and its announcement on the bus happen as one step, in one order
// for every subscriber. The caller passes the epoch and sequence number it already knows: a hash
// that is missing (state lost) or behind them (a failover to a replica that missed writes) is
// replaced by a new epoch, above the server's clock and above anything the caller knew, and that
// reset is announced like a write.
//
// In a cluster the script announces with SPUBLISH (sharded pub/sub): its channel shares the versions
// hash's slot (src/cache/keys.ts), which Redis requires of a channel a script publishes on.
//
// KEYS[1] the versions hash
// ARGV    channel, origin, known epoch, known seq, hash TTL (s), mode ('bump' | 'sync'), scopes…
// returns bump: { epoch (text), seq, reset reason or '' }; sync: the whole hash (HGETALL).

export const versionsScript = (publish: 'PUBLISH' | 'SPUBLISH') => `
local h = KEYS[1]
local epoch = tonumber(redis.call('HGET', h, '_epoch'))
local seq = tonumber(redis.call('HGET', h, '_seq')) or 0
local knownEpoch = tonumber(ARGV[3]) or 0
local knownSeq = tonumber(ARGV[4]) or 0
local reset = false
if not epoch then
  reset = 'lost'
elseif epoch < knownEpoch or (epoch == knownEpoch and seq < knownSeq) then
  reset = 'behind'
end
if reset then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  epoch = math.max(now, knownEpoch + 1, (epoch or 0) + 1)
  redis.call('DEL', h)
  redis.call('HSET', h, '_epoch', string.format('%.0f', epoch))
  seq = 0
end
local scopes = {}
if #ARGV >= 7 then
  seq = seq + 1
  for i = 7, #ARGV do
    redis.call('HSET', h, ARGV[i], seq)
    scopes[#scopes + 1] = ARGV[i]
  end
end
redis.call('HSET', h, '_seq', seq)
redis.call('EXPIRE', h, tonumber(ARGV[5]))
local epochText = string.format('%.0f', epoch)
if reset or #scopes > 0 then
  redis.call('${publish}', ARGV[1], cjson.encode({ o = ARGV[2], e = epochText, s = seq, c = scopes, r = reset }))
end
if ARGV[6] == 'sync' then
  return redis.call('HGETALL', h)
end
return { epochText, seq, reset or '' }
`

/** Hash fields that are bookkeeping, not scopes. */
export const EPOCH_FIELD = '_epoch'
export const SEQ_FIELD = '_seq'

/** A bus message: a write's scopes (empty for a bare reset) at (epoch, seq). */
export interface VersionsMessage {
  /** origin instance */
  o: string
  /** epoch, as text (too many digits for Lua's JSON numbers) */
  e: string
  s: number
  /** scopes; Lua's JSON writes an empty list as {} */
  c: string[] | Record<string, never>
  /** why a new epoch began ('lost', 'behind'), or false */
  r: string | false
}

export function parseMessage(raw: string): VersionsMessage | undefined {
  try {
    const m = JSON.parse(raw) as Partial<VersionsMessage>
    if (typeof m.o !== 'string' || typeof m.e !== 'string' || typeof m.s !== 'number' || !/^\d+$/.test(m.e)) return undefined
    return { o: m.o, e: m.e, s: m.s, c: Array.isArray(m.c) ? m.c.filter((s) => typeof s === 'string') : [], r: typeof m.r === 'string' ? m.r : false }
  } catch {
    return undefined
  }
}

/** The hash as HGETALL returns it (flat list or object) → epoch, seq and scope versions. */
export function parseSnapshot(reply: unknown): { epoch: number; seq: number; scopes: [string, number][] } | undefined {
  let pairs: [string, unknown][]
  if (Array.isArray(reply)) {
    pairs = []
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), reply[i + 1]])
  } else if (reply !== null && typeof reply === 'object') {
    pairs = Object.entries(reply)
  } else {
    return undefined
  }
  const fields = new Map(pairs.map(([k, v]) => [k, Number(v)]))
  const epoch = fields.get(EPOCH_FIELD)
  if (epoch === undefined || !Number.isFinite(epoch)) return undefined
  const scopes: [string, number][] = []
  for (const [k, v] of fields) if (k !== EPOCH_FIELD && k !== SEQ_FIELD && Number.isFinite(v)) scopes.push([k, v])
  return { epoch, seq: fields.get(SEQ_FIELD) ?? 0, scopes }
}
