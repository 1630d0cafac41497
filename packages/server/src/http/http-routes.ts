import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { userIdSchema } from '@switchboard/protocol';
import { z } from 'zod';

/** A plain HTTP request, as either front (Node's HTTP server or uWebSockets.js) hands it over. */
export interface HttpRequest {
  /** Upper case. */
  method: string;
  /** Without the query string. */
  path: string;
  /** The body as UTF-8, or undefined when it is larger than `maxBytes`. */
  body(maxBytes: number): Promise<string | undefined>;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface HttpDeps {
  isReady(): boolean;
  /** Prometheus text for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Present in dev mode only. */
  signDevToken?: (userId: string) => Promise<string>;
  /** Dev mode: serve the demo page at `/`; `true` for the built one (packages/demo/dist), or a directory. */
  demo?: true | string;
}

const devTokenRequest = z.object({ userId: userIdSchema, deviceId: z.string().optional() });
const MAX_BODY = 4096;

function json(status: number, body: unknown): HttpReply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
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

/** Answers a GET for one of the demo's files; undefined when `path` is not one. Read per request, so a rebuild shows at once. */
async function serveDemo(demo: true | string, path: string): Promise<HttpReply | undefined> {
  const entry = FILES[path];
  if (!entry) return undefined;
  const dir = demo === true ? BUILT_DEMO : demo.endsWith('/') ? demo : `${demo}/`;
  try {
    const body = await readFile(`${dir}${entry[0]}`);
    return { status: 200, headers: { 'content-type': entry[1], 'cache-control': 'no-cache' }, body };
  } catch {
    const body = 'The demo page is not built: run `npm run build`.\n';
    return { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
  }
}

/** The node's plain HTTP surface, free of either front; Socket.IO answers its own path before this runs. */
export function createHttpRoutes(deps: HttpDeps) {
  return async (req: HttpRequest): Promise<HttpReply> => {
    try {
      const { method, path } = req;
      if (method === 'GET' && path === '/healthz') return json(200, { status: 'ok' });
      if (method === 'GET' && path === '/readyz') {
        const ready = deps.isReady();
        return json(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
      }
      if (method === 'GET' && path === '/metrics' && deps.metrics) {
        const { contentType, body } = await deps.metrics();
        return { status: 200, headers: { 'content-type': contentType }, body };
      }
      const demo = deps.demo && method === 'GET' ? await serveDemo(deps.demo, path) : undefined;
      if (demo) return demo;
      if (path === '/dev/token' && deps.signDevToken) {
        if (method !== 'POST') return json(405, { error: 'use POST' });
        const raw = await req.body(MAX_BODY);
        let body: unknown;
        try {
          body = raw === undefined ? undefined : JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const parsed = devTokenRequest.safeParse(body);
        if (!parsed.success) return json(400, { error: 'expected JSON { userId, deviceId? } with a valid userId' });
        return json(200, { token: await deps.signDevToken(parsed.data.userId) });
      }
      return json(404, { error: 'not found' });
    } catch {
      return json(500, { error: 'internal error' });
    }
  };
}

export type HttpRoutes = ReturnType<typeof createHttpRoutes>;
