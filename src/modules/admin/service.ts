import { afterAccountChanged } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Plan } from '../../http/caller.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { NotFound } from '../../platform/domain-errors.ts'
import { setPlan } from '../auth/index.ts'
import type { EventService } from '../events/index.ts'
import { listUsersQuery, toAdminUser, type ListUsersInput } from './queries.ts'

// The admin views: users and their plans, usage events. A plan change reaches every instance at once.

/** Cursor scopes: a cursor only fits the list (and filters) it came from. */
export const userListScope = (email: string | undefined) => `GET /admin/users ${JSON.stringify([email?.trim().toLowerCase() ?? null])}`
export const eventListScope = (type: string | undefined, userId: string | undefined) => `GET /admin/events ${JSON.stringify([type ?? null, userId ?? null])}`

export function createAdminService(deps: { sql: Sql; cache: TieredCache; cursors: CursorCodec; timed: Timed; usageEvents: EventService }) {
  const { sql, timed, cursors } = deps
  return {
    async users(input: ListUsersInput) {
      const rows = await timed('admin_user_list', () => listUsersQuery(sql, input))
      return toPage(cursors, rows, input.limit, userListScope(input.email), (r) => [r.created_key, r.id], toAdminUser)
    },
    /** Every credential of the user sees the new plan (and quota) on its next request, on every instance. */
    async setPlan(userId: string, plan: Plan) {
      const account = await timed('user_set_plan', () => setPlan(sql, userId, plan))
      if (!account) throw new NotFound('user_not_found', `no user with id ${userId}`)
      await deps.cache.invalidate(afterAccountChanged(userId))
      return account
    },
    async events(input: { type: string | undefined; userId: string | undefined; limit: number; beforeId: string | undefined }) {
      const rows = await deps.usageEvents.list(input)
      return toPage(cursors, rows, input.limit, eventListScope(input.type, input.userId), (r) => [r.id], (r) => r)
    },
  }
}

export type AdminService = ReturnType<typeof createAdminService>
