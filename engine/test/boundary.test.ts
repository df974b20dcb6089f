/**
 * DESIGN.md §1: imports point down, and engine/ is host-free. This fails when
 * engine/ imports the DOM, node:*, xstate, comlink or solid-js, or machines/
 * reaches past engine/ and xstate.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

function sources(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'test' && entry.name !== 'node_modules') out.push(...sources(path))
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? '',
  )
}

const HOST_GLOBALS = /\b(window|document|localStorage|sessionStorage|indexedDB|navigator|process|Buffer|require)\s*[.(]/

describe('layer boundaries', () => {
  it('engine/ imports only engine/ and @noble/*', () => {
    const offenders: string[] = []
    for (const file of sources('engine')) {
      for (const spec of importsOf(file)) {
        const ok = spec.startsWith('@noble/') || (spec.startsWith('.') && !relative('engine', join(file, '..', spec)).startsWith('..'))
        if (!ok) offenders.push(`${file}: ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('engine/ touches no host global', () => {
    const offenders = sources('engine').filter((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .some((line) => !/^\s*(\/\/|\/?\*)/.test(line) && HOST_GLOBALS.test(line)),
    )
    expect(offenders).toEqual([])
  })

  it('machines/ imports only engine/, xstate and itself', () => {
    const offenders: string[] = []
    for (const file of sources('machines')) {
      for (const spec of importsOf(file)) {
        const target = relative(root, join(root, file, '..', spec))
        const ok = spec === 'xstate' || (spec.startsWith('.') && (target.startsWith('engine/') || target.startsWith('machines/')))
        if (!ok) offenders.push(`${file}: ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('workers/ never imports solid-js or ui/', () => {
    const offenders = sources('workers').flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('solid-js') || spec.includes('/ui/'))
        .map((spec) => `${file}: ${spec}`),
    )
    expect(offenders).toEqual([])
  })

  it('engine/ type-checks with no DOM and no Node types', () => {
    // engine/tsconfig.json: lib ES2022, types []. A DOM or node: use fails here.
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    let output = ''
    try {
      execFileSync(process.execPath, [tsc, '-p', join(root, 'engine', 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    expect(output).toBe('')
  })
})
