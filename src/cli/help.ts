import { describeConfig } from '../config.ts'
import { APP_VERSION } from '../version.ts'

export function helpText(): string {
  return [
    `transcript-api ${APP_VERSION}: the transcript service API in one binary`,
    '',
    'Usage: transcript-api [command] [options]',
    '',
    'Commands:',
    '  serve                       run the HTTP server (default); migrates at startup',
    '  migrate [--status]          apply pending migrations and exit; --status lists applied and pending',
    '  seed --videos N [--segments-per-video M] [--seed S]',
    '                              load deterministic demo data with COPY (default M=100, S=1)',
    '  healthcheck                 exit 0 when the server on PORT answers /health (for containers)',
    '  worker [--concurrency N] [--shutdown-grace S] [--poll-interval MS] [--metrics-port P]',
    '                              run transcription jobs with TRANSCRIBE_CMD (N loops, default 1); SIGTERM',
    '                              finishes held jobs within S seconds (default 30), then releases them;',
    '                              --metrics-port serves its Prometheus metrics on HOST:P/metrics',
    '  users create --email E [--name N] [--role user|admin] [--plan free|pro]',
    '                              create a user and print an API key for it (the first admin of a fresh VM)',
    '  users key --email E         print a new API key for an existing user',
    '  users list [--email E] [--limit N]',
    '                              list users, newest first (default N=100)',
    '  users revoke-keys --email E revoke every API key of the user (running servers drop them at once via Redis)',
  '  users set-role --email E --role user|admin',
  '                              change a user\'s role (running servers see it at once via Redis)',
    '  version                     print the version',
    '  help, --help                this text',
    '',
    'Environment variables:',
    ...describeConfig(),
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.',
  ].join('\n')
}
