// Secrets never reach a log line or an error message: URL passwords are masked wherever they
// appear, and the configured secret values (tokens, client secrets) wherever they are repeated.

export const MASK = '***'

/** `scheme://user:password@` → `scheme://user:***@` in any text (a password's `@` must be %-encoded there). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s"'/?#:@]*:)[^\s"'/?#@]*@/gi

export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${MASK}@`)
}

/**
 * The same for one value that may not even parse (a rejected DATABASE_URL): its password runs
 * from the first `:` after the user name to the last `@`, whatever it contains.
 */
export function redactUrl(value: string): string {
  const at = value.lastIndexOf('@')
  const start = value.indexOf('://') + 3
  const colon = value.indexOf(':', start)
  if (start < 3 || at < 0 || colon < 0 || colon > at) return redactUrlPasswords(value)
  return `${value.slice(0, colon + 1)}${MASK}${value.slice(at)}`
}

/** Shorter values would mask ordinary words; every configured secret is far longer. */
const MIN_SECRET_LENGTH = 6

/** A function masking URL passwords and every occurrence of the given secret values. */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  // As given and as JSON escapes it (log lines are JSON).
  const forms = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
  const values = [...new Set(forms)].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = redactUrlPasswords(text)
    for (const value of values) if (out.includes(value)) out = out.replaceAll(value, MASK)
    return out
  }
}
