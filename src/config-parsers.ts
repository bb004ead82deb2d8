import { isIP } from 'node:net'

// How each environment variable's raw text becomes a value: the parsers the table of
// src/config.ts is written with. Each one states what it accepts, for the error message and `--help`.

/** `secret`: the value is never shown (in errors, logs or `--help`). */
export type Parser<T> = { accepts: string; parse: (raw: string) => T | undefined; secret?: true }

export const integer = (min: number, max: number): Parser<number> => ({
  accepts: `an integer from ${min} to ${max}`,
  parse: (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return undefined
    const n = Number(raw)
    return n >= min && n <= max ? n : undefined
  },
})

export const boolean: Parser<boolean> = {
  accepts: 'true or false (also 1/0, yes/no, on/off)',
  parse: (raw) => {
    const v = raw.trim().toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(v)) return true
    if (['false', '0', 'no', 'off'].includes(v)) return false
    return undefined
  },
}

export const text: Parser<string> = { accepts: 'a string', parse: (raw) => raw }

export const url = (protocols: string[]): Parser<string> => ({
  accepts: `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  parse: (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined
    } catch {
      return undefined
    }
  },
})

export const secret = (minLength: number): Parser<string> => ({
  accepts: `a string of at least ${minLength} characters (e.g. \`openssl rand -base64 48\`)`,
  parse: (raw) => (raw.length >= minLength ? raw : undefined),
  secret: true,
})

/** A credential someone else issued (an OAuth client secret): any length, never shown. */
export const issuedSecret: Parser<string> = { ...text, secret: true }

/** Tokens and keys this server checks: long enough that guessing is hopeless. */
export const MIN_SECRET_LENGTH = 32

export const oneOf = <T extends string>(values: readonly T[]): Parser<T> => ({
  accepts: `one of ${values.join(', ')}`,
  parse: (raw) => values.find((v) => v === raw.trim()),
})

/** A rate limit: `points` requests per `seconds`; 0 points turns the limit off. */
export class Rate {
  constructor(
    readonly points: number,
    readonly seconds: number,
  ) {}

  get off(): boolean {
    return this.points === 0
  }

  toString(): string {
    return this.off ? '0' : `${this.points}/${this.seconds}`
  }
}

export const rate: Parser<Rate> = {
  accepts: 'points/seconds (e.g. 600/60), or 0 for no limit',
  parse: (raw) => {
    const v = raw.trim()
    if (v === '0') return new Rate(0, 1)
    const m = /^(\d{1,9})\/(\d{1,7})$/.exec(v)
    if (!m) return undefined
    const points = Number(m[1])
    const seconds = Number(m[2])
    return points >= 1 && seconds >= 1 && seconds <= 7 * 86_400 ? new Rate(points, seconds) : undefined
  },
}

/** Proxies whose X-Forwarded-For is believed: IPv4/IPv6 addresses or CIDR blocks, comma separated. */
export const proxyList: Parser<readonly string[]> = {
  accepts: 'a comma list of IP addresses or CIDR blocks (e.g. 127.0.0.1,10.0.0.0/8)',
  parse: (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    return items.length > 0 && items.every(isAddressOrBlock) ? items : undefined
  },
}

/** An origin as browsers send it: scheme, host and port, nothing else (no path, no trailing slash). */
function isOrigin(raw: string): boolean {
  if (raw === '*') return true
  try {
    const u = new URL(raw)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === raw
  } catch {
    return false
  }
}

export const originList: Parser<readonly string[]> = {
  accepts: 'a comma list of origins as browsers send them (e.g. https://app.example.com,http://localhost:5173), or *',
  parse: (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    return items.length > 0 && items.every(isOrigin) ? items : undefined
  },
}

/** Redis nodes: `host:port` items, comma separated (IPv6 in brackets: `[::1]:26379`). */
export const hostPortList: Parser<readonly { host: string; port: number }[]> = {
  accepts: 'a comma list of host:port (e.g. 10.0.0.1:26379,10.0.0.2:26379)',
  parse: (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const nodes = items.map((item) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item)
      const port = Number(m?.[2])
      return m?.[1] && port >= 1 && port <= 65535 ? { host: m[1].replace(/^\[|\]$/g, ''), port } : undefined
    })
    return nodes.length > 0 && nodes.every((n) => n !== undefined) ? nodes : undefined
  },
}

/** Read replicas: PostgreSQL URLs, comma separated (a URL's own commas must be percent-encoded). */
export const postgresUrlList: Parser<readonly string[]> = {
  accepts: 'a comma list of URLs starting with postgres:// or postgresql://',
  parse: (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const one = url(['postgres:', 'postgresql:'])
    return items.length > 0 && items.every((item) => one.parse(item) !== undefined) ? items : undefined
  },
}

/** An IPv4/IPv6 address, or a CIDR block of one. */
function isAddressOrBlock(item: string): boolean {
  const [address = '', bits, extra] = item.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}
