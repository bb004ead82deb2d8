import { errorBody, HttpError } from './errors.ts'
import { ReadyResponse } from './ready-response.ts'

/**
 * Runs a read for the cache: its value becomes a ready JSON response (or is one already), and a
 * thrown 404 becomes a ready 404, so "not found" can be cached briefly like any other answer.
 * Anything else propagates: errors are never cached.
 */
export async function loadReady(read: () => Promise<unknown>): Promise<ReadyResponse> {
  try {
    const value = await read()
    return value instanceof ReadyResponse ? value : ReadyResponse.json(value)
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return ReadyResponse.json(errorBody(err.code, err.message), 404)
    throw err
  }
}
