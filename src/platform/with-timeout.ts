export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`)
  }
}

/** Rejects with TimeoutError when `promise` takes longer than `ms` (the work itself goes on). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: Timer | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
