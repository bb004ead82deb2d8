import type postgres from 'postgres'
import type { Sql } from '../../src/platform/db.ts'

// The plan PostgreSQL chooses for a query, for the tests that prove a hot query uses its index.

export interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

const flatten = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(flatten)]

/** Every node of the plan of `query` (EXPLAIN, FORMAT JSON), depth first. Does not run the query. */
export async function planNodes<T extends readonly object[]>(sql: Sql, query: postgres.PendingQuery<T>): Promise<PlanNode[]> {
  const [row] = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>`EXPLAIN (FORMAT JSON) ${query}`
  const plan = row?.['QUERY PLAN'][0].Plan
  if (!plan) throw new Error('EXPLAIN returned no plan')
  return flatten(plan)
}

/** "Index Scan on jobs", or the node type alone when it reads no table. */
export const describeNode = (n: PlanNode) => (n['Relation Name'] ? `${n['Node Type']} on ${n['Relation Name']}` : n['Node Type'])

export const indexesOf = (nodes: PlanNode[]) => nodes.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []))
