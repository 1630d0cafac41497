import type { ClientToServerEvents, ServerToClientEvents } from '@switchboard/protocol';
import { io, type Socket } from 'socket.io-client';
import { tokenFor } from './tokens.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A payload as it crossed the wire. Tests check payloads whole (toEqual,
 * toMatchObject) and send malformed ones on purpose, so this helper leaves
 * them untyped rather than cast at every use.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; the one untyped name in the test helpers.
export type WirePayload = any;

export interface Received {
  event: string;
  payload: WirePayload;
}

/**
 * A plain socket.io-client connection that records every event it receives,
 * so tests can wait for one and also assert what did NOT arrive.
 */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  constructor(
    readonly socket: ClientSocket,
    readonly userId: string,
    readonly deviceId: string,
  ) {
    socket.onAny((event: string, payload: unknown) => {
      const r = { event, payload };
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  /** Sends a request and resolves with its ack. */
  request(event: string, payload?: unknown, timeoutMs = 5000): Promise<WirePayload> {
    const args = payload === undefined ? [] : [payload];
    return (this.socket as unknown as Socket).timeout(timeoutMs).emitWithAck(event, ...args);
  }

  /** Resolves with the first event (already received or future) matching. */
  next(event: string, where: (payload: WirePayload) => boolean = () => true, timeoutMs = 5000): Promise<WirePayload> {
    const match = (r: Received) => r.event === event && where(r.payload);
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen.payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.userId}/${this.deviceId}: no ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r.payload);
        },
      });
    });
  }

  all(event: string, where: (payload: WirePayload) => boolean = () => true): WirePayload[] {
    return this.received.filter((r) => r.event === event && where(r.payload)).map((r) => r.payload);
  }

  clear(): void {
    this.received.length = 0;
  }

  /** Resolves with the reason once the socket is disconnected (at once if it already is). */
  disconnected(timeoutMs = 5000): Promise<string> {
    if (!this.socket.connected) return Promise.resolve('already disconnected');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.userId}/${this.deviceId}: still connected after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface ConnectOptions {
  deviceId?: string;
  token?: string;
  transports?: string[];
  reconnection?: boolean;
}

/** Connects and waits for `session`. */
export async function connect(url: string, userId: string, opts: ConnectOptions = {}): Promise<TestClient> {
  const token = opts.token ?? (await tokenFor(userId));
  const socket: ClientSocket = io(url, {
    auth: { token, ...(opts.deviceId !== undefined && { deviceId: opts.deviceId }) },
    transports: opts.transports ?? ['websocket'],
    reconnection: opts.reconnection ?? false,
    forceNew: true,
  });
  const client = new TestClient(socket, userId, opts.deviceId ?? '');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', (err) => reject(err));
    client.next('session', () => true, 5000).then(() => resolve(), reject);
  });
  const session = client.all('session')[0];
  return Object.assign(client, { deviceId: session.deviceId as string });
}

/** Tries to connect and resolves with the connect_error. */
export function connectError(
  url: string,
  auth: unknown,
  extra: Record<string, unknown> = {},
): Promise<Error & { data?: WirePayload }> {
  const socket = io(url, {
    auth: auth as Record<string, unknown>,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...extra,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err);
    });
    socket.once('connect', () => {
      socket.close();
      reject(new Error('connected, but a refusal was expected'));
    });
  });
}

export const FAKE_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long to wait for events in flight before asserting that one did NOT arrive. */
export const SETTLE_MS = 150;
export const settle = (ms = SETTLE_MS) => sleep(ms);

let userSeq = 0;
/** A user id unique in this process, so tests sharing a node never see each other's users. */
export function uniqueUser(name: string): string {
  userSeq += 1;
  return `${name}-${userSeq}`;
}

/** Invites and waits until every given callee device received `call_incoming`; resolves with the call id. */
export async function ringingCall(
  caller: TestClient,
  callees: TestClient[],
  extra: Record<string, unknown> = {},
): Promise<{ callId: string; expiresAt: number }> {
  const calleeUserId = callees[0]?.userId;
  if (calleeUserId === undefined) throw new Error('ringingCall needs a callee device');
  const res = await caller.request('call_invite', { to: calleeUserId, media: 'audio', sdp: FAKE_SDP, ...extra });
  if (!res.ok) throw new Error(`invite failed: ${JSON.stringify(res.error)}`);
  await Promise.all(callees.map((c) => c.next('call_incoming', (p) => p.callId === res.callId)));
  return { callId: res.callId, expiresAt: res.expiresAt };
}

/** A call answered by `callees[0]` (the others ring first, then get `answered_elsewhere`). */
export async function activeCall(caller: TestClient, callees: TestClient[]): Promise<string> {
  const { callId } = await ringingCall(caller, callees);
  const res = await callees[0]!.request('call_accept', { callId, sdp: 'answer-sdp' });
  if (!res.ok) throw new Error(`accept failed: ${JSON.stringify(res.error)}`);
  await caller.next('call_accepted', (p) => p.callId === callId);
  await Promise.all(
    callees.slice(1).map((c) => c.next('call_ended', (p) => p.callId === callId && p.reason === 'answered_elsewhere')),
  );
  return callId;
}

/** Closes every client given. */
export function closeAll(...clients: (TestClient | undefined)[]): void {
  for (const c of clients) c?.close();
}

/** A client's device as the server names it in `from`/`by`. */
export const ref = (c: TestClient) => ({ userId: c.userId, deviceId: c.deviceId });

/** alice (phone + laptop), bob (phone + laptop) and carol (one device), fresh users each time. */
export async function cast(url: string) {
  const a = uniqueUser('alice');
  const b = uniqueUser('bob');
  const alice = await connect(url, a, { deviceId: 'phone' });
  const aliceLaptop = await connect(url, a, { deviceId: 'laptop' });
  const bobPhone = await connect(url, b, { deviceId: 'phone' });
  const bobLaptop = await connect(url, b, { deviceId: 'laptop' });
  const carol = await connect(url, uniqueUser('carol'), { deviceId: 'tablet' });
  const all = [alice, aliceLaptop, bobPhone, bobLaptop, carol];
  return { alice, aliceLaptop, bobPhone, bobLaptop, carol, all, close: () => closeAll(...all) };
}

/**
 * Sends two racing requests, the first one first on even rounds and the
 * second one first on odd rounds (so both orders are exercised); answers in
 * the order given.
 */
export function raceInTurns<T>(round: number, first: () => Promise<T>, second: () => Promise<T>): Promise<[T, T]> {
  if (round % 2 === 0) {
    const a = first();
    return Promise.all([a, second()]);
  }
  const b = second();
  return Promise.all([first(), b]);
}
