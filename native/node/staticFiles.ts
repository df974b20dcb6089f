/**
 * Serves the built web app. Paths are resolved inside the root only (no `..`
 * escapes); unknown paths fall back to index.html so the app's own routes work.
 */
import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
}

// The app needs no third-party origin: say so to the browser.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export function staticFiles(rootDir: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = resolve(rootDir)
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    let path = normalize(join(root, decodeURIComponent(url.pathname)))
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(403).end()
      return
    }
    const info = await stat(path).catch(() => null)
    if (!info || info.isDirectory()) path = join(root, 'index.html')
    const body = await readFile(path).catch(() => null)
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found. Run `npm run build` first.')
      return
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
