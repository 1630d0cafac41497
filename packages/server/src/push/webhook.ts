import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { PushEndedNotice, PushInviteNotice, PushPort } from '../domain/push.js';

export interface WebhookOptions {
  url: string;
  /** Key of the HMAC-SHA256 in `X-Switchboard-Signature`. */
  secret: string;
  logger: Logger;
  /** One attempt's limit; a slower receiver counts as a failure. Default 2000. */
  timeoutMs?: number;
  /** Delay before the first retry, doubled each time up to `maxDelayMs`. Default 500. */
  firstDelayMs?: number;
  /** Default 4000. */
  maxDelayMs?: number;
  /** Attempts of a `call_ended` notice, the first one included. Default 6. */
  endedAttempts?: number;
  now?: () => number;
}

export const SIGNATURE_HEADER = 'X-Switchboard-Signature';

/** `sha256=<hex HMAC-SHA256 of body keyed with secret>`, the value of {@link SIGNATURE_HEADER}. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * The push webhook client: POSTs each notice as JSON, signed, and retries
 * when an attempt fails (a network error, no answer within `timeoutMs`, or a
 * status other than 2xx) after 0.5 s, 1 s, 2 s, 4 s, 4 s… An invite notice is
 * retried while its call still rings (and not past its `expiresAt`); an
 * ended notice a bounded number of times. Every attempt of one notice sends
 * the same body. Nothing here blocks the request that caused the notice.
 */
export class WebhookPush implements PushPort {
  private readonly timeoutMs: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly endedAttempts: number;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: WebhookOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.firstDelayMs = options.firstDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 4000;
    this.endedAttempts = options.endedAttempts ?? 6;
    this.now = options.now ?? Date.now;
  }

  callInvite(notice: PushInviteNotice, stillRinging: () => Promise<boolean>): void {
    void this.deliver(notice, async () => {
      if (this.now() >= notice.expiresAt) return false;
      // The store unreachable: the call may well still ring; its expiry bounds the retries.
      return stillRinging().catch(() => true);
    });
  }

  callEnded(notice: PushEndedNotice): void {
    void this.deliver(notice, async (attempt) => attempt < this.endedAttempts);
  }

  /** Stops retries still waiting (node shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async deliver(
    notice: PushInviteNotice | PushEndedNotice,
    mayRetry: (attemptsMade: number) => Promise<boolean>,
  ): Promise<void> {
    const body = JSON.stringify(notice);
    const signature = signBody(body, this.options.secret);
    const log = this.options.logger.child({ push: notice.type, callId: notice.callId });
    for (let attempt = 1; ; attempt++) {
      const failure = await this.post(body, signature);
      if (failure === undefined) {
        log.debug({ attempt }, 'push notice delivered');
        return;
      }
      const delay = Math.min(this.firstDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
      log.warn({ attempt, failure, retryInMs: delay }, 'push notice failed');
      if (!(await this.sleep(delay)) || !(await mayRetry(attempt))) {
        log.warn({ attempts: attempt }, 'push notice given up');
        return;
      }
    }
  }

  /** One attempt; undefined on success, else what went wrong. */
  private async post(body: string, signature: string): Promise<string | undefined> {
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `status ${res.status}`;
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }

  /** False when the client was closed meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.closed);
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }
}
