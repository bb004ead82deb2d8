import type { Identity } from '../../http/caller.ts'
import type { EventBatcher } from './batcher.ts'
import { SEARCH_EVENT } from './queries.ts'

// A signed-in search is recorded as a usage event, off the hot path: the search answer is public
// and cached, so it is produced (and may be served from L1) before anything here runs, and nothing
// here can make it private, slower or fail. Anonymous callers and bad credentials record nothing.

export type SearchRecorder = (request: Request, q: string) => void

export function createSearchRecorder(deps: { auth: Identity; events: EventBatcher }): SearchRecorder {
  return (request, q) => {
    // Most searches are anonymous: skip the identity lookup when no credential was sent at all.
    const h = request.headers
    if (!h.has('authorization') && !h.has('x-api-key') && !h.has('cookie')) return
    void deps.auth.optional(request).then((caller) => {
      if (!caller?.account) return
      deps.events.record({
        user_id: caller.account.id,
        session_id: caller.credential.kind === 'session' ? caller.credential.id : null,
        type: SEARCH_EVENT,
        payload: { q },
      })
    })
  }
}
