import net from 'node:net'

// postgres.js 3.4.9 reconnects at once, forever, when a server closes a connection cleanly before
// the PostgreSQL handshake (porsager/postgres#1193, fix pending in #1214): behind a proxy with no
// backend a query never settles and the process spins ~600 connections a second. Its `socket`
// option lets us hand it the sockets; ours turns such a close into an error, which postgres.js
// reports to the waiting query and follows with its normal close (backoff, then a new attempt).

/** The parts of postgres.js's parsed options a socket needs. */
interface SocketTarget {
  host: string[]
  port: number[]
  path: string | false
}

/** A socket factory for postgres.js's `socket` option; cycles through the URL's hosts. */
export function handshakeCheckedSockets(): (target: SocketTarget) => net.Socket {
  let next = 0
  return (target) => {
    const i = next++ % target.host.length
    const [host, port] = [target.host[i] ?? 'localhost', target.port[i] ?? 5432]
    const socket = new net.Socket()
    // postgres.js names the address in its connection errors (CONNECT_TIMEOUT) from these.
    Object.assign(socket, { host, port })
    let answered = false
    socket.once('data', () => (answered = true))
    socket.once('end', () => {
      if (answered) return
      const where = target.path || `${host}:${port}`
      socket.destroy(
        Object.assign(new Error(`${where} closed the connection before the PostgreSQL handshake (is it PostgreSQL, or a proxy with no backend?)`), {
          code: 'CONNECTION_CLOSED_BEFORE_HANDSHAKE',
        }),
      )
    })
    if (target.path) socket.connect(target.path)
    else socket.connect(port, host)
    return socket
  }
}
