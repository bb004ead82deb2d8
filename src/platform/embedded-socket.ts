import type { PGlite } from '@electric-sql/pglite'
import { createServer, type Server, type Socket } from 'node:net'

// PGlite is one PostgreSQL session. This serves it to several postgres.js connections (the
// server's pool and, beside it, a CLI command) without mixing them up. @electric-sql/pglite-socket
// queues single messages, so two clients' Parse/Bind/Execute interleave on the one session and
// bind each other's unnamed statements and portals. Here a client's messages go to PGlite in
// batches that end with Sync (or a simple Query), and a client inside a transaction, or in the
// middle of an extended-protocol exchange, keeps the session until it is done.

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
/** Message types after which the session is back to idle: Sync, Query, CopyDone, CopyFail. */
const BATCH_ENDS = new Set(['S', 'Q', 'c', 'f'].map((c) => c.charCodeAt(0)))
const TERMINATE = 'X'.charCodeAt(0)
const MAX_CONNECTIONS = 16
/**
 * Sync, then the simple query ROLLBACK (a warning only, outside a transaction). Raw messages, as
 * db.exec would wait for the lock runExclusive holds.
 */
const RESET_SESSION = (() => {
  const sql = Buffer.from('ROLLBACK\0')
  const query = Buffer.alloc(5)
  query.write('Q')
  query.writeInt32BE(4 + sql.length, 1)
  return new Uint8Array(Buffer.concat([Buffer.from([0x53, 0, 0, 0, 4]), query, sql]))
})()

interface Client {
  socket: Socket
  buffered: Buffer
  started: boolean
  closed: boolean
}

interface Batch {
  client: Client
  bytes: Uint8Array
  /** False when the client's exchange goes on after it (e.g. Flush): it keeps the session. */
  complete: boolean
}

export interface SessionServer {
  /** TCP address (host:port) on loopback. */
  address: string
  /** Unix socket path, when one was asked for. */
  socketPath?: string
  stop(): Promise<void>
}

/** Serves `db` on a loopback TCP port and optionally a Unix socket; closing it leaves `db` open. */
export async function serveSession(db: PGlite, options: { socketPath?: string } = {}): Promise<SessionServer> {
  const queue: Batch[] = []
  const clients = new Set<Client>()
  let owner: Client | undefined
  let running = false

  const next = (): Batch | undefined => {
    const i = owner ? queue.findIndex((b) => b.client === owner) : 0
    return i < 0 ? undefined : queue.splice(i, 1)[0]
  }

  /** Ends what a client that left was in the middle of: an extended-protocol exchange, a transaction. */
  const resetSession = () => db.runExclusive(() => db.execProtocolRawStream(RESET_SESSION, { onRawData: () => {} }))

  const run = async () => {
    if (running) return
    running = true
    try {
      for (let batch = next(); batch; batch = next()) {
        const { client } = batch
        await db.runExclusive(() =>
          db.execProtocolRawStream(batch.bytes, {
            onRawData: (data) => {
              if (!client.closed && data.length > 0) client.socket.write(data)
            },
          }),
        )
        owner = !batch.complete || db.isInTransaction() ? client : undefined
        if (owner && client.closed) {
          await resetSession()
          owner = undefined
        }
      }
    } finally {
      running = false
    }
  }

  const enqueue = (batch: Batch) => {
    queue.push(batch)
    void run().catch((err: unknown) => batch.client.socket.destroy(err instanceof Error ? err : new Error(String(err))))
  }

  /** Drops a departed client's queued batches; frees the session if it held it (the loop does, when running). */
  const release = async (client: Client) => {
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.client === client) queue.splice(i, 1)
    if (owner !== client || running) return
    await resetSession()
    owner = undefined
    await run()
  }

  const take = (client: Client, chunk: Buffer) => {
    client.buffered = Buffer.concat([client.buffered, chunk])
    let start = 0
    let pending = 0
    const buf = client.buffered
    while (buf.length - pending >= 5 || (!client.started && buf.length - pending >= 8)) {
      if (!client.started) {
        const length = buf.readInt32BE(pending)
        if (buf.length - pending < length) break
        const code = buf.readInt32BE(pending + 4)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) client.socket.write('N')
        else if (code === CANCEL_REQUEST) client.socket.end() // not supported: PGlite cannot interrupt a query
        else {
          client.started = true
          enqueue({ client, bytes: buf.subarray(pending, pending + length), complete: true })
        }
        pending += length
        start = pending
        continue
      }
      const type = buf[pending] ?? 0
      const length = 1 + buf.readInt32BE(pending + 1)
      if (buf.length - pending < length) break
      if (type === TERMINATE) {
        client.socket.end()
        pending += length
        start = pending
        break
      }
      pending += length
      if (BATCH_ENDS.has(type)) {
        enqueue({ client, bytes: buf.subarray(start, pending), complete: true })
        start = pending
      }
    }
    // A Flush leaves a client waiting for answers before its Sync: send what it has so far.
    if (pending > start && buf[start] !== undefined && endsWithFlush(buf.subarray(start, pending))) {
      enqueue({ client, bytes: buf.subarray(start, pending), complete: false })
      start = pending
    }
    client.buffered = Buffer.from(buf.subarray(start))
  }

  const onConnection = (socket: Socket) => {
    const client: Client = { socket, buffered: Buffer.alloc(0), started: false, closed: false }
    clients.add(client)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => take(client, chunk))
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      client.closed = true
      clients.delete(client)
      void release(client)
    })
  }

  const servers: Server[] = []
  const listen = (bind: (server: Server, ready: () => void) => void) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer(onConnection)
      server.maxConnections = MAX_CONNECTIONS
      server.once('error', reject)
      bind(server, () => resolve(server))
      servers.push(server)
    })
  const tcp = await listen((server, ready) => server.listen(0, '127.0.0.1', ready))
  const { port } = tcp.address() as { port: number }
  const { socketPath } = options
  if (socketPath) await listen((server, ready) => server.listen(socketPath, ready))
  return {
    address: `127.0.0.1:${port}`,
    socketPath: options.socketPath,
    async stop() {
      for (const client of clients) client.socket.destroy()
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
      while (running) await Bun.sleep(5)
    },
  }
}

/** Whether the last message of `bytes` (whole messages) is a Flush ('H'). */
function endsWithFlush(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  let last = 0
  while (at + 5 <= bytes.length) {
    last = bytes[at] ?? 0
    at += 1 + view.getInt32(at + 1)
  }
  return last === 'H'.charCodeAt(0)
}
