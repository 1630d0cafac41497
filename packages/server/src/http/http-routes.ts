import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { userIdSchema } from '@switchboard/protocol';
import { z } from 'zod';

export interface HttpDeps {
  isReady(): boolean;
  /** Prometheus text for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Present in dev mode only. */
  signDevToken?: (userId: string) => Promise<string>;
  /** Extra routes (metrics, the demo page) answer first; true when they handled it. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Dev mode: serve the demo page at `/`; `true` for the built one (packages/demo/dist), or a directory. */
  demo?: true | string;
}

const devTokenRequest = z.object({ userId: userIdSchema, deviceId: z.string().optional() });
const MAX_BODY = 4096;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The built demo (`npm run build` bundles it), from src/http or dist/http alike. */
const BUILT_DEMO = fileURLToPath(new URL('../../../demo/dist/', import.meta.url));

/** The only files served: a fixed list, so no request path ever reaches the file system. */
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/demo.js': ['demo.js', 'text/javascript; charset=utf-8'],
  '/demo.js.map': ['demo.js.map', 'application/json'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/** Answers a GET for one of the demo's files; false when `path` is not one. Read per request, so a rebuild shows at once. */
async function serveDemo(demo: true | string, path: string, res: ServerResponse): Promise<boolean> {
  const entry = FILES[path];
  if (!entry) return false;
  const dir = demo === true ? BUILT_DEMO : demo.endsWith('/') ? demo : `${demo}/`;
  let body: Buffer;
  try {
    body = await readFile(`${dir}${entry[0]}`);
  } catch {
    const text = 'The demo page is not built: run `npm run build`.\n';
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }
  res.writeHead(200, { 'content-type': entry[1], 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
  return true;
}

/** The node's plain HTTP surface; Socket.IO answers its own path before this runs. */
export function createHttpHandler(deps: HttpDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (deps.extra && (await deps.extra(req, res))) return;
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') {
        const ready = deps.isReady();
        return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
      }
      if (req.method === 'GET' && path === '/metrics' && deps.metrics) {
        const { contentType, body } = await deps.metrics();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
        return;
      }
      if (deps.demo && req.method === 'GET' && (await serveDemo(deps.demo, path ?? '/', res))) return;
      if (path === '/dev/token' && deps.signDevToken) {
        if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
        const raw = await readBody(req);
        let body: unknown;
        try {
          body = raw === undefined ? undefined : JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const parsed = devTokenRequest.safeParse(body);
        if (!parsed.success)
          return json(res, 400, { error: 'expected JSON { userId, deviceId? } with a valid userId' });
        return json(res, 200, { token: await deps.signDevToken(parsed.data.userId) });
      }
      json(res, 404, { error: 'not found' });
    } catch {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}
