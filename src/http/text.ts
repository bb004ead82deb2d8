import { t } from 'elysia'

// The one rule for free-text input (body fields and query filters alike): no control characters,
// which PostgreSQL refuses (NUL) or which corrupt logs and terminals (escapes). Multi-line text may
// hold tab, line feed and carriage return; single-line text holds none of C0 at all.

const SINGLE_LINE = '\\u0000-\\u001f\\u007f'
const MULTI_LINE = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f'

export interface TextRule {
  /** Longest accepted value, in UTF-16 code units (String.length). */
  maxLength: number
  minLength?: number
  /** Tab, LF and CR allowed (notes); otherwise none of C0 (names, titles, filters). */
  multiLine?: boolean
  /** At least one character that is not white space. */
  nonBlank?: boolean
}

/** The JSON-schema pattern of the rule: TypeBox checks it and the OpenAPI document shows it. */
function textPattern(rule: Pick<TextRule, 'multiLine' | 'nonBlank'>): string {
  return `^${rule.nonBlank ? '(?=[\\s\\S]*\\S)' : ''}[^${rule.multiLine ? MULTI_LINE : SINGLE_LINE}]*$`
}

/** A string schema obeying the rule; `options` add a description, examples… */
export const Text = (rule: TextRule, options: { description?: string; examples?: string[] } = {}) =>
  t.String({ maxLength: rule.maxLength, ...(rule.minLength === undefined ? {} : { minLength: rule.minLength }), pattern: textPattern(rule), ...options })

/** A check of the rule, compiled once (for query parameters, checked by hand). */
export function textCheck(rule: TextRule): (value: string) => boolean {
  const re = new RegExp(textPattern(rule))
  return (value) => value.length <= rule.maxLength && value.length >= (rule.minLength ?? 0) && re.test(value)
}
