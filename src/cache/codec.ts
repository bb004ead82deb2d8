// How the cache stores one kind of value. The cache itself is generic: it keeps values in L1 as
// they are and hands L2 the bytes a codec makes of them (as BentoCache hands them to its
// serializer). Ready HTTP responses are one codec (src/http/ready-codec.ts), identity lookups
// another (json-codec.ts).

/** Bytes backed by a plain ArrayBuffer (what Response, gzip and Redis accept). */
export type Bytes = Uint8Array<ArrayBuffer>

/**
 * How long a loaded value may be kept: `positive` for its request's TTL, `negative` (a "not found")
 * for the short negative TTL, `never` not at all (an error must never be cached).
 */
export type Keep = 'positive' | 'negative' | 'never'

export interface Codec<V> {
  /** Stored with the bytes: a value another codec wrote under the same key reads as a miss. */
  readonly name: string
  encode(value: V): Bytes
  /** The value, or undefined for bytes that are not one (foreign, truncated, older format). */
  decode(bytes: Bytes): V | undefined
  /** Bytes the value holds in memory (its L1 cost before the key and the entry's own overhead). */
  size(value: V): number
  keep(value: V): Keep
}
