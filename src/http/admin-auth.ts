import { createHash, timingSafeEqual } from 'node:crypto'
import { HttpError } from './errors.ts'

// Until accounts arrive, write routes take `Authorization: Bearer $ADMIN_TOKEN`.

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Throws 403 `admin_disabled` when no token is configured, 401 `unauthorized` for a missing or wrong one. */
export function requireAdminToken(adminToken: string | undefined, authorization: string | null | undefined): void {
  if (!adminToken) throw new HttpError(403, 'admin_disabled', 'write routes are disabled: set ADMIN_TOKEN to enable them')
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '')
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), digest(adminToken))) {
    throw new HttpError(401, 'unauthorized', 'a valid `Authorization: Bearer <ADMIN_TOKEN>` header is required')
  }
}
