import type { IncomingMessage, ServerResponse } from 'node:http';
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
