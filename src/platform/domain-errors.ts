// What services throw when a request cannot be done, in the service's own terms. They know nothing
// of HTTP: the app maps each kind to its status in one place (src/http/errors.ts, httpErrorOf).
// `code` is the snake_case code clients see in `{ error: { code, message } }`.

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The input cannot be acted on (a URL that is not a video, an unknown field, …). */
export class InvalidInput extends DomainError {}

/** What the request names does not exist (or is not ready yet). */
export class NotFound extends DomainError {}

/** The request contradicts the current state (a duplicate, a job already running). */
export class Conflict extends DomainError {}

/** The caller used up a quota (its message says when it refills). */
export class QuotaExceeded extends DomainError {}
