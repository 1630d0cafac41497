import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A notice as parsed (undefined when the body was not JSON). */
export type PushBody = { type?: string; callId?: string; to?: string; [field: string]: unknown } | undefined;

export interface PushRequest {
  /** The raw body, exactly as received (what the signature covers). */
  raw: string;
  body: PushBody;
  headers: IncomingHttpHeaders;
  /** Date.now() when it arrived. */
  at: number;
  /** The status this receiver answered. */
  status: number;
}

/** Verifies `X-Switchboard-Signature` the way the docs tell a receiver to. */
export function verifySignature(raw: string, header: string | undefined, secret: string): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  return (
    typeof header === 'string' &&
    header.length === expected.length &&
    timingSafeEqual(Buffer.from(header), Buffer.from(expected))
  );
}

/**
 * A real HTTP push receiver on a free port. `answer` picks each request's
 * status (default 200); every request is recorded, and tests wait for them.
 */
export class WebhookReceiver {
  readonly requests: PushRequest[] = [];
  answer: (body: PushBody, index: number) => number = () => 200;
  private waiters: (() => void)[] = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: PushBody;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const status = this.answer(body, this.requests.length);
      this.requests.push({ raw, body, headers: req.headers, at: Date.now(), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      for (const wake of this.waiters.splice(0)) wake();
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/push`;
    return this;
  }

  /** Requests about one call (and of one type, when given). */
  of(callId: string, type?: string): PushRequest[] {
    return this.requests.filter((r) => r.body?.callId === callId && (type === undefined || r.body?.type === type));
  }

  /** Resolves once `count` requests match. */
  async waitFor(match: (r: PushRequest) => boolean, count = 1, timeoutMs = 10_000): Promise<PushRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.filter(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `webhook: ${found.length} of ${count} requests after ${timeoutMs} ms: ${JSON.stringify(this.requests.map((r) => r.body))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
