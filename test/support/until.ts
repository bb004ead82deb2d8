/** Polls `check` until it holds; throws after `timeoutMs` (with `what` in the message). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`)
    await Bun.sleep(10)
  }
}
