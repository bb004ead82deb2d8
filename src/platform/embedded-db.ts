import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { join, resolve } from 'node:path'
import { lockDataDir } from './data-dir-lock.ts'
import { loadPgliteAssets } from './embedded-assets.ts'

// The zero-setup database: PGlite in DATA_DIR behind a loopback socket, so the rest of the server
// talks to it through the same postgres.js code path as to a real PostgreSQL.

export interface EmbeddedDatabase {
  url: string
  dataDir: string
  close(): Promise<void>
}

/**
 * The socket server multiplexes clients onto PGlite's single session message by message, so two
 * pooled connections interleave their Parse/Bind/Execute and fail ("portal does not exist").
 * Clients must therefore use one connection; a few spare slots let short-lived tools connect too.
 */
export const EMBEDDED_POOL_MAX = 1
const SOCKET_MAX_CONNECTIONS = 4

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir)
  const release = lockDataDir(dir)
  try {
    const assets = await loadPgliteAssets()
    const db = await PGlite.create({ dataDir: join(dir, 'pgdata'), ...assets })
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: SOCKET_MAX_CONNECTIONS })
    await server.start()
    const url = `postgres://postgres@${server.getServerConn()}/postgres`
    return {
      url,
      dataDir: dir,
      async close() {
        await server.stop()
        await db.close()
        release()
      },
    }
  } catch (err) {
    release()
    throw err
  }
}
