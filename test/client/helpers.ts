import { type ClientOptions, connect, type SwitchboardClient } from '@switchboard/client';
import { tokenFor } from '../support/tokens.js';

export const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
export const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** SDK clients opened by a test file; `closeAll()` in `afterEach`. */
const open = new Set<SwitchboardClient>();

/** Connects one SDK client as `userId` on `deviceId` (default `d1`). */
export async function sdk(
  url: string,
  userId: string,
  deviceId = 'd1',
  options: Partial<ClientOptions> = {},
): Promise<SwitchboardClient> {
  const token = await tokenFor(userId);
  const client = await connect({ url, token, deviceId, requestTimeoutMs: 5000, ...options });
  open.add(client);
  return client;
}

export function closeAll(): void {
  for (const c of open) c.close();
  open.clear();
}

interface Listenable {
  // biome-ignore lint/suspicious/noExplicitAny: any emitter of the SDK
  once(event: any, listener: (...args: any[]) => void): unknown;
}

/** Resolves with the first argument of the next `event`, or rejects after `timeoutMs`. */
// biome-ignore lint/suspicious/noExplicitAny: the event's first argument
export function next<T = any>(emitter: Listenable, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Polls `check` until it returns true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves with the error `promise` rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; retryAfterMs?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
