import { expect } from 'bun:test'

// Walking a search page by page, as a client does: every page's page_info is checked on the way.

export interface SearchPage<H> {
  items: H[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

/** Every hit from the first page to the last; `page` fetches the page after `cursor` (the first when undefined). */
export async function walkPages<H>(limit: number, page: (cursor: string | undefined) => Promise<SearchPage<H>>): Promise<H[]> {
  const hits: H[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const body = await page(cursor)
    hits.push(...body.items)
    expect(body.page_info.has_next_page).toBe(body.page_info.next_cursor !== null)
    if (body.page_info.has_next_page) expect(body.items).toHaveLength(limit)
    if (!body.page_info.next_cursor) return hits
    cursor = body.page_info.next_cursor
  }
  throw new Error('pagination did not end')
}
