// TRANSCRIBE_CMD is split into argv here and executed without a shell, so the video URL is always
// one argument of its own and can never be interpreted as shell syntax. Quoting follows sh:
// '…' is literal, "…" honours \" \\ \$ \` escapes, a backslash outside quotes escapes the next
// character. Operators and expansions ($VAR, |, ;, &, <, >, `…`, globs) are refused rather than
// silently passed through as literal text: a pipeline belongs in a script (see scripts/transcribers/).

export class ShellWordsError extends Error {}

const UNSUPPORTED = new Set(['|', '&', ';', '<', '>', '(', ')', '`', '$', '*', '?', '['])
/** Special only where a word begins (a comment, a home directory). */
const UNSUPPORTED_AT_START = new Set(['#', '~'])
const SPACE = /\s/

export function splitShellWords(command: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < command.length; i++) {
    const c = command.charAt(i)
    if (SPACE.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    const atStart = !inWord
    inWord = true
    if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw new ShellWordsError('unterminated single quote')
      word += command.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      let j = i + 1
      for (; j < command.length && command.charAt(j) !== '"'; j++) {
        const d = command.charAt(j)
        if (d === '\\' && '"\\$`\n'.includes(command.charAt(j + 1)) && j + 1 < command.length) word += command.charAt(++j)
        else if (d === '$' || d === '`') throw new ShellWordsError(`expansion ${d} inside double quotes is not supported; wrap the command in a script`)
        else word += d
      }
      if (j >= command.length) throw new ShellWordsError('unterminated double quote')
      i = j
    } else if (c === '\\') {
      if (i + 1 >= command.length) throw new ShellWordsError('trailing backslash')
      word += command.charAt(++i)
    } else if (UNSUPPORTED.has(c) || (atStart && UNSUPPORTED_AT_START.has(c))) {
      throw new ShellWordsError(`shell syntax ${JSON.stringify(c)} is not supported (no shell runs the command); quote it or wrap the command in a script`)
    } else {
      word += c
    }
  }
  if (inWord) words.push(word)
  if (words.length === 0) throw new ShellWordsError('the command is empty')
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
    throw new ShellWordsError("a leading VAR=value assignment is not supported; set it in the worker's environment")
  }
  return words
}
