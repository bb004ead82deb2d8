import type { Subprocess } from 'bun'

// Runs the server (source or built binary) as a real child process and finds its port from the
// `listening` log line, so tests exercise startup, signals and exit codes for real.

export interface ServerProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  baseUrl: string
  /** Every stdout/stderr line so far. */
  output(): string
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>
}

async function collect(stream: ReadableStream<Uint8Array>, sink: string[], onLine: (line: string) => void) {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      sink.push(line)
      onLine(line)
    }
  }
  if (buffered) sink.push(buffered)
}

/** `onLine` sees every output line as it comes, before the server listens too. */
export async function startServer(
  cmd: string[],
  options: { env: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; onLine?: (line: string) => void },
): Promise<ServerProcess> {
  const lines: string[] = []
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const listening = new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      options.onLine?.(line)
      if (!line.includes('"msg":"listening"')) return
      resolve((JSON.parse(line) as { url: string }).url)
    }
    void collect(proc.stdout, lines, onLine)
    void collect(proc.stderr, lines, (line) => options.onLine?.(line))
    void proc.exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${lines.join('\n')}`)))
    setTimeout(() => reject(new Error(`server did not listen within ${options.timeoutMs ?? 60_000} ms:\n${lines.join('\n')}`)), options.timeoutMs ?? 60_000)
  })
  let baseUrl: string
  try {
    baseUrl = await listening
  } catch (err) {
    proc.kill('SIGKILL')
    throw err
  }
  return {
    proc,
    baseUrl,
    output: () => lines.join('\n'),
    async stop() {
      proc.kill('SIGTERM')
      return proc.exited
    },
  }
}
