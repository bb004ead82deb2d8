import { CHANNELS, FAILURES, FIRST_NAMES, FORMAT_TEMPLATES, LAST_NAMES, SPEAKERS, TITLE_TEMPLATES, TOPICS, WHISPER_MODELS, type Channel } from './catalog.ts'
import { seededUuid, youtubeId } from './ids.ts'
import { JOB_STATES, type JobState, type PlannedJob, type PlannedTranscript, type PlannedVideo } from './plan-types.ts'
import { Random } from './prng.ts'
import { speechEndMs, topicWordsOf } from './speech.ts'
import { clampToNow, DATA_NOW, DAY_MS, HOUR_MS, UPLOADS_FROM } from './time.ts'

// Videos and the jobs that fetched them. Most videos are done (state completed, with a Whisper
// transcript, sometimes YouTube's captions too, sometimes only those); a few are still somewhere
// in the pipeline or failed, and have none. Jobs are shaped as the worker leaves them: each video
// has its own single job in the video's state (meta.youtube_id), some of those are children of a
// completed channel job (meta.parent_job_id), and a small queue of jobs has produced no video yet,
// so every job_state is present.

const CHANNEL_WEIGHTS = CHANNELS.map((c) => [c, c.weight] as const)

/** Share of videos in each state; unfinished ones are rare, as in a healthy pipeline. */
const VIDEO_STATES: readonly (readonly [JobState, number])[] = [
  ['completed', 940],
  ['pending', 5],
  ['downloading', 5],
  ['transcoding', 5],
  ['transcribing', 10],
  ['diarizing', 5],
  ['persisting', 5],
  ['failed', 25],
]

/** Queue-only jobs beyond the first eight (which cover every state once). */
const QUEUE_STATES: readonly (readonly [JobState, number])[] = [
  ['pending', 60],
  ['failed', 20],
  ['completed', 10],
  ['downloading', 4],
  ['transcribing', 6],
]

const PRIORITIES: readonly (readonly [number, number])[] = [
  [100, 85],
  [50, 10],
  [10, 5],
]

function capitalise(s: string): string {
  // "mRNA vaccines" and "iPhone" keep their case; "the Roman Empire" becomes "The Roman Empire".
  return /^[a-z][A-Z]/.test(s) ? s : s.charAt(0).toUpperCase() + s.slice(1)
}

function titleFor(rng: Random, channel: Channel, topic: string, uploadedAt: number, episode: number): string {
  const templates = [...(TITLE_TEMPLATES[channel.language] ?? []), ...(FORMAT_TEMPLATES[channel.format]?.[channel.language] ?? [])]
  const values: Record<string, string> = {
    topic,
    Topic: capitalise(topic),
    n: String(rng.pick([3, 5, 7, 10, 12, 15, 20, 30])),
    ep: String(episode),
    year: String(new Date(uploadedAt).getUTCFullYear()),
    guest: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
  }
  return rng.pick(templates).replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? key)
}

/**
 * When someone asked for a video uploaded at `uploadedAt`: usually within weeks (exponential, mean
 * 20 days), sometimes years later; a draw that would land after DATA_NOW is redrawn uniformly
 * within the time left, so recent uploads do not all pile up at "now".
 */
function requestedAfter(rng: Random, uploadedAt: number): number {
  const room = DATA_NOW - 4 * HOUR_MS - uploadedAt
  const delay = -Math.log(1 - rng.next()) * 20 * DAY_MS
  return uploadedAt + HOUR_MS + (delay < room ? delay : rng.next() * Math.max(0, room))
}

function transcriptsFor(rng: Random, seed: number, index: number, state: JobState): PlannedTranscript[] {
  const whisper = (): PlannedTranscript => ({ id: seededUuid(seed, 'transcript:whisper', index), source: 'whisper', model: rng.weighted(WHISPER_MODELS), createdAt: 0 })
  const youtube = (): PlannedTranscript => ({ id: seededUuid(seed, 'transcript:youtube', index), source: 'youtube', model: null, createdAt: 0 })
  if (state === 'completed') {
    const r = rng.next()
    if (r < 0.76) return [whisper()]
    if (r < 0.9) return [whisper(), youtube()]
    return [youtube()]
  }
  // A failed download sometimes still got YouTube's captions; unfinished videos have nothing yet.
  if (state === 'failed' && rng.chance(0.3)) return [youtube()]
  return []
}

