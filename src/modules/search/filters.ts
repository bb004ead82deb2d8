import type { TransactionSql } from 'postgres'
import type { SearchParams } from './params.ts'

// The transcript and video filters of a search, as SQL conditions on `t` (transcripts) and `v`
// (videos): written once for both ways a search is ranked (queries.ts and tiers.ts).

export const needsVideo = (p: SearchParams): boolean =>
  p.channel !== undefined || p.language !== undefined || p.uploadedFrom !== undefined || p.uploadedTo !== undefined

/** `AND …` for each filter given other than video_id (empty when none is). */
export function filterConditions(sql: TransactionSql, p: SearchParams) {
  return sql`${p.source !== undefined ? sql`AND t.source = ${p.source}` : sql``} ${videoConditions(sql, p)}`
}

/**
 * `AND …` on `v` for the video filters (channel, language, upload dates). The dates are written on
 * videos_uploaded_at_id_idx's expression (a NULL upload date matches neither bound), so counting
 * the videos in a date range reads that index instead of the table.
 */
export function videoConditions(sql: TransactionSql, p: SearchParams) {
  const uploaded = sql`COALESCE(v.uploaded_at, '-infinity'::timestamptz)`
  return sql`
    ${p.channel !== undefined ? sql`AND v.channel_name = ${p.channel}` : sql``}
    ${p.language !== undefined ? sql`AND v.language = ${p.language}` : sql``}
    ${p.uploadedFrom !== undefined ? sql`AND ${uploaded} >= ${p.uploadedFrom}::timestamptz` : sql``}
    ${
      p.uploadedTo === undefined
        ? sql``
        : p.uploadedTo.inclusive
          ? sql`AND ${uploaded} <= ${p.uploadedTo.at}::timestamptz AND v.uploaded_at IS NOT NULL`
          : sql`AND ${uploaded} < ${p.uploadedTo.at}::timestamptz AND v.uploaded_at IS NOT NULL`
    }`
}
