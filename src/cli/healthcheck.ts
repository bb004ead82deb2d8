import type { Config } from '../config.ts'
import { parseOptions } from './usage.ts'

// `transcript-api healthcheck`: exits 0 when this host's server answers /health. It lets a
// container HEALTHCHECK probe the server without shipping curl in the image.

const TIMEOUT_MS = 2000

export async function healthcheckCommand(args: string[], config: Config): Promise<void> {
  parseOptions('healthcheck', args, {})
  const res = await fetch(`http://127.0.0.1:${config.PORT}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  if (!res.ok) throw new Error(`/health answered ${res.status}`)
  console.log('ok')
}