function planVideo(rng: Random, seed: number, index: number, segmentsPerVideo: number, episodes: Map<Channel, number>): PlannedVideo {
  const channel = rng.weighted(CHANNEL_WEIGHTS)
  const episode = (episodes.get(channel) ?? 0) + 1
  episodes.set(channel, episode)
  const topic = rng.pick(TOPICS[channel.topics])
  // sqrt skews uploads towards recent years, the way YouTube's volume has grown.
  const uploadedAt = Math.round(UPLOADS_FROM + (DATA_NOW - 7 * DAY_MS - UPLOADS_FROM) * Math.sqrt(rng.next()))
  const segmentCount = Math.max(1, Math.min(8 * segmentsPerVideo, Math.round(segmentsPerVideo * rng.spread(0.6))))
  const [minSpeakers, maxSpeakers] = SPEAKERS[channel.format]
  const state = rng.weighted(VIDEO_STATES)
  const id = youtubeId(seed, index)
  return {
    index,
    id: seededUuid(seed, 'video', index),
    youtubeId: id,
    jobId: '',
    title: titleFor(rng, channel, topic, uploadedAt, episode),
    channel,
    durationSeconds: Math.ceil(speechEndMs(new Random(seed, 'timing', index), segmentCount) / 1000) + rng.int(0, 20),
    uploadedAt,
    state,
    error: state === 'failed' ? rng.pick(FAILURES).replace('{id}', id) : null,
    createdAt: 0,
    updatedAt: 0,
    transcripts: transcriptsFor(rng, seed, index, state),
    segmentCount,
    speakers: rng.int(minSpeakers, maxSpeakers),
    topicWords: channel.language === 'en' ? topicWordsOf(topic) : [],
  }
}

/** A channel job and the videos its expansion found (each then got its own single job). */
interface ChannelGroup {
  parent: PlannedJob
  videos: PlannedVideo[]
}

function newJob(rng: Random, seed: number, index: number, kind: PlannedJob['kind'], inputUrl: string, state: JobState): PlannedJob {
  return {
    id: seededUuid(seed, 'job', index),
    kind,
    inputUrl,
    state,
    priority: rng.weighted(PRIORITIES),
    error: null,
    meta: {},
    attempts: 0,
    claimedBy: null,
    claimedAt: null,
    createdAt: 0,
    updatedAt: 0,
  }
}

const channelUrl = (c: Channel) => `https://www.youtube.com/@${c.handle}`
const videoUrl = (youtubeId: string) => `https://www.youtube.com/watch?v=${youtubeId}`
const unfinished = (state: JobState) => state !== 'completed' && state !== 'failed'

/**
 * Runs a video's single job from `requestedAt`: claimed, processed (a fraction of real time), and
 * finished, failed or still in its state. Returns when the worker is free for the next one.
 * Everything stays before DATA_NOW: a long channel backlog started late is cut off at "now".
 */
function runSingleJob(rng: Random, job: PlannedJob, v: PlannedVideo, requestedAt: number, workerFreeAt = 0): number {
  job.createdAt = clampToNow(requestedAt)
  job.attempts = job.state === 'failed' ? 3 : job.state === 'pending' ? 0 : rng.chance(0.1) ? 2 : 1
  job.error = v.error
  v.jobId = job.id
  if (job.state === 'pending') {
    v.createdAt = job.createdAt
    v.updatedAt = job.createdAt
    job.updatedAt = job.createdAt
    return job.createdAt
  }
  const claimedAt = clampToNow(Math.max(job.createdAt, workerFreeAt) + rng.int(1_000, 120_000))
  job.claimedAt = claimedAt
  job.claimedBy = `worker-${rng.int(1, 4)}`
  v.createdAt = v.createdAt || claimedAt
  const processing = Math.round(v.durationSeconds * 1000 * (0.15 + 0.45 * rng.next())) + rng.int(5_000, 60_000)
  v.updatedAt = clampToNow(unfinished(v.state) ? claimedAt + rng.int(0, 60_000) : claimedAt + processing)
  for (const tr of v.transcripts) tr.createdAt = tr.source === 'youtube' ? Math.min(v.updatedAt, claimedAt + rng.int(2_000, 20_000)) : v.updatedAt
  job.updatedAt = v.updatedAt
  return v.updatedAt
}

/**
 * Mirrors the worker: a channel job is claimed and expanded (video rows, one child single job per
 * video, meta videos_found/jobs_created), then the children run one after another.
 */
function runChannelJob(rng: Random, { parent, videos }: ChannelGroup, children: Map<PlannedVideo, PlannedJob>): void {
  const latestUpload = Math.max(...videos.map((v) => v.uploadedAt))
  parent.createdAt = clampToNow(requestedAfter(rng, latestUpload))
  parent.claimedAt = clampToNow(parent.createdAt + rng.int(1_000, 120_000))
  parent.claimedBy = `worker-${rng.int(1, 4)}`
  parent.updatedAt = clampToNow(parent.claimedAt + rng.int(5_000, 60_000))
  parent.attempts = 1
  parent.meta = { channel: { type: 'handle', value: videos[0]?.channel.handle ?? '' }, videos_found: videos.length, jobs_created: videos.length }
  let free = parent.updatedAt
  videos.forEach((v, n) => {
    const child = children.get(v)
    if (!child) return
    v.createdAt = parent.updatedAt
    child.meta.parent_job_id = parent.id
    free = runSingleJob(rng, child, v, parent.updatedAt + n, free)
  })
}

