import { testApp } from './test/support/app.ts'
import type { Sql } from './src/platform/db.ts'
const api = testApp({} as Sql)
const res = await api.request('/swagger/json')
const text = await res.text()
await Bun.write('/tmp/x/doc.json', text)
const doc = JSON.parse(text)
console.log(res.status, Object.keys(doc.paths).length, Object.keys(doc.components.schemas))
console.log(JSON.stringify(doc.paths['/videos/{id}'], null, 1).slice(0, 3000))
