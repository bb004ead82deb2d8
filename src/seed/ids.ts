import { createHash, randomBytes } from 'node:crypto'

// Identifiers derived from (seed, index): the same seed reproduces them exactly, and different
// seeds never collide, so `seed --seed 1` and `seed --seed 2` can share one database. Ids are
// known before any row exists, which lets COPY stream rows that reference each other.

/** --seed is at most 32 bits and a video index at most 24 bits: together they fit a 64-bit word. */
export const MAX_SEED = 2 ** 32 - 1
export const MAX_INDEX = 2 ** 24 - 1

const MASK64 = (1n << 64n) - 1n

/**
 * splitmix64's finaliser: a bijection on 64-bit words (xor-shifts and odd multiplications are
 * invertible), so distinct inputs give distinct outputs that nevertheless look random.
 */
function permute64(x: bigint): bigint {
  let z = x & MASK64
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64
  return z ^ (z >> 31n)
}

function packed(seed: number, index: number): bigint {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}`)
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`index must be an integer from 0 to ${MAX_INDEX}`)
  return (BigInt(seed) << 24n) | BigInt(index)
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * An 11-character YouTube-style id, unique per (seed, index). 64 bits fill 10 characters of 6 bits
 * and one of 4, which is why, as on YouTube, the last character is one of 16 ("AEIMQUYcgkosw048").
 */
export function youtubeId(seed: number, index: number): string {
  let z = permute64(packed(seed, index))
  let id = ''
  for (let i = 0; i < 10; i++) {
    id += BASE64URL[Number(z & 63n)]
    z >>= 6n
  }
  return id + BASE64URL[Number(z & 15n) << 2]
}

/** A decimal account number (OAuth subject), unique per (seed, index) like youtubeId. */
export function accountNumber(seed: number, index: number): string {
  return permute64(packed(seed, index) ^ (1n << 63n)).toString()
}

/**
 * A uuid derived from (seed, kind, index) by SHA-256. Shaped as version 4 (random) so that any
 * validator expecting gen_random_uuid()'s output accepts it; 122 hashed bits make collisions with
 * other seeds or with real rows as unlikely as between random uuids.
 */
export function seededUuid(seed: number, kind: string, index: number): string {
  const h = createHash('sha256').update(`transcript-api seed ${seed} ${kind} ${index}`).digest()
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * A session's token_hash. Deliberately NOT derived from the seed: the seed is public (default 1),
 * and a token anyone could recompute would be a working login on every demo deployment. The token
 * itself is thrown away; only its SHA-256 is stored, as the sessions table requires.
 */
export function randomTokenHash(): string {
  return createHash('sha256').update(randomBytes(32).toString('base64url')).digest('hex')
}
