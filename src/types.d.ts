// Bun resolves `import x from './file.ext' with { type: 'file' }` to a path (embedded in a
// compiled binary) and `with { type: 'text' }` to the file's contents.
declare module '*.wasm' {
  const path: string
  export default path
}
declare module '*.data' {
  const path: string
  export default path
}
declare module '*.sql' {
  const contents: string
  export default contents
}
declare module '*.css' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string
  export default path
}
