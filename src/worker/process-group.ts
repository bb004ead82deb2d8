import { accessSync, constants } from 'node:fs'

// The transcriber's process group dies with its worker, however the worker ends (SIGKILL too).
//
// The worker spawns the transcriber detached (setsid: its own session and process group), so a
// timeout or a shutdown can signal the whole pipeline a wrapper script started (yt-dlp, ffmpeg,
// whisper.cpp). But a group outlives the process that created it: a worker killed with `kill -9`
// would leave it running, re-parented to PID 1, while the sweep hands its job to another worker.
// PR_SET_PDEATHSIG (`setpriv --pdeathsig`) reaches only the direct child, not its grandchildren.
//
// So the group carries a watcher. The worker runs `sh` (the group's leader), which starts the
// watcher and the transcriber in the background and waits for the transcriber. The watcher holds
// the read end of a pipe whose write end only the worker holds and never writes to; the kernel
// closes that end when the worker dies, for any reason, and the watcher, reading end-of-file,
// SIGKILLs the whole group, itself included. It ignores SIGTERM, so it keeps watching while a
// stopped transcriber uses its grace period.
//
// The shell outlives the transcriber (it survives the group's SIGTERM) and reaps both children
// before it exits: a finished job leaves no orphan behind, so nothing waits on PID 1 to reap it.
// It exits with the transcriber's code, or dies of the signal that killed the transcriber, so the
// worker reports either as before: a status above 128 means a signal, as shells have it. Only
// signals that end a process without a core dump are raised again (never STOP, say, which would
// hang the job); the others stay exit codes. (A background command of a shell ignores SIGINT and
// SIGQUIT; the worker stops transcribers with SIGTERM and SIGKILL only.)

/** Everything the group needs: a POSIX shell with `read`, `trap`, `wait` and `kill` built in. */
export const SHELL = '/bin/sh'

// fd 3 hands the worker's pipe to the watcher only: an asynchronous list's stdin is /dev/null
// unless redirected explicitly, and neither the shell nor the transcriber keeps a copy. The
// watcher's output goes nowhere, so it never holds the result pipes open. `wait` returns early
// when a trapped signal arrives, hence the loop; its 2>/dev/null keeps the shell's "Terminated"
// notices out of the transcriber's stderr.
const WATCHED = `exec 3<&0 0</dev/null
( trap '' TERM INT HUP; while read -r _ <&3; do :; done; kill -KILL 0 ) >/dev/null 2>&1 &
watcher=$!
exec 3<&-
trap : TERM INT HUP
"$@" &
transcriber=$!
while :; do
  wait "$transcriber" 2>/dev/null
  status=$?
  kill -0 "$transcriber" 2>/dev/null || break
done
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
if [ "$status" -gt 128 ]; then
  signal=$(kill -l "$status" 2>/dev/null)
  case "$signal" in
    HUP | INT | KILL | PIPE | TERM | ALRM | USR1 | USR2) trap - TERM INT HUP; kill -s "$signal" "$$" ;;
  esac
fi
exit "$status"`

/** argv that runs `argv` under a watcher; spawn it detached, with stdin a pipe left open until the job ends. */
export function diesWithWorker(argv: readonly string[]): string[] {
  return [SHELL, '-c', WATCHED, 'transcript-api-transcriber', ...argv]
}

/** Sends `signal` to every process of the group `pgid` (the pid of the shell diesWithWorker runs). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // the group is already gone
  }
}

/** Checked at startup: without a shell no transcriber could be watched, so none may run. */
export function shellMissing(): string | undefined {
  try {
    accessSync(SHELL, constants.X_OK)
    return undefined
  } catch {
    return `${SHELL} is missing or not executable: the worker needs it to tie each transcriber's process group to its own life`
  }
}
