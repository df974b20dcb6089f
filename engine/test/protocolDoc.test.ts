/**
 * docs/protocol.md must not drift from the code (issue 11). Every hex block it
 * quotes carries an annotation, `<!-- golden: <file>#<path> -->`, naming the
 * golden vector it copies, and must equal that vector byte for byte; its
 * signature-context table must be contexts.ts; its type tables must be what the
 * decoders accept; its contents must list every section and its links must land.
 *
 * The reach record and custody receipt blocks carry no annotation: their own
 * suite, engine/reach/test/golden.test.ts, checks them, and this one does not
 * repeat it. Vectors under ../shared/vectors/ (the public Noise vectors) are
 * beside the repo, not in it: without them those blocks are skipped with a
 * warning, or fail under REQUIRE_VECTORS=1, as in engine/test/vectors.ts.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { utf8Encode } from '../bytes.ts'
import { SignatureContext } from '../identity/contexts.ts'
import { decodeLinkFrame } from '../wire/linkFrame.ts'
import { decodeMessageBody } from '../wire/messageBody.ts'
import { loadVectors } from './vectors.ts'

const root = join(import.meta.dirname, '..', '..')
const doc = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8')
const lines = doc.split('\n')

/** Sections whose blocks engine/reach/test/golden.test.ts checks. */
const REACH_SECTIONS = new Set(['Reach record (version 1)', 'Custody receipt (version 1)'])
/** Sections that quote at least one golden vector (the announcement has none yet). */
const QUOTING_SECTIONS = [
  'Noise link',
  'Link frames (version 1)',
  'Envelope (version 2)',
  'End-to-end message',
  'Offer code (version 3)',
  'Backup file (version 1)',
]
const SHARED = '../shared/vectors/'
const ANNOTATION = /^<!-- golden: (.+?)#(.+) -->$/

interface Block {
  /** The `## ` section it sits in. */
  readonly section: string
  /** 1-based line of its opening fence. */
  readonly line: number
  readonly annotation: { readonly file: string; readonly path: string } | null
  /** Its content with all white space removed. */
  readonly content: string
}

function fencedBlocks(): Block[] {
  const out: Block[] = []
  let section = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith('## ')) section = line.slice(3).trim()
    if (!line.startsWith('```')) continue
    let end = i + 1
    while (end < lines.length && !lines[end]!.startsWith('```')) end++
    const match = ANNOTATION.exec(lines[i - 1] ?? '')
    out.push({
      section,
      line: i + 1,
      annotation: match ? { file: match[1]!, path: match[2]! } : null,
      content: lines.slice(i + 1, end).join('').replace(/\s+/g, ''),
    })
    i = end
  }
  return out
}

/** Follows `a/b/c` through objects (by key) and arrays (by index, or by a unique `name` / `protocol_name`). */
function pick(data: unknown, path: string): unknown {
  let node = data
  for (const segment of path.split('/')) {
    if (Array.isArray(node)) {
      if (/^\d+$/.test(segment)) {
        node = node[Number(segment)]
        continue
      }
      const named = node.filter((e: { name?: unknown; protocol_name?: unknown } | null) => e?.name === segment || e?.protocol_name === segment)
      if (named.length !== 1) throw new Error(`${named.length} vectors are named '${segment}'`)
      node = named[0]
    } else if (node !== null && typeof node === 'object') {
      node = (node as Record<string, unknown>)[segment]
    } else {
      return undefined
    }
  }
  return node
}

