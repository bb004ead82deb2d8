#!/usr/bin/env bun
import { ConfigError, loadConfig, secretValues } from './config.ts'
import { createLogger } from './platform/log.ts'
import { redactUrlPasswords, secretRedactor } from './redact.ts'
import { healthcheckCommand } from './cli/healthcheck.ts'
import { helpText } from './cli/help.ts'
import { migrateCommand } from './cli/migrate.ts'
import { seedCommand } from './cli/seed.ts'
import { serveCommand } from './cli/serve.ts'
import { UsageError } from './cli/usage.ts'
import { usersCommand } from './cli/users.ts'
import { workerCommand } from './cli/worker.ts'
import { APP_VERSION } from './version.ts'

const COMMANDS = {
  serve: serveCommand,
  migrate: migrateCommand,
  seed: seedCommand,
  healthcheck: healthcheckCommand,
  worker: workerCommand,
  users: usersCommand,
} as const

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === 'help' || first === '--help' || first === '-h') {
    console.log(helpText())
    return 0
  }
  if (first === 'version' || first === '--version') {
    console.log(APP_VERSION)
    return 0
  }
  const name = first === undefined || first.startsWith('-') ? 'serve' : first
  const args = name === first ? rest : argv
  const command = COMMANDS[name as keyof typeof COMMANDS]
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; see transcript-api --help`)
  const config = loadConfig()
  redact = secretRedactor(secretValues(config))
  await command(args, config, createLogger(config.LOG_LEVEL, redact))
  return 0
}

/** Masks secrets in what reaches stdout/stderr; before the config is read, URL passwords only. */
let redact: (text: string) => string = redactUrlPasswords

main(Bun.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(`config error: ${err.message}`)
    else if (err instanceof UsageError) console.error(`usage error: ${err.message}`)
    else console.error(`error: ${redact(err instanceof Error ? err.message : String(err))}`)
    process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1)
  },
)
