// k6 provides console in every context; @types/k6 does not declare it (it comes from lib "dom" elsewhere).
declare const console: {
  log(...data: unknown[]): void
  info(...data: unknown[]): void
  warn(...data: unknown[]): void
  error(...data: unknown[]): void
  debug(...data: unknown[]): void
}
