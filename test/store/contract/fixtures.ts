import { randomUUID } from 'node:crypto';
import type { DeviceRef } from '@switchboard/protocol';
import { afterEach, beforeEach } from 'vitest';
import type {
  CreateCallInput,
  CreateCallResult,
  Store,
  StoredCall,
  StoreOptions,
} from '../../../packages/server/src/store/store.js';

/** Makes a fresh, empty store; `options` are the store-wide settings (the history cap). */
export type StoreFactory = (options?: StoreOptions) => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** A fixed epoch: the stores never read the clock for state, so tests pass time in. */
export const T0 = 1_700_000_000_000;
export const TTL = 30_000;
export const GRACE = 10_000;
export const RETAIN = 60_000;

// Ids with `:`, `.` and `@`, the characters a key schema could trip over.
export const alice = { phone: dev('alice@example.com', 'phone:1'), laptop: dev('alice@example.com', 'laptop.2') };
export const bob = { phone: dev('bob:42', 'phone:1'), laptop: dev('bob:42', 'laptop-2') };
export const carol = { phone: dev('carol.c', 'p') };

export function dev(userId: string, deviceId: string): DeviceRef {
  return { userId, deviceId };
}

/** Gives each test a fresh store, cleaned up after it. */
export function useStore(factory: StoreFactory): () => Store {
  let current: Awaited<ReturnType<StoreFactory>> | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('store used outside a test');
    return current.store;
  };
}

export interface RegisterOptions {
  socketId?: string;
  nodeId?: string;
  now?: number;
  ttlMs?: number;
}

export function register(store: Store, ref: DeviceRef, options: RegisterOptions = {}) {
  return store.registerDevice({
    ...ref,
    socketId: options.socketId ?? `sock-${ref.userId}-${ref.deviceId}`,
    nodeId: options.nodeId ?? 'node-a',
    now: options.now ?? T0,
    ttlMs: options.ttlMs ?? TTL,
  });
}

export function invite(
  store: Store,
  caller: DeviceRef,
  calleeUserId: string,
  overrides: Partial<CreateCallInput> = {},
): Promise<CreateCallResult> {
  return store.createCall({
    callId: randomUUID(),
    caller,
    calleeUserId,
    media: 'audio',
    offer: 'v=0 offer',
    now: T0,
    expiresAt: T0 + 30_000,
    maxConcurrent: 1,
    allowOffline: false,
    ...overrides,
  });
}

/** Invites and insists it worked: for tests about what comes after. */
export async function ringing(
  store: Store,
  caller: DeviceRef,
  calleeUserId: string,
  overrides: Partial<CreateCallInput> = {},
): Promise<StoredCall> {
  const result = await invite(store, caller, calleeUserId, overrides);
  if (!result.ok || !result.created) throw new Error(`invite failed: ${JSON.stringify(result)}`);
  return result.call;
}

export async function active(store: Store, caller: DeviceRef, callee: DeviceRef): Promise<StoredCall> {
  const call = await ringing(store, caller, callee.userId);
  const accepted = await store.acceptCall(call.callId, callee, 'v=0 answer', T0 + 1000);
  if (!accepted.ok) throw new Error(`accept failed: ${JSON.stringify(accepted)}`);
  return accepted.call;
}

export function endInput(callId: string, overrides: Partial<Parameters<Store['endCall']>[0]> = {}) {
  return {
    callId,
    from: ['ringing', 'active'] as const,
    reason: 'hangup' as const,
    now: T0 + 5000,
    retainMs: RETAIN,
    ...overrides,
  };
}

/** The users of an `inCallChanged`, sorted. */
export const usersOf = (presence: readonly { userId: string }[]) => presence.map((p) => p.userId).sort();

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const byId = <T extends { callId: string }>(a: T, b: T) => a.callId.localeCompare(b.callId);
export const byDevice = <T extends DeviceRef>(a: T, b: T) =>
  a.userId.localeCompare(b.userId) || a.deviceId.localeCompare(b.deviceId);
