import type { Socket, TCPSocketListener } from 'bun'

// A loopback TCP proxy a test can cut and restore: the database "goes away" for the code under test
// while the real PostgreSQL keeps serving every other suite.

interface Pair {
  client: Socket<Pair>
  upstream?: Socket<Pair>
  pending: Uint8Array[]
}

export interface TcpProxy {
  port: number
  /** Closes every connection and refuses new ones. */
  cut(): void
  /** Accepts connections again, on the same port. */
  restore(): void
  /**
   * A black hole: connections stay open and new ones are accepted, but no byte gets through in
   * either direction (a partition, a hung host). thaw() resets the connections it held.
   */
  freeze(): void
  thaw(): void
  close(): void
}

export function startTcpProxy(upstreamHost: string, upstreamPort: number): TcpProxy {
  const pairs = new Set<Pair>()
  let frozen = false
  let listener: TCPSocketListener<Pair> | undefined
  let port = 0

  const listen = () => {
    listener = Bun.listen<Pair>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          const pair: Pair = { client, pending: [] }
          client.data = pair
          pairs.add(pair)
          if (frozen) return
          void Bun.connect<Pair>({
            hostname: upstreamHost,
            port: upstreamPort,
            data: pair,
            socket: {
              open(up) {
                pair.upstream = up
                for (const chunk of pair.pending) up.write(chunk)
                pair.pending = []
              },
              data(_up, chunk) {
                if (!frozen) pair.client.write(chunk)
              },
              close() {
                pair.client.end()
                pairs.delete(pair)
              },
              error() {
                pair.client.end()
              },
            },
          }).catch(() => client.end())
        },
        data(client, chunk) {
          const pair = client.data
          if (frozen) return
          if (pair.upstream) pair.upstream.write(chunk)
          else pair.pending.push(new Uint8Array(chunk))
        },
        close(client) {
          client.data.upstream?.end()
          pairs.delete(client.data)
        },
      },
    })
    port = listener.port
  }
  listen()

  return {
    get port() {
      return port
    },
    cut() {
      listener?.stop(true)
      listener = undefined
      for (const p of pairs) {
        p.client.terminate()
        p.upstream?.terminate()
      }
      pairs.clear()
    },
    restore() {
      if (!listener) listen()
    },
    freeze() {
      frozen = true
    },
    thaw() {
      frozen = false
      for (const p of pairs) {
        p.client.terminate()
        p.upstream?.terminate()
      }
      pairs.clear()
    },
    close() {
      this.cut()
    },
  }
}
