import type { CallerContext } from './caller.ts'
import type { CacheResult } from './ready-response.ts'

// The contract of a quota-counted download (.srt/.vtt): the transcripts module serves the file, the
// events module checks the caller and charges the quota (src/modules/events/export-quota.ts);
// createApp hands the one to the other.

export interface ExportRequest {
  videoId: string
  format: 'srt' | 'vtt'
  source: string
}

/** `what` parses the request (after the credentials are checked); `load` produces the shared cached export. */
export type ExportGate = <R extends ExportRequest>(ctx: CallerContext, what: () => R, load: (what: R) => Promise<CacheResult>) => Promise<CacheResult>
