/**
 * The relay daemon as a user runs it: a separate process (`node native/node/relay.ts`)
 * configured by HOST/PORT/DATA_DIR/STATIC_DIR, answering /healthz, serving the app,
 * keeping its identity, and exiting cleanly on SIGTERM/SIGINT.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..', '..')
const dirs: string[] = []
const children: ChildProcess[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'sovereign-relay-'))
  dirs.push(dir)
  return dir
}

interface Daemon {
  readonly child: ChildProcess
  readonly httpUrl: string
  readonly fingerprint: string
  output(): string
  exited: Promise<number | null>
}

function startDaemon(env: Record<string, string>): Promise<Daemon> {
  const child = spawn(process.execPath, [join(root, 'native/node/relay.ts')], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const url = /Health: (http:\/\/[^/\s]+)\/healthz/.exec(out)?.[1]
      const fingerprint = /Sovereign relay ([0-9a-f ]+)/.exec(out)?.[1]?.trim()
      if (url && fingerprint) resolve({ child, httpUrl: url, fingerprint, output: () => out, exited })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`relay exited (${code}) before it was ready:\n${out}`)))
  })
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('relay daemon', () => {
  it('answers /healthz, serves the app without leaving its folder, and stops on SIGTERM', async () => {
    const app = tempDir()
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>Sovereign test app</title>')
    mkdirSync(join(app, 'assets'))
    writeFileSync(join(app, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(app, '..', 'secret.txt'), 'do not serve')
    const relay = await startDaemon({ DATA_DIR: tempDir(), STATIC_DIR: app })

    const health = await fetch(`${relay.httpUrl}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ ok: true, fingerprint: relay.fingerprint, links: 0 })

    const index = await fetch(`${relay.httpUrl}/`)
    expect(index.headers.get('content-type')).toContain('text/html')
    expect(await index.text()).toContain('Sovereign test app')
    const script = await fetch(`${relay.httpUrl}/assets/app.js`)
    expect(script.headers.get('content-type')).toContain('javascript')
    // An escape attempt never reaches outside the static folder.
    const escape = await fetch(`${relay.httpUrl}/%2e%2e/secret.txt`)
    expect(await escape.text()).not.toContain('do not serve')

    relay.child.kill('SIGTERM')
    expect(await relay.exited).toBe(0)
    expect(relay.output()).toContain('SIGTERM')
  })

  it('keeps its identity in DATA_DIR across restarts and exits 0 on SIGINT', async () => {
    const dataDir = tempDir()
    const first = await startDaemon({ DATA_DIR: dataDir })
    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)
    const second = await startDaemon({ DATA_DIR: dataDir })
    expect(second.fingerprint).toBe(first.fingerprint)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })

  it('says clearly when its port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const error = await startDaemon({ DATA_DIR: tempDir(), PORT: String(port) }).catch((e: Error) => e)
    blocker.close()
    expect(String(error)).toContain(`Port ${port} on 127.0.0.1 is in use`)
  })
})