/** Jobs that have produced no video (yet): the queue, and requests that failed before a download. */
function queueJobs(rng: Random, seed: number, firstJobIndex: number, videoCount: number): PlannedJob[] {
  const count = Math.max(JOB_STATES.length, Math.round(videoCount * 0.03))
  const jobs: PlannedJob[] = []
  for (let k = 0; k < count; k++) {
    const state = k < JOB_STATES.length ? (JOB_STATES[k] ?? 'pending') : rng.weighted(QUEUE_STATES)
    // Unfinished jobs are single videos with this seed's own ids: jobs_active_input_url_key allows
    // one unfinished job per URL, and a channel URL is shared by every seed. A finished channel
    // job with no video is a sweep that found nothing new.
    const channel = state === 'completed' || (state === 'failed' && rng.chance(0.3)) ? rng.pick(CHANNELS) : undefined
    const ytId = youtubeId(seed, videoCount + k)
    const job = newJob(rng, seed, firstJobIndex + k, channel ? 'channel' : 'single', channel ? channelUrl(channel) : videoUrl(ytId), state)
    const recent = state === 'completed' || state === 'failed' ? 14 * DAY_MS : state === 'pending' ? 3 * DAY_MS : 3 * HOUR_MS
    job.createdAt = DATA_NOW - rng.int(60_000, recent)
    if (state !== 'pending') {
      job.claimedAt = job.createdAt + rng.int(1_000, 120_000)
      job.claimedBy = `worker-${rng.int(1, 4)}`
    }
    job.updatedAt = clampToNow((job.claimedAt ?? job.createdAt) + rng.int(1_000, 600_000))
    job.attempts = state === 'failed' ? 3 : state === 'pending' ? 0 : 1
    if (channel) {
      job.meta = { channel: { type: 'handle', value: channel.handle }, videos_found: 0, jobs_created: 0 }
      job.error = state === 'failed' ? `yt-dlp: ERROR: [youtube:tab] @${channel.handle}: HTTP Error 429: Too Many Requests` : null
    } else {
      job.meta = { youtube_id: ytId }
      job.error = state === 'failed' ? rng.pick(FAILURES).replace('{id}', ytId) : null
    }
    jobs.push(job)
  }
  return jobs
}

export function planVideosAndJobs(seed: number, videoCount: number, segmentsPerVideo: number): { videos: PlannedVideo[]; jobs: PlannedJob[] } {
  const rng = new Random(seed, 'videos')
  const episodes = new Map<Channel, number>()
  const videos: PlannedVideo[] = []
  for (let i = 0; i < videoCount; i++) videos.push(planVideo(rng, seed, i, segmentsPerVideo, episodes))

  const jobRng = new Random(seed, 'jobs')
  const jobs: PlannedJob[] = []
  const nextJob = (kind: PlannedJob['kind'], url: string, state: JobState) => {
    const job = newJob(jobRng, seed, jobs.length, kind, url, state)
    jobs.push(job)
    return job
  }
  // Every video has its own single job, as the worker leaves it (meta.youtube_id is how the jobs
  // API finds a job's video). About a third of finished videos arrived through a channel job.
  const children = new Map<PlannedVideo, PlannedJob>()
  const groups: ChannelGroup[] = []
  const open = new Map<Channel, { group: ChannelGroup; room: number }>()
  // In upload order, so a channel job collects a stretch of that channel's uploads and runs
  // after the last of them: its time follows the uploads instead of always landing near "now".
  const byUpload = [...videos].sort((x, y) => x.uploadedAt - y.uploadedAt || x.index - y.index)
  for (const v of byUpload) {
    if (v.state === 'completed') {
      const current = open.get(v.channel)
      if (current && current.room > 0) {
        current.group.videos.push(v)
        current.room--
      } else if (jobRng.chance(0.3)) {
        const group = { parent: nextJob('channel', channelUrl(v.channel), 'completed'), videos: [v] }
        groups.push(group)
        open.set(v.channel, { group, room: jobRng.int(2, 24) })
      }
    }
    const job = nextJob('single', videoUrl(v.youtubeId), v.state)
    job.meta = { youtube_id: v.youtubeId }
    if (v.state === 'completed') Object.assign(job.meta, { segments: v.segmentCount, output_format: 'jsonl' })
    children.set(v, job)
  }
  const inGroup = new Set<PlannedVideo>()
  for (const g of groups) {
    runChannelJob(jobRng, g, children)
    for (const v of g.videos) inGroup.add(v)
  }
  for (const v of videos) {
    const job = children.get(v)
    if (!job || inGroup.has(v)) continue
    const requestedAt = unfinished(v.state) ? DATA_NOW - jobRng.int(5 * 60_000, 3 * HOUR_MS) : requestedAfter(jobRng, v.uploadedAt)
    runSingleJob(jobRng, job, v, requestedAt)
  }
  jobs.push(...queueJobs(jobRng, seed, jobs.length, videoCount))
  // Oldest first, like the rows of a real queue table.
  jobs.sort((a, b) => a.createdAt - b.createdAt)
  return { videos, jobs }
}
