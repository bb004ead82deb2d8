import { PGlite } from '@electric-sql/pglite'
import { existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DataDirInUseError, lockDataDir } from './data-dir-lock.ts'
import { loadPgliteAssets } from './embedded-assets.ts'
import { serveSession } from './embedded-socket.ts'

// The zero-setup database: PGlite in DATA_DIR behind a loopback socket, so the rest of the server
// talks to it through the same postgres.js code path as to a real PostgreSQL. It also listens on
// a Unix socket in DATA_DIR, through which other commands (`users create`, `migrate`, …) use it
// while the process that opened it runs: only one process may open a PGlite directory.

export interface EmbeddedDatabase {
  url: string
  dataDir: string
  close(): Promise<void>
}

/**
 * PGlite runs one statement at a time: more connections from one process only queue (the socket
 * server keeps each client's exchanges whole, see embedded-socket.ts).
 */
export const EMBEDDED_POOL_MAX = 1
/** The name PostgreSQL gives its own socket: tools that take a socket directory find it. */
const SOCKET_NAME = '.s.PGSQL.5432'
/** Unix socket paths are limited to 108 bytes (sun_path) on Linux. */
const MAX_SOCKET_PATH = 107

/** The Unix socket of DATA_DIR's embedded database, or undefined when its path would be too long. */
export function embeddedSocketPath(dataDir: string): string | undefined {
  const path = join(resolve(dataDir), SOCKET_NAME)
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : undefined
}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir)
  const release = lockDataDir(dir)
  try {
    const assets = await loadPgliteAssets()
    const db = await PGlite.create({ dataDir: join(dir, 'pgdata'), ...assets })
    const socketPath = embeddedSocketPath(dir)
    if (socketPath) rmSync(socketPath, { force: true }) // left by a process that died: we hold the lock
    const server = await serveSession(db, { socketPath })
    return {
      url: `postgres://postgres@${server.address}/postgres`,
      dataDir: dir,
      async close() {
        await server.stop()
        await db.close()
        if (socketPath) rmSync(socketPath, { force: true })
        release()
      },
    }
  } catch (err) {
    release()
    throw err
  }
}

/**
 * The socket of the process that has DATA_DIR open, for a command started beside it; rethrows
 * `err` (the lock's DataDirInUseError) when that process serves none.
 */
export function runningEmbeddedSocket(dataDir: string, err: DataDirInUseError): string {
  const path = embeddedSocketPath(dataDir)
  if (path && existsSync(path)) return path
  throw err
}
