import { parseArgs } from 'node:util'

/** A command-line mistake: printed as one line, exit code 2 (like a config error). */
export class UsageError extends Error {}

type OptionSpec = { type: 'string' | 'boolean'; short?: string }

/** Parses `args` strictly: unknown flags and stray positionals are usage errors. */
export function parseOptions<const O extends Record<string, OptionSpec>>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`)
  }
}

export function integerOption(command: string, flag: string, raw: string | undefined, min: number, max: number, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`${command}: --${flag} is required`)
    return fallback
  }
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`${command}: --${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`)
  return n
}
