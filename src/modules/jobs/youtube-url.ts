// Which YouTube URLs a job accepts, and the one canonical spelling each is stored under, so that
// equivalent URLs (youtu.be, m., music., shorts, extra query parameters) dedupe to one job.
// Pure functions: the worker reuses them to read a job's URL and a channel listing's lines.

export type ParsedYoutubeUrl =
  | { kind: 'single'; youtubeId: string; canonical: string }
  | { kind: 'channel'; channel: { type: 'id' | 'handle' | 'custom' | 'user'; value: string }; canonical: string }

export class YoutubeUrlError extends Error {}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/
const CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/
/** YouTube handles: 3-30 letters (any script), digits, `_`, `-`, `.`. */
const HANDLE = /^[\p{L}\p{N}_.-]{3,30}$/u
const LEGACY_NAME = /^[A-Za-z0-9_.-]{1,100}$/
const MAX_URL_LENGTH = 2048

const YOUTUBE_HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com', 'music.youtube.com'])
const SHORT_HOSTS = new Set(['youtu.be', 'www.youtu.be'])
/** Channel tabs that still name the channel itself; the canonical form drops them. */
const CHANNEL_TABS = new Set(['featured', 'videos', 'shorts', 'streams'])

export const canonicalVideoUrl = (youtubeId: string) => `https://www.youtube.com/watch?v=${youtubeId}`

export const isVideoId = (s: string) => VIDEO_ID.test(s)

function videoId(raw: string | null | undefined, where: string): string {
  if (!raw) throw new YoutubeUrlError(`${where} has no video id`)
  if (!VIDEO_ID.test(raw)) throw new YoutubeUrlError(`${JSON.stringify(raw.slice(0, 40))} is not a YouTube video id (11 characters of A-Z, a-z, 0-9, _ and -)`)
  return raw
}

const single = (id: string): ParsedYoutubeUrl => ({ kind: 'single', youtubeId: id, canonical: canonicalVideoUrl(id) })

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new YoutubeUrlError('the URL path is not valid percent-encoding')
  }
}

/** `/channel/UC…`, `/@handle`, `/c/name`, `/user/name`, each optionally followed by one tab. */
function channel(parts: string[]): ParsedYoutubeUrl | undefined {
  const [head = '', name = '', ...rest] = parts
  let parsed: ParsedYoutubeUrl & { kind: 'channel' }
  if (head.startsWith('@')) {
    const handle = decode(head.slice(1))
    if (!HANDLE.test(handle)) throw new YoutubeUrlError(`@${handle.slice(0, 40)} is not a valid YouTube handle (3-30 letters, digits, _, - or .)`)
    const value = handle.toLowerCase() // handles are case-insensitive
    parsed = { kind: 'channel', channel: { type: 'handle', value }, canonical: `https://www.youtube.com/@${encodeURIComponent(value)}` }
    rest.unshift(name)
  } else if (head === 'channel') {
    if (!CHANNEL_ID.test(name)) throw new YoutubeUrlError('a /channel/ URL needs a channel id: UC followed by 22 characters of A-Z, a-z, 0-9, _ and -')
    parsed = { kind: 'channel', channel: { type: 'id', value: name }, canonical: `https://www.youtube.com/channel/${name}` }
  } else if (head === 'c' || head === 'user') {
    const legacy = decode(name)
    if (!LEGACY_NAME.test(legacy)) throw new YoutubeUrlError(`a /${head}/ URL needs a channel name of letters, digits, _, - or .`)
    const value = legacy.toLowerCase()
    const type = head === 'c' ? 'custom' : 'user'
    parsed = { kind: 'channel', channel: { type, value }, canonical: `https://www.youtube.com/${head}/${value}` }
  } else {
    return undefined
  }
  const tabs = rest.filter((p) => p !== '')
  if (tabs.length > 1 || (tabs[0] !== undefined && !CHANNEL_TABS.has(tabs[0]))) {
    throw new YoutubeUrlError(`unsupported channel page /${tabs.join('/')}; use the channel URL itself`)
  }
  return parsed
}

function youtubePath(url: URL): ParsedYoutubeUrl {
  const parts = url.pathname.split('/').slice(1)
  const [head = '', second] = parts
  if (head === 'watch' && parts.length === 1) return single(videoId(url.searchParams.get('v'), 'the watch URL (v= parameter)'))
  if (head === 'shorts' && parts.length <= 3 && (parts[2] ?? '') === '') return single(videoId(second, 'the shorts URL'))
  if (head === 'playlist') throw new YoutubeUrlError('playlist URLs are not supported; submit a video or channel URL')
  const ch = channel(parts)
  if (ch) return ch
  throw new YoutubeUrlError(
    `unsupported YouTube URL path ${JSON.stringify(url.pathname.slice(0, 60))}: use /watch?v=ID, /shorts/ID, youtu.be/ID, /channel/UC…, /@handle, /c/name or /user/name`,
  )
}

/** Parses any accepted form; throws YoutubeUrlError whose message names the problem. */
export function parseYoutubeUrl(input: string): ParsedYoutubeUrl {
  const raw = input.trim()
  if (raw === '') throw new YoutubeUrlError('url is empty')
  if (raw.length > MAX_URL_LENGTH) throw new YoutubeUrlError(`url is longer than ${MAX_URL_LENGTH} characters`)
  // "youtube.com/watch?v=…" and "youtu.be/…" as people paste them, without a scheme.
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `https://${raw}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new YoutubeUrlError('url is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new YoutubeUrlError(`url must use https (got ${url.protocol.slice(0, 20)})`)
  if (url.username || url.password) throw new YoutubeUrlError('url must not contain credentials')
  if (url.port !== '') throw new YoutubeUrlError('url must not name a port')
  const host = url.hostname.toLowerCase()
  if (SHORT_HOSTS.has(host)) {
    const parts = url.pathname.split('/').slice(1)
    if (parts.length > 2 || (parts[1] ?? '') !== '') throw new YoutubeUrlError('a youtu.be URL is youtu.be/ID')
    return single(videoId(parts[0], 'the youtu.be URL'))
  }
  if (YOUTUBE_HOSTS.has(host)) return youtubePath(url)
  throw new YoutubeUrlError(`${JSON.stringify(host.slice(0, 80))} is not a YouTube host (youtube.com, www., m., music.youtube.com or youtu.be)`)
}
