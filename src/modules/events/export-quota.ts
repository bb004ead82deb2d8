import type { Config } from '../../config.ts'
import type { ExportGate } from '../../http/export-gate.ts'
import { etagMatches } from '../../http/serve-ready.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { QuotaExceeded } from '../../platform/domain-errors.ts'
import type { Caller, Identity } from '../../http/caller.ts'
import type { EventBatcher } from './batcher.ts'
import { consumeQuota, countToday, EXPORT_EVENT, quotaResetsAt, type NewEvent } from './queries.ts'

// Exports (.srt/.vtt) need a signed-in caller and count against the daily export quota of the free
// plan. The body itself is the shared cached export (it does not depend on the caller; the
// response is private): the quota is charged only when an export is actually sent, so a 404, a
// transcript that is not ready, a 304 revalidation or a HEAD uses none.

/** The daily limit that applies to a caller, or undefined when exempt (pro plan, admins). */
export function exportLimit(config: Config, caller: Pick<Caller, 'plan' | 'role'>): number | undefined {
  return caller.plan === 'free' && caller.role !== 'admin' ? config.FREE_DAILY_EXPORT_LIMIT : undefined
}

export const quotaExceeded = (limit: number) =>
  new QuotaExceeded(
    'quota_exceeded',
    `the free plan includes ${limit} transcript export${limit === 1 ? '' : 's'} per day (UTC) and today's are used; ` +
      `the quota resets at ${quotaResetsAt()}. Pro and admin accounts have no export limit.`,
  )

export function createExportGate(deps: { config: Config; sql: Sql; auth: Identity; batcher: EventBatcher; timed: Timed }): ExportGate {
  const { timed } = deps
  return async (ctx, what, load) => {
    // Credentials first: an anonymous caller learns nothing, not even whether the id is valid.
    const caller = await deps.auth.require(ctx, 'export')
    const request = what()
    const result = await load(request)
    const ready = result.value
    if (ready.status !== 200 || etagMatches(ctx.request.headers.get('if-none-match'), ready.etag)) return result
    const account = caller.account
    if (!account) return result // ADMIN_TOKEN: no account to charge
    const limit = exportLimit(deps.config, caller)
    const event: NewEvent & { user_id: string } = {
      user_id: account.id,
      session_id: caller.credential.kind === 'session' ? caller.credential.id : null,
      type: EXPORT_EVENT,
      payload: { video_id: request.videoId, format: request.format, source: request.source },
    }
    if (ctx.request.method === 'HEAD') {
      // Nothing is sent, so nothing is charged; but HEAD answers what GET would.
      if (limit !== undefined && (await timed('quota_count', () => countToday(deps.sql, account.id, EXPORT_EVENT))) >= limit) throw quotaExceeded(limit)
      return result
    }
    if (limit === undefined) {
      deps.batcher.record(event) // exempt: counted for usage, off the request path
      return result
    }
    const decision = await timed('quota_consume', () => consumeQuota(deps.sql, event, limit), [account.id])
    if (!decision.allowed) throw quotaExceeded(limit)
    return result
  }
}
