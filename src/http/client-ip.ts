import { BlockList, isIP } from 'node:net'

// Who the client is, as rate limits and log lines see it: the socket's address, unless that
// address is a proxy named in TRUST_PROXY. Then X-Forwarded-For is read from the right (the hop
// the proxy itself appended) leftwards, past every trusted proxy; the first untrusted address is the
// client. Addresses left of it were written by the client and prove nothing, so a spoofed header
// never moves a client out of its own bucket; without TRUST_PROXY the header is ignored entirely.

/** What Bun's server offers: the peer address of a request's connection. */
export interface SocketAddressSource {
  requestIP(request: Request): { address: string } | null
}

/** A client that cannot be told apart (no socket, e.g. app.handle in tests). */
export const UNKNOWN_CLIENT = 'unknown'

/** `::ffff:1.2.3.4` is the IPv4 client of a dual-stack socket: one client, one key. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

export class ClientIp {
  private readonly trusted: BlockList | undefined

  constructor(trustProxy: readonly string[] | undefined) {
    if (!trustProxy?.length) return
    const list = new BlockList()
    for (const item of trustProxy) {
      const [address = '', bits] = item.split('/')
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) list.addAddress(address, family)
      else list.addSubnet(address, Number(bits), family)
    }
    this.trusted = list
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address)
    return family !== 0 && this.trusted !== undefined && this.trusted.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }

  /** The client address of `request`; `server` absent (no socket) gives UNKNOWN_CLIENT. */
  of(request: Request, server: SocketAddressSource | undefined | null): string {
    const socket = server?.requestIP(request)?.address
    if (socket === undefined) return UNKNOWN_CLIENT
    const peer = normalise(socket)
    if (this.trusted === undefined || !this.isTrusted(peer)) return peer
    const forwarded = request.headers.get('x-forwarded-for')
    if (forwarded === null) return peer
    const hops = forwarded.split(',')
    let client = peer
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalise((hops[i] ?? '').trim())
      // A hop that is not an address: nothing left of it can be believed; the last proxy sent it.
      if (isIP(hop) === 0) return client
      client = hop
      if (!this.isTrusted(hop)) return hop
    }
    return client
  }
}
