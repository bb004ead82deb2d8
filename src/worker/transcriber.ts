import { accessSync, constants, statSync } from 'node:fs'
import { diesWithWorker, signalGroup } from './process-group.ts'
import { ShellWordsError, splitShellWords } from './shell-words.ts'

// Runs the external transcriber (TRANSCRIBE_CMD) for one job: argv from the command plus the URL
// as the last argument, never parsed by a shell (the group's fixed script runs it as "$@"). stdout
// is the result (collected, bounded); stderr is the transcriber's log, kept as a tail for the job's
// error and scanned for stage announcements.
//
// The child runs in its own process group (setsid), so a timeout or a shutdown kills the whole
// pipeline a wrapper script started (yt-dlp, ffmpeg, whisper.cpp), not only the script; and that
// group dies with the worker, even one killed with SIGKILL (process-group.ts).

/** Stages a transcriber may announce with a stderr line `::stage <name>`. */
export const TRANSCRIBER_STAGES = ['downloading', 'transcoding', 'transcribing', 'diarizing'] as const
export type TranscriberStage = (typeof TRANSCRIBER_STAGES)[number]

const STAGE_LINE = /^::stage\s+([a-z]+)\s*$/
const STDERR_TAIL_BYTES = 4096
/** How long output pipes may stay open after the transcriber itself has exited. */
const LINGER_MS = 2000

export interface TranscriberRun {
  argv: readonly string[]
  url: string
  /** Added to the worker's own environment. */
  env: Record<string, string>
  /** Killed past this; the result says timedOut. */
  timeoutMs: number
  /** Aborting kills the transcriber (a shutdown past its grace period); the result says aborted. */
  signal: AbortSignal
  maxStdoutBytes: number
  /** Between SIGTERM and SIGKILL when the transcriber is stopped. */
  killGraceMs: number
  onStage: (stage: TranscriberStage) => void
  /** The first stdout bytes: output is being produced, i.e. transcription has begun. */
  onOutput: () => void
}

export interface TranscriberResult {
  exitCode: number | null
  signalCode: string | null
  stdout: string
  stderrTail: string
  timedOut: boolean
  aborted: boolean
  stdoutTooLarge: boolean
  /** The command could not be started at all (not found, not executable). */
  spawnError: string | undefined
}

async function collect(stream: ReadableStream<Uint8Array>, maxBytes: number, onFirst: () => void, onOverflow: () => void): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  let overflowed = false
  for await (const chunk of stream) {
    if (size === 0 && chunk.byteLength > 0) onFirst()
    size += chunk.byteLength
    if (overflowed) continue // keep draining so the child is not blocked on a full pipe
    if (size > maxBytes) {
      overflowed = true
      onOverflow()
      continue
    }
    chunks.push(chunk)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}

/** Keeps the last STDERR_TAIL_BYTES of stderr and reports `::stage` lines as they arrive. */
async function watchStderr(stream: ReadableStream<Uint8Array>, onStage: (s: TranscriberStage) => void): Promise<string> {
  const decoder = new TextDecoder()
  let tail = ''
  let partial = ''
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true })
    tail = (tail + text).slice(-STDERR_TAIL_BYTES)
    const lines = (partial + text).split('\n')
    partial = (lines.pop() ?? '').slice(-1024)
    for (const line of lines) {
      const stage = STAGE_LINE.exec(line.trimEnd())?.[1]
      const known = TRANSCRIBER_STAGES.find((s) => s === stage)
      if (known) onStage(known)
    }
  }
  return tail
}

export async function runTranscriber(run: TranscriberRun): Promise<TranscriberResult> {
  const none = { exitCode: null, signalCode: null, stdout: '', stderrTail: '', timedOut: false, aborted: false, stdoutTooLarge: false }
  if (run.signal.aborted) return { ...none, aborted: true, spawnError: undefined }
  let child: Bun.Subprocess<'pipe', 'pipe', 'pipe'>
  try {
    child = Bun.spawn(diesWithWorker([...run.argv, run.url]), {
      // The watcher's pipe: never written, closed when the job ends or the worker dies.
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: true,
      env: { ...transcriberEnv(), ...run.env },
    })
  } catch (err) {
    return { ...none, spawnError: err instanceof Error ? err.message : String(err) }
  }

  let timedOut = false
  let aborted = false
  let stdoutTooLarge = false
  let killTimer: Timer | undefined
  const stop = () => {
    if (killTimer !== undefined || child.exitCode !== null) return
    signalGroup(child.pid, 'SIGTERM')
    killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), run.killGraceMs)
  }
  const timeout = setTimeout(() => {
    timedOut = true
    stop()
  }, run.timeoutMs)
  const onAbort = () => {
    aborted = true
    stop()
  }
  run.signal.addEventListener('abort', onAbort, { once: true })
  // A grandchild that inherited stdout would keep the pipe open after the transcriber exits.
  let lingerTimer: Timer | undefined
  void child.exited.then(() => {
    lingerTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), LINGER_MS)
  })

  try {
    const [stdout, stderrTail] = await Promise.all([
      collect(child.stdout, run.maxStdoutBytes, run.onOutput, () => {
        stdoutTooLarge = true
        stop()
      }),
      watchStderr(child.stderr, run.onStage),
      child.exited,
    ])
    return {
      exitCode: child.exitCode,
      signalCode: child.signalCode === null ? null : String(child.signalCode),
      stdout,
      stderrTail,
      timedOut,
      aborted,
      stdoutTooLarge,
      spawnError: undefined,
    }
  } finally {
    clearTimeout(timeout)
    clearTimeout(killTimer)
    clearTimeout(lingerTimer)
    run.signal.removeEventListener('abort', onAbort)
    // Whatever the script left behind in its group (a backgrounded download, say) goes with it.
    signalGroup(child.pid, 'SIGKILL')
    await child.stdin.end()
  }
}

/** The worker's credentials are none of the transcriber's business (it runs third-party downloaders). */
const WITHHELD_ENV = new Set(['DATABASE_URL', 'REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES', 'ADMIN_TOKEN', 'TRANSCRIBE_CMD'])

function transcriberEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !WITHHELD_ENV.has(name)))
}

export class TranscriberCommandError extends Error {}

/**
 * TRANSCRIBE_CMD as argv, checked once at startup: a worker whose every job would fail with
 * "command not found" should refuse to start instead.
 */
export function transcriberArgv(command: string): string[] {
  let argv: string[]
  try {
    argv = splitShellWords(command)
  } catch (err) {
    if (err instanceof ShellWordsError) throw new TranscriberCommandError(err.message)
    throw err
  }
  const exe = argv[0] ?? ''
  const found = exe.includes('/') ? isExecutableFile(exe) : Bun.which(exe) !== null
  if (!found) throw new TranscriberCommandError(`${exe} is not an executable file nor a command on PATH`)
  return argv
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}
