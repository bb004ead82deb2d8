// A small seeded PRNG (sfc32) with named streams, so the same --seed always yields the same data.
// Each part of the data set draws from its own stream (e.g. "videos", or "segments" of video 42):
// adding a draw in one part never shifts the values of another, and a video's segments can be
// generated in any order, or again, and come out identical.

/** FNV-1a over UTF-16 code units: turns a stream name into 32 bits. */
function hashName(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A 32-bit avalanche mix (from MurmurHash3's finaliser family) so nearby seeds diverge at once. */
function mix32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

/** Element `i` of a non-empty list; the list is never sparse, this only satisfies strict indexing. */
export function at<T>(items: readonly T[], i: number): T {
  const item = items[i]
  if (item === undefined) throw new RangeError(`index ${i} out of range 0..${items.length - 1}`)
  return item
}

export class Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number, stream: string, index = 0) {
    this.a = mix32(seed ^ 0x9e3779b9)
    this.b = mix32(hashName(stream))
    this.c = mix32(index + 0x6a09e667)
    this.d = 1
    // sfc32's first outputs still echo the seed words: discard a few rounds.
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    return at(items, Math.floor(this.next() * items.length))
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0
    for (const [, w] of choices) total += w
    let r = this.next() * total
    for (const [value, w] of choices) {
      r -= w
      if (r < 0) return value
    }
    return at(choices, choices.length - 1)[0]
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next() // (0, 1]: log(0) would be -Infinity
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }

  /** Log-normal with mean 1: multiplies a typical value into a realistic long-tailed spread. */
  spread(sigma: number): number {
    return Math.exp(sigma * this.normal() - (sigma * sigma) / 2)
  }
}
