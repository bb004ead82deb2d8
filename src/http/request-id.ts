// A request's id: the client's (or its proxy's) X-Request-Id when it is a plausible one, so a trace
// can follow the request across systems; otherwise one of ours. Ours are a random prefix per
// process and a counter: unique across a fleet without a random draw per request, cheaper on a
// cache hit than crypto.randomUUID().

export const REQUEST_ID_HEADER = 'x-request-id'
export const MAX_REQUEST_ID_CHARS = 128
/** Safe in a header, a log line (JSON, unescaped) and a shell: anything else is replaced. */
const ACCEPTED = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_REQUEST_ID_CHARS}}$`)

const PREFIX = `${crypto.randomUUID().slice(0, 8)}-`
let issued = 0

/** A new id of this process. */
export const newRequestId = (): string => PREFIX + (++issued).toString(36)

/** The incoming X-Request-Id when accepted, else a new one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER)
  return given !== null && ACCEPTED.test(given) ? given : newRequestId()
}
