import { parseYoutubeUrl, YoutubeUrlError, type ParsedYoutubeUrl } from '../modules/jobs/youtube-url.ts'
import type { JobState } from '../modules/jobs/model.ts'
import type { Sql } from '../platform/db.ts'
import { errorFields, type Logger } from '../platform/log.ts'
import { parseChannelListing, parseTranscriptOutput, TranscriberOutputError } from './output.ts'
import { afterTranscriptReplaced, afterVideoCreated, afterVideosListed } from '../cache/scopes.ts'
import { attachVideo, expandChannel, persistTranscript } from './persist.ts'
import { failJob, releaseJob, setStage, type Claim, type RetryBackoff } from './queue.ts'
import { runTranscriber, type TranscriberResult, type TranscriberStage } from './transcriber.ts'

// One claimed job from start to finish. The job (and a single job's video) walks
// downloading → [transcoding] → transcribing → [diarizing] → persisting → completed, moving
// forward only: the transcriber announces stages on stderr (`::stage <name>`); without
// announcements, its first stdout bytes mean transcribing has begun.

export interface JobContext {
  sql: Sql
  log: Logger
  argv: readonly string[]
  env: Record<string, string>
  maxAttempts: number
  backoff: RetryBackoff
  timeoutMs: number
  maxStdoutBytes: number
  killGraceMs: number
  /** Aborted when a shutdown's grace period is over: the job is released, not failed. */
  abort: AbortSignal
  /** Tells the servers' caches what a job changed (a no-op without Redis). */
  invalidate: (scopes: readonly string[]) => Promise<void>
}

/** completed; retry/failed (the attempt failed); released (shutdown); lost (the claim was taken over meanwhile: nothing of this run was kept). */
export type JobOutcome = 'completed' | 'retry' | 'failed' | 'released' | 'lost'

const ORDER: readonly JobState[] = ['downloading', 'transcoding', 'transcribing', 'diarizing', 'persisting']
const ERROR_TAIL_CHARS = 2000

/** Forward-only stage changes, written one at a time in order. */
function stageTracker(ctx: JobContext, claim: Claim) {
  let current: JobState = 'downloading'
  let writes: Promise<unknown> = Promise.resolve()
  return {
    advance(stage: JobState) {
      if (ORDER.indexOf(stage) <= ORDER.indexOf(current)) return
      current = stage
      writes = writes.then(() =>
        setStage(ctx.sql, claim, stage).catch((err: unknown) => ctx.log.warn('could not record a job stage', { job_id: claim.id, stage, ...errorFields(err) })),
      )
    },
    settled: () => writes,
  }
}

function describeFailure(r: TranscriberResult, timeoutMs: number): string | undefined {
  // Stage announcements are protocol, not diagnostics: keep them out of the error.
  const tail = r.stderrTail
    .split('\n')
    .filter((line) => !line.startsWith('::stage '))
    .join('\n')
    .trim()
    .slice(-ERROR_TAIL_CHARS)
  const withTail = (what: string) => (tail ? `${what}; stderr: ${tail}` : what)
  if (r.spawnError !== undefined) return `the transcriber could not be started: ${r.spawnError}`
  if (r.timedOut) return withTail(`the transcriber timed out after ${Math.round(timeoutMs / 1000)} s and was killed`)
  if (r.stdoutTooLarge) return withTail('the transcriber printed more output than allowed and was killed')
  if (r.signalCode) return withTail(`the transcriber was killed by ${r.signalCode}`)
  if (r.exitCode !== 0) return withTail(`the transcriber exited with code ${r.exitCode}`)
  return undefined
}

async function fail(ctx: JobContext, claim: Claim, message: string, permanent = false): Promise<JobOutcome> {
  const max = permanent ? 0 : ctx.maxAttempts
  const error = `attempt ${claim.attempts} of ${ctx.maxAttempts}: ${message}`
  const failed = await failJob(ctx.sql, claim, error, max, ctx.backoff)
  if (failed === undefined) return 'lost'
  ctx.log.warn('job attempt failed', { job_id: claim.id, attempt: claim.attempts, state: failed.state, retry_at: failed.retry_at, error: message.slice(0, 300) })
  return failed.state === 'failed' ? 'failed' : 'retry'
}

function readUrl(claim: Claim): ParsedYoutubeUrl | string {
  try {
    const parsed = parseYoutubeUrl(claim.input_url)
    return parsed.kind === claim.kind ? parsed : `the URL is a ${parsed.kind === 'single' ? 'video' : 'channel'} URL but the job kind is ${claim.kind}`
  } catch (err) {
    if (err instanceof YoutubeUrlError) return `the job's URL is not usable: ${err.message}`
    throw err
  }
}

export async function processJob(ctx: JobContext, claim: Claim): Promise<JobOutcome> {
  const url = readUrl(claim)
  // A URL that cannot work (rows written around the API) fails at once: retrying cannot help.
  if (typeof url === 'string') return fail(ctx, claim, url, true)
  if (url.kind === 'single') {
    const videoId = await attachVideo(ctx.sql, claim, url.youtubeId)
    if (!videoId) return 'lost'
    await ctx.invalidate(afterVideoCreated(videoId))
  }

  const stages = stageTracker(ctx, claim)
  const result = await runTranscriber({
    argv: ctx.argv,
    url: url.canonical,
    env: { ...ctx.env, TRANSCRIBE_KIND: claim.kind, TRANSCRIBE_JOB_ID: claim.id, TRANSCRIBE_ATTEMPT: String(claim.attempts) },
    timeoutMs: ctx.timeoutMs,
    signal: ctx.abort,
    maxStdoutBytes: ctx.maxStdoutBytes,
    killGraceMs: ctx.killGraceMs,
    onStage: (stage: TranscriberStage) => stages.advance(stage),
    onOutput: () => {
      if (claim.kind === 'single') stages.advance('transcribing')
    },
  })
  await stages.settled()

  if (result.aborted) {
    const released = await releaseJob(ctx.sql, claim)
    if (released) ctx.log.info('job released for another worker', { job_id: claim.id })
    return released ? 'released' : 'lost'
  }
  const failure = describeFailure(result, ctx.timeoutMs)
  if (failure !== undefined) return fail(ctx, claim, failure)

  try {
    if (url.kind === 'single') {
      const output = parseTranscriptOutput(result.stdout)
      if (!(await setStage(ctx.sql, claim, 'persisting'))) return 'lost'
      const videoId = await persistTranscript(ctx.sql, claim, url.youtubeId, output)
      if (!videoId) return 'lost'
      await ctx.invalidate(afterTranscriptReplaced(videoId))
      return 'completed'
    }
    const ids = parseChannelListing(result.stdout)
    if (!(await setStage(ctx.sql, claim, 'persisting'))) return 'lost'
    const expansion = await expandChannel(ctx.sql, claim, ids)
    if (!expansion) return 'lost'
    ctx.log.info('channel expanded', { job_id: claim.id, ...expansion })
    await ctx.invalidate(afterVideosListed)
    return 'completed'
  } catch (err) {
    if (err instanceof TranscriberOutputError) return fail(ctx, claim, `invalid transcriber output: ${err.message}`)
    throw err
  }
}
