import { EMAIL_DOMAINS, EXPORT_FORMATS, FIRST_NAMES, IP_PREFIXES, LAST_NAMES, USER_AGENTS } from './catalog.ts'
import { accountNumber, seededUuid } from './ids.ts'
import type { JsonObject, PlannedEvent, PlannedFavorite, PlannedSession, PlannedUser, PlannedVideo } from './plan-types.ts'
import { at, Random } from './prng.ts'
import { VOCABULARY } from './vocabulary.ts'
import { clampToNow, DATA_NOW, DAY_MS } from './time.ts'
import { ZipfSampler } from './zipf.ts'

// Accounts and what they did: sessions, favorites and usage events. Activity is skewed the way
// real usage is: a few heavy users and a few popular videos account for much of it (Zipf again).

const SIGNUPS_FROM = Date.UTC(2023, 0, 1)
const ADMINS = 2

export interface People {
  users: PlannedUser[]
  sessions: PlannedSession[]
  events: PlannedEvent[]
  favorites: PlannedFavorite[]
}

/** "Tomás Müller" -> "tomas.muller": email local parts in plain ASCII. */
function asciiLower(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/** A point in [from, DATA_NOW), leaning towards the recent end (activity grows). */
function recentTime(rng: Random, from: number): number {
  return clampToNow(from + (DATA_NOW - from) * Math.sqrt(rng.next()))
}

function planUser(rng: Random, seed: number, index: number): PlannedUser {
  const first = rng.pick(FIRST_NAMES)
  const last = rng.pick(LAST_NAMES)
  const provider = rng.chance(0.6) ? 'google' : 'github'
  const subject = accountNumber(seed, index)
  const createdAt = recentTime(rng, SIGNUPS_FROM)
  const admin = index < ADMINS
  return {
    index,
    id: seededUuid(seed, 'user', index),
    email: `${asciiLower(first)}.${asciiLower(last)}${index + 1}@${rng.pick(EMAIL_DOMAINS)}`,
    name: `${first} ${last}`,
    avatarUrl:
      provider === 'github'
        ? `https://avatars.githubusercontent.com/u/${subject.slice(-8)}?v=4`
        : rng.chance(0.7)
          ? `https://lh3.googleusercontent.com/a/ACg8oc${subject.slice(-10)}=s96-c`
          : null,
    oauthProvider: provider,
    oauthSubject: subject,
    plan: admin || rng.chance(0.2) ? 'pro' : 'free',
    role: admin ? 'admin' : 'user',
    createdAt,
    updatedAt: clampToNow(createdAt + rng.int(0, 200) * DAY_MS),
  }
}

function planSessions(rng: Random, seed: number, user: PlannedUser, first: number): PlannedSession[] {
  const count = rng.weighted([
    [0, 25],
    [1, 40],
    [2, 20],
    [3, 15],
  ] as const)
  const sessions: PlannedSession[] = []
  for (let k = 0; k < count; k++) {
    const createdAt = recentTime(rng, Math.max(user.createdAt, DATA_NOW - 60 * DAY_MS))
    const prefix = rng.pick(IP_PREFIXES)
    sessions.push({
      id: seededUuid(seed, 'session', first + k),
      userId: user.id,
      userAgent: rng.pick(USER_AGENTS),
      ip: prefix.includes(':') ? `${prefix}${rng.int(1, 0xffff).toString(16)}` : `${prefix}${rng.int(1, 254)}`,
      createdAt,
      expiresAt: createdAt + 30 * DAY_MS,
    })
  }
  return sessions
}

/** Popular videos first, in an order that has nothing to do with upload order. */
function popularityOrder(rng: Random, videos: readonly PlannedVideo[]): PlannedVideo[] {
  const watchable = videos.filter((v) => v.transcripts.length > 0)
  for (let i = watchable.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const a = at(watchable, i)
    watchable[i] = at(watchable, j)
    watchable[j] = a
  }
  return watchable
}

function searchQuery(rng: Random, video: PlannedVideo): string {
  // Half the searches name a video's topic, the rest are everyday words (never the top 100).
  if (video.topicWords.length > 0 && rng.chance(0.5)) return video.topicWords.join(' ')
  const n = rng.weighted([
    [1, 60],
    [2, 30],
    [3, 10],
  ] as const)
  return Array.from({ length: n }, () => at(VOCABULARY, rng.int(100, 2500))).join(' ')
}

function planEvents(rng: Random, user: PlannedUser | null, sessions: readonly PlannedSession[], pick: () => PlannedVideo, count: number): PlannedEvent[] {
  const events: PlannedEvent[] = []
  const from = Math.max(user?.createdAt ?? 0, DATA_NOW - 90 * DAY_MS)
  for (let k = 0; k < count; k++) {
    const video = pick()
    const type = user ? rng.weighted([['search', 50], ['view', 35], ['export', 15]] as const) : 'view'
    const payload: JsonObject =
      type === 'search'
        ? { q: searchQuery(rng, video), results: Math.round(400 * rng.spread(1.5)) }
        : type === 'export'
          ? { video_id: video.id, format: rng.pick(EXPORT_FORMATS) }
          : { video_id: video.id }
    events.push({
      userId: user?.id ?? null,
      sessionId: sessions.length > 0 && rng.chance(0.8) ? rng.pick(sessions).id : null,
      type,
      payload,
      createdAt: recentTime(rng, from),
    })
  }
  return events
}

function planFavorites(rng: Random, seed: number, user: PlannedUser, pick: () => PlannedVideo, first: number): PlannedFavorite[] {
  const count = rng.weighted([
    [0, 40],
    [1, 20],
    [2, 15],
    [3, 10],
    [5, 10],
    [8, 5],
  ] as const)
  const favorites: PlannedFavorite[] = []
  for (let k = 0; k < count; k++) {
    const video = pick()
    const span = Math.min(video.segmentCount, rng.int(1, 3))
    favorites.push({
      id: seededUuid(seed, 'favorite', first + k),
      userId: user.id,
      videoIndex: video.index,
      firstSegment: rng.int(0, video.segmentCount - span),
      segmentSpan: span,
      createdAt: recentTime(rng, Math.max(user.createdAt, video.updatedAt)),
      startMs: 0,
      endMs: 0,
      text: '',
    })
  }
  return favorites
}

export function planPeople(seed: number, videos: readonly PlannedVideo[]): People {
  const rng = new Random(seed, 'people')
  const popular = popularityOrder(new Random(seed, 'popularity'), videos)
  const popularity = new ZipfSampler(Math.max(1, popular.length), 0.9)
  const pick = (): PlannedVideo => at(popular, popularity.sample(rng))
  const userCount = Math.max(8, Math.round(videos.length / 10))
  const people: People = { users: [], sessions: [], events: [], favorites: [] }
  for (let i = 0; i < userCount; i++) {
    const user = planUser(rng, seed, i)
    const sessions = planSessions(rng, seed, user, people.sessions.length)
    people.users.push(user)
    people.sessions.push(...sessions)
    if (popular.length === 0) continue
    const activity = Math.min(300, Math.round(12 * rng.spread(1) * (user.plan === 'pro' ? 2 : 1)))
    people.events.push(...planEvents(rng, user, sessions, pick, activity))
    people.favorites.push(...planFavorites(rng, seed, user, pick, people.favorites.length))
  }
  // Anonymous visitors only view.
  if (popular.length > 0) people.events.push(...planEvents(rng, null, [], pick, Math.round(videos.length / 2)))
  // bigserial ids should grow with time, as they would in a live table.
  people.events.sort((a, b) => a.createdAt - b.createdAt)
  return people
}
