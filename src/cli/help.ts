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
    '  version                     print the version',
    '  help, --help                this text',
    '',
    'Environment variables:',
    ...describeConfig(),
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.',
  ].join('\n')
}
