// The tokens of the small part of expr (https://expr-lang.org) that the
// condition builder writes, and safe string literals for it.

export type Token =
  | { t: 'id'; v: string }
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'op'; v: string }

const ops = ['??', '==', '!=', '>=', '<=', '&&', '||', '>', '<', '!', '(', ')', '[', ']', ',', '.', '*', '/', '-']

const escapes: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '\\': '\\', '"': '"', "'": "'",
}

/**
 * A string literal expr reads back as s. JSON's escapes (\" \\ \n \uXXXX)
 * are all valid in expr; lone surrogate halves are not, so they become
 * U+FFFD (a browser can hold them, a Go string cannot).
 */
export function quote(s: string): string {
  return JSON.stringify(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))
}

/** The tokens of src, or null when it has something this subset does not know. */
export function tokenize(src: string): Token[] | null {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) { i++; continue }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1
      while (j < src.length && /[\w$]/.test(src[j])) j++
      out.push({ t: 'id', v: src.slice(i, j) })
      i = j
      continue
    }
    if (/\d/.test(c)) {
      const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])/.exec(src.slice(i))
      if (!m) return null
      out.push({ t: 'num', v: Number(m[1]) })
      i += m[1].length
      continue
    }
    if (c === '"' || c === "'") {
      const r = readString(src, i)
      if (!r) return null
      out.push({ t: 'str', v: r.value })
      i = r.end
      continue
    }
    const op = ops.find((o) => src.startsWith(o, i))
    if (!op) return null
    out.push({ t: 'op', v: op })
    i += op.length
  }
  return out
}

/** Reads a quoted string at src[start]; its value and the index after it. */
function readString(src: string, start: number): { value: string; end: number } | null {
  const q = src[start]
  let out = ''
  let i = start + 1
  while (i < src.length) {
    const c = src[i]
    if (c === q) return { value: out, end: i + 1 }
    if (c === '\n') return null
    if (c !== '\\') { out += c; i++; continue }
    const e = src[i + 1]
    if (e in escapes) { out += escapes[e]; i += 2; continue }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (!hex) return null
    const digits = src.slice(i + 2, i + 2 + hex)
    if (digits.length !== hex || !/^[0-9a-fA-F]+$/.test(digits)) return null
    const code = parseInt(digits, 16)
    // Go refuses surrogate halves and code points past U+10FFFF.
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null
    out += String.fromCodePoint(code)
    i += 2 + hex
  }
  return null
}