/** A vector file's JSON; null for a missing shared file (outside the repo), a throw for a missing repo file. */
function vectorFile(file: string): unknown {
  if (file.startsWith(SHARED)) return loadVectors(file.slice(SHARED.length))
  return JSON.parse(readFileSync(join(root, file), 'utf8')) as unknown
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

/** The rows `| n | \`name\` | …` of the table headed `| type | name |` in `section`. */
function typeTable(section: string): Map<number, string> {
  const start = lines.indexOf(`## ${section}`)
  expect(start, `section '${section}'`).toBeGreaterThanOrEqual(0)
  const header = lines.findIndex((line, i) => i > start && line.startsWith('| type | name |'))
  expect(header, `a '| type | name |' table in '${section}'`).toBeGreaterThan(start)
  const rows = new Map<number, string>()
  for (let i = header + 2; lines[i]?.startsWith('|'); i++) {
    const row = /^\| (\d+) \| `([a-z-]+)` \|/.exec(lines[i]!)
    if (row) rows.set(Number(row[1]), row[2]!)
  }
  return rows
}

/** Type bytes the decoder knows: every other one is refused as UnknownFrameTypeError before the body is read. */
function knownTypes(decode: (bytes: Uint8Array) => unknown, version: number): number[] {
  const known: number[] = []
  for (let type = 0; type < 256; type++) {
    try {
      decode(Uint8Array.of(version, type))
      known.push(type)
    } catch (error) {
      if ((error as Error).name !== 'UnknownFrameTypeError') known.push(type)
    }
  }
  return known
}

const blocks = fencedBlocks()
const annotated = blocks.filter((b) => b.annotation !== null)

describe('docs/protocol.md', () => {
  it('annotates every hex block with the vector it copies (reach sections aside)', () => {
    const loose = blocks.filter((b) => b.annotation === null && /^[0-9a-f]+$/i.test(b.content) && !REACH_SECTIONS.has(b.section))
    expect(loose.map((b) => `line ${b.line} (${b.section})`)).toEqual([])
    // An annotation must sit right above the block it names.
    expect(lines.filter((line) => line.startsWith('<!-- golden:')).length).toBe(annotated.length)
  })

  it('quotes a golden vector in every section that has one', () => {
    for (const section of QUOTING_SECTIONS) expect(annotated.some((b) => b.section === section), section).toBe(true)
  })

  for (const block of annotated) {
    const { file, path } = block.annotation!
    it(`${block.section}, line ${block.line}: ${file}#${path}`, (context) => {
      const data = vectorFile(file)
      if (data === null) {
        if (process.env.REQUIRE_VECTORS === '1') throw new Error(`REQUIRE_VECTORS=1 but ${file} is missing`)
        context.skip()
      }
      const vector = pick(data, path)
      expect(typeof vector, `${file}#${path} is a string`).toBe('string')
      expect(block.content).toBe(vector)
    })
  }

  it('lists every signature context of contexts.ts, with its length byte', () => {
    const rows = new Map<string, number>()
    const start = lines.indexOf('## Signature contexts')
    for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
      const row = /^\| `([^`]+)` \| `0x([0-9a-f]{2})` \|/.exec(lines[i]!)
      if (row) rows.set(row[1]!, parseInt(row[2]!, 16))
    }
    expect([...rows.keys()].sort()).toEqual(Object.values(SignatureContext).sort())
    for (const [context, length] of rows) expect(length, context).toBe(utf8Encode(context).length)
  })

  // Two tests, so a drift in one table does not hide the other's.
  it('lists exactly the link frame types the decoder accepts', () => {
    expect([...typeTable('Link frames (version 1)').keys()].sort((a, b) => a - b)).toEqual(knownTypes(decodeLinkFrame, 1))
  })

  it('lists exactly the message body types the decoder accepts', () => {
    expect([...typeTable('End-to-end message').keys()].sort((a, b) => a - b)).toEqual(knownTypes(decodeMessageBody, 1))
  })

  it('lists every section in its contents, and every link lands on a heading', () => {
    const headings = lines.filter((line) => /^#{2,3} /.test(line)).map((line) => line.replace(/^#+ /, '').trim())
    const anchors = new Set(headings.map(slug))
    const start = lines.indexOf('## Contents')
    const end = lines.findIndex((line, i) => i > start && line.startsWith('## '))
    const contents = lines.slice(start, end).join('\n')
    for (const heading of lines.filter((line) => line.startsWith('## ') && line !== '## Contents')) {
      expect(contents, heading).toContain(`](#${slug(heading.slice(3).trim())})`)
    }
    for (const [, anchor] of doc.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(anchor!), `#${anchor}`).toBe(true)
  })
})
