// A parser for the subset of expr the condition builder writes (and the
// few hand-written forms that mean the same). Anything else gives null, so
// the editor falls back to "Edit as expression" instead of guessing.
import { quote, tokenize, type Token } from './tokens'

export type Node =
  | { k: 'logic'; op: 'and' | 'or'; l: Node; r: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'not'; e: Node }
  | { k: 'neg'; e: Node }
  | { k: 'paren'; e: Node }
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'nil' }
  | { k: 'path'; path: string }
  | { k: 'call'; name: string; args: Node[] }

/** The names a field path may start with (the engine's environment). */
export const roots = ['contact', 'event', 'trigger', 'vars', 'run', 'owner']

/** Words that cannot be a field name after a dot without quoting. */
export const keywords = new Set(['and', 'or', 'not', 'in', 'contains', 'startsWith', 'endsWith', 'matches',
  'nil', 'true', 'false', 'let', 'if', 'else'])

const compareOps = new Set(['==', '!=', '>=', '<=', '>', '<', 'contains', 'startsWith', 'endsWith', 'in'])

class Parser {
  i = 0
  constructor(private toks: Token[]) {}

  peek(): Token | undefined { return this.toks[this.i] }
  isOp(v: string): boolean { const t = this.peek(); return !!t && t.t === 'op' && t.v === v }
  isWord(v: string): boolean { const t = this.peek(); return !!t && t.t === 'id' && t.v === v }
  expect(v: string): void { if (!this.isOp(v)) throw fail; this.i++ }

  parseOr(): Node {
    let l = this.parseAnd()
    while (this.isWord('or') || this.isOp('||')) { this.i++; l = { k: 'logic', op: 'or', l, r: this.parseAnd() } }
    return l
  }

  parseAnd(): Node {
    let l = this.parseCompare()
    while (this.isWord('and') || this.isOp('&&')) { this.i++; l = { k: 'logic', op: 'and', l, r: this.parseCompare() } }
    return l
  }

  parseCompare(): Node {
    const l = this.parseTerm()
    let neg = false
    const save = this.i
    if (this.isWord('not')) { neg = true; this.i++ }
    const t = this.peek()
    const op = t && (t.t === 'op' || t.t === 'id') && compareOps.has(t.v) ? t.v : null
    if (!op || (neg && !['contains', 'startsWith', 'endsWith', 'in'].includes(op))) {
      if (neg) this.i = save
      return l
    }
    this.i++
    return { k: 'bin', op: neg ? `not ${op}` : op, l, r: this.parseTerm() }
  }

  parseTerm(): Node {
    let l = this.parseUnary()
    while (this.isOp('*') || this.isOp('/')) {
      const op = (this.peek() as Token).v as string
      this.i++
      l = { k: 'bin', op, l, r: this.parseUnary() }
    }
    return l
  }

  // expr binds not, ! and unary minus tighter than comparisons.
  parseUnary(): Node {
    if (this.isWord('not') || this.isOp('!')) { this.i++; return { k: 'not', e: this.parseUnary() } }
    if (this.isOp('-')) { this.i++; return { k: 'neg', e: this.parseUnary() } }
    return this.parseCoalesce()
  }

  parseCoalesce(): Node {
    let l = this.parsePrimary()
    while (this.isOp('??')) { this.i++; l = { k: 'bin', op: '??', l, r: this.parsePrimary() } }
    return l
  }

  parsePrimary(): Node {
    const t = this.peek()
    if (!t) throw fail
    this.i++
    if (t.t === 'num') return { k: 'num', v: t.v }
    if (t.t === 'str') return { k: 'str', v: t.v }
    if (t.t === 'op') {
      if (t.v !== '(') throw fail
      const e = this.parseOr()
      this.expect(')')
      return { k: 'paren', e }
    }
    if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true' }
    if (t.v === 'nil') return { k: 'nil' }
    if (this.isOp('(')) {
      this.i++
      const args: Node[] = []
      while (!this.isOp(')')) {
        args.push(this.parseOr())
        if (!this.isOp(',')) break
        this.i++
      }
      this.expect(')')
      return { k: 'call', name: t.v, args }
    }
    if (!roots.includes(t.v)) throw fail
    let path = t.v
    let depth = 0
    for (;;) {
      if (this.isOp('.')) {
        this.i++
        const n = this.peek()
        if (!n || n.t !== 'id') throw fail
        this.i++
        path += segment(n.v)
      } else if (this.isOp('[')) {
        this.i++
        const n = this.peek()
        if (!n || n.t !== 'str') throw fail
        this.i++
        this.expect(']')
        path += segment(n.v)
      } else break
      depth++
    }
    if (!depth) throw fail
    return { k: 'path', path }
  }
}

const fail = new Error('not a builder expression')

/** ".name", or ["name"] when name is not a plain word. */
export function segment(name: string): string {
  return /^[A-Za-z_]\w*$/.test(name) && !keywords.has(name) ? `.${name}` : `[${quote(name)}]`
}

/** The syntax tree of src, or null when it is outside the subset. */
export function parseAst(src: string): Node | null {
  const toks = tokenize(src)
  if (!toks || !toks.length) return null
  const p = new Parser(toks)
  try {
    const n = p.parseOr()
    return p.i === toks.length ? n : null
  } catch (e) {
    if (e === fail) return null
    throw e
  }
}
