import { accessSync, constants } from 'node:fs'

// The transcriber's process group dies with its worker, however the worker ends (SIGKILL too).
//
// The worker spawns the transcriber detached (setsid: its own session and process group), so a
// timeout or a shutdown can signal the whole pipeline a wrapper script started (yt-dlp, ffmpeg,
// whisper.cpp). But a group outlives the process that created it: a worker killed with `kill -9`
// would leave it running, re-parented to PID 1, while the sweep hands its job to another worker.
// PR_SET_PDEATHSIG (`setpriv --pdeathsig`) reaches only the direct child, not its grandchildren.
//
// So the group carries a watcher: `sh` starts it in the background, then execs the transcriber in
// its own place (its pid, exit code and signals stay the transcriber's). The watcher holds the read
// end of a pipe whose write end only the worker holds and never writes to; the kernel closes that
// end when the worker dies, for any reason, and the watcher, reading end-of-file, SIGKILLs its
// whole group, itself included. It ignores SIGTERM so that it still watches while a stopped
// transcriber uses its grace period; the worker's own SIGKILL of the group ends it.

/** Everything a watcher needs: a POSIX shell with `read`, `trap` and `kill` built in. */
export const SHELL = '/bin/sh'

// fd 3 keeps the worker's pipe for the watcher: an asynchronous list's stdin is /dev/null unless
// redirected explicitly. The watcher's output goes nowhere, so it never holds the result pipes open.
const WATCH_AND_EXEC = `exec 3<&0
( trap '' TERM INT HUP; while read -r _; do :; done; kill -KILL 0 ) <&3 3<&- >/dev/null 2>&1 &
exec "$@" </dev/null 3<&-`

/** argv that runs `argv` under a watcher; spawn it detached, with stdin a pipe left open until the job ends. */
export function diesWithWorker(argv: readonly string[]): string[] {
  return [SHELL, '-c', WATCH_AND_EXEC, 'transcript-api-transcriber', ...argv]
}

/** Sends `signal` to every process of the group `pgid` (the transcriber's pid). */
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
