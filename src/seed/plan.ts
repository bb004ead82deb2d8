import { planPeople } from './plan-people.ts'
import type { PlannedFavorite, SeedPlan } from './plan-types.ts'
import { planVideosAndJobs } from './plan-videos.ts'

// Plans every row except segments up front (a few hundred bytes per video, so even a large seed
// fits in memory easily); segments, the bulk of the data, are generated while they stream.

export function buildPlan(seed: number, videoCount: number, segmentsPerVideo: number): SeedPlan {
  const { videos, jobs } = planVideosAndJobs(seed, videoCount, segmentsPerVideo)
  const { users, sessions, events, favorites } = planPeople(seed, videos)
  const favoritesByVideo = new Map<number, PlannedFavorite[]>()
  for (const f of favorites) {
    const list = favoritesByVideo.get(f.videoIndex)
    if (list) list.push(f)
    else favoritesByVideo.set(f.videoIndex, [f])
  }
  let transcriptCount = 0
  let segmentCount = 0
  for (const v of videos) {
    transcriptCount += v.transcripts.length
    segmentCount += v.transcripts.length * v.segmentCount
  }
  return { seed, videos, jobs, users, sessions, events, favorites, favoritesByVideo, transcriptCount, segmentCount }
}
