import { randomUUID } from 'node:crypto';
import { clientEventNames, errorCodes } from '@switchboard/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HTTP_BUFFER } from '../../packages/server/src/transport/admission.js';
import { type Env, EVENT_MS, httpStatus, startEnv, waitFor } from '../multinode/helpers.js';
import { redisServerAvailable } from '../support/redis-server.js';
import { closeAll, connect, FAKE_SDP, type TestClient, uniqueUser } from '../support/test-client.js';
import { liveCallSets } from './helpers.js';

/**
 * Every client event with generated payloads, from several sockets on a
 * three-node Redis cluster. `FUZZ_REQUESTS` sets how many requests (default
 * 10,000, the CI run); `FUZZ_SEED` replays a run (the seed is printed);
 * `FUZZ_CONCURRENCY` how many are in flight at once (default 200). A longer
 * run for the bench: `FUZZ_REQUESTS=200000 npx vitest run test/ops/fuzz.test.ts`.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 200);
const USERS = 6;
const DEVICES_PER_USER = 2;
const RING_TIMEOUT_MS = 2000;
/** Stands for a call id some socket has seen, picked when the request is sent. */
const POOL = '<pool>';
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const loneSurrogates = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d', `${'\ud800'.repeat(50)}x`);
const protoKeys = fc.constantFrom(
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"prototype":{"polluted":true},"__proto__":null}',
  '{"callId":"x","__proto__":{"callId":"6f1c2b1e-8a4d-4c1e-9f00-0123456789ab"}}',
  '{"toString":"boom","valueOf":1,"hasOwnProperty":null}',
);
const hostileObject = protoKeys.map((json) => JSON.parse(json) as unknown);
const deep = fc.tuple(fc.integer({ min: 20, max: 800 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
});
const huge = fc.integer({ min: 60_000, max: 70_000 }).map((n) => '\u00e9x'.repeat(n / 2));
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogates,
  hostileObject,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.object({ maxDepth: 2 }),
  { arbitrary: deep, weight: 1 },
  { arbitrary: huge, weight: 1 },
);
const maybe = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: weird, weight: 1 });

function payloadArb(userIds: string[]): fc.Arbitrary<unknown> {
  const validish = fc.record(
    {
      to: maybe(fc.constantFrom(...userIds)),
      media: maybe(fc.constantFrom('audio', 'video')),
      sdp: maybe(fc.constantFrom(FAKE_SDP, 'v=0')),
      callId: maybe(fc.oneof({ arbitrary: fc.constant(POOL), weight: 4 }, fc.uuid())),
      candidate: maybe(
        fc.oneof(
          fc.constant(null),
          fc.record(
            {
              candidate: fc.string({ maxLength: 60 }),
              sdpMid: fc.oneof(fc.constant(null), fc.string({ maxLength: 3 })),
              sdpMLineIndex: fc.oneof(fc.constant(null), fc.integer({ min: -2, max: 3 })),
              usernameFragment: fc.oneof(fc.constant(null), fc.string({ maxLength: 8 })),
            },
            { requiredKeys: ['candidate'] },
          ),
        ),
      ),
      userIds: maybe(fc.array(fc.constantFrom(...userIds), { minLength: 1, maxLength: 5 })),
      reason: maybe(fc.constantFrom('hangup', 'failed', 'declined', 'busy')),
      metadata: maybe(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
      limit: maybe(fc.integer({ min: 1, max: 100 })),
      before: maybe(fc.integer({ min: 0 })),
      from: fc.constant({ userId: 'forged', deviceId: 'forged' }),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { arbitrary: validish, weight: 6 },
    { arbitrary: fc.constant({}), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
    { arbitrary: weird, weight: 2 },
  );
}

interface Spec {
  socket: number;
  event: string;
  payload: unknown;
  /** 'ack': the usual; 'none': no ack (a failure comes back as request_error); 'bare': an ack and no payload. */
  shape: 'ack' | 'none' | 'bare';
  extra: unknown[];
  pick: number;
}

function specArb(sockets: number, userIds: string[]): fc.Arbitrary<Spec> {
  return fc.record({
    socket: fc.nat(sockets - 1),
    event: fc.oneof(
      { arbitrary: fc.constantFrom(...clientEventNames), weight: 12 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).filter((e) => !RESERVED.has(e)), weight: 1 },
    ),
    payload: payloadArb(userIds),
    shape: fc.oneof(
      { arbitrary: fc.constant('ack' as const), weight: 16 },
      { arbitrary: fc.constant('none' as const), weight: 2 },
      { arbitrary: fc.constant('bare' as const), weight: 1 },
    ),
    extra: fc.oneof(
      { arbitrary: fc.constant([] as unknown[]), weight: 9 },
      { arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 2 }), weight: 1 },
    ),
    pick: fc.nat(),
  });
}

const CONTRACT_CODES = new Set<string>(errorCodes);

describe.skipIf(!redisServerAvailable)(`fuzz: ${REQUESTS} generated requests against a three-node cluster`, () => {
  let env: Env;
  const sockets: TestClient[] = [];
  beforeAll(async () => {
    // The abuse guard off: these sockets are meant to keep going (hardening.test.ts covers the guard).
    env = await startEnv(3, { ABUSE_MAX_STRIKES: '0', RING_TIMEOUT_MS: String(RING_TIMEOUT_MS) });
  });
  afterAll(async () => {
    closeAll(...sockets);
    await env?.close();
  });

  it('no crash, no unhandled rejection, every answer ok or a contract error code; the invariants hold afterwards', async () => {
    const userIds = Array.from({ length: USERS }, () => uniqueUser('fuzz'));
    for (const [u, userId] of userIds.entries()) {
      for (let d = 0; d < DEVICES_PER_USER; d++) {
        const node = env.nodes[(u * DEVICES_PER_USER + d) % env.nodes.length]!;
        sockets.push(await connect(node.url, userId, { deviceId: `dev${d}` }));
      }
    }
    const pool: string[] = [randomUUID()];
    const seen = new Set<string>();
    const remember = (callId: unknown) => {
      if (typeof callId === 'string' && !seen.has(callId)) {
        seen.add(callId);
        pool.push(callId);
      }
    };
    for (const s of sockets)
      s.socket.onAny((_event: string, payload: { callId?: unknown }) => remember(payload?.callId));

    console.info(`fuzz: ${REQUESTS} requests, seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    // A frame over the transport's limit closes its connection by design (see
    // hardening.test.ts); the fuzz is about what requests that arrive do.
    const fits = (spec: Spec) =>
      Buffer.byteLength(JSON.stringify([spec.event, spec.payload, ...spec.extra]) ?? '') < MAX_HTTP_BUFFER - 1024;
    const specs = fc.sample(specArb(sockets.length, userIds).filter(fits), { numRuns: REQUESTS, seed: SEED });
    const outcomes = new Map<string, number>();
    const bad: string[] = [];
    const note = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const check = (spec: Spec, answer: unknown) => {
      const a = answer as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
      if (a?.ok === true) return note('ok');
      const code = a?.error?.code;
      if (
        a?.ok === false &&
        typeof code === 'string' &&
        CONTRACT_CODES.has(code) &&
        typeof a.error?.message === 'string'
      ) {
        if (code === 'INTERNAL') bad.push(`INTERNAL for ${spec.event}`);
        return note(code);
      }
      bad.push(`${spec.event}: ${JSON.stringify(answer)?.slice(0, 200)}`);
    };

    const send = async (spec: Spec) => {
      const client = sockets[spec.socket]!;
      let payload = spec.payload;
      if (
        payload &&
        typeof payload === 'object' &&
        !Array.isArray(payload) &&
        (payload as { callId?: unknown }).callId === POOL
      ) {
        payload = { ...payload, callId: pool[spec.pick % pool.length] };
      }
      const socket = client.socket as unknown as {
        emit(event: string, ...args: unknown[]): void;
        timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
      };
      if (spec.shape === 'none') {
        socket.emit(spec.event, payload, ...spec.extra);
        note('sent without ack');
        return;
      }
      const args = spec.shape === 'bare' ? [] : [payload, ...spec.extra];
      try {
        const answer = await socket.timeout(20_000).emitWithAck(spec.event, ...args);
        check(spec, answer);
        if (spec.event === 'call_invite') remember((answer as { callId?: unknown }).callId);
      } catch (err) {
        bad.push(`${spec.event}: no answer (${String(err)})`);
      }
    };

    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, specs.length) }, async () => {
        while (next < specs.length) await send(specs[next++]!);
      }),
    );
    const tookMs = Date.now() - started;
    console.info(
      `fuzz: ${specs.length} requests in ${tookMs} ms (${Math.round((specs.length * 1000) / tookMs)}/s); ` +
        `${pool.length - 1} call ids seen; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`,
    );
    expect(bad.slice(0, 20)).toEqual([]);
    expect(outcomes.get('ok') ?? 0, 'some requests got through validation').toBeGreaterThan(REQUESTS / 20);
    expect(pool.length, 'calls were placed').toBeGreaterThan(3);
    // Failures of ack-less requests came back as request_error, each with a contract code.
    const requestErrors = sockets.flatMap((s) => s.all('request_error'));
    expect(requestErrors.length).toBeGreaterThan(0);
    for (const e of requestErrors) expect(CONTRACT_CODES.has(e.code), JSON.stringify(e)).toBe(true);
    expect(requestErrors.filter((e) => e.code === 'INTERNAL')).toEqual([]);
    for (const s of sockets) expect(s.socket.connected, `${s.userId}/${s.deviceId} still connected`).toBe(true);

    // Every node alive and healthy, nothing unhandled, nothing logged at error or above.
    for (const node of env.nodes) {
      expect(node.exited, node.nodeId).toBe(false);
      expect(await httpStatus(node.url, '/healthz'), node.nodeId).toBe(200);
      expect(node.stderr(), node.nodeId).not.toMatch(/unhandled|uncaught|fatal|Error/i);
      const errors = node.logs.filter((l) => (l.level as number) >= 50);
      expect(
        errors.map((l) => JSON.stringify(l).slice(0, 300)),
        node.nodeId,
      ).toEqual([]);
    }
    expect(Object.getPrototypeOf({}).polluted).toBeUndefined();

    // Traffic stops: the devices leave, and once their grace and the ring timeout pass nobody is in a call.
    closeAll(...sockets);
    const live = await waitFor(
      'every live-call set empty',
      async () => {
        const sets = await liveCallSets(env.redis.url);
        return Object.keys(sets).length === 0 ? sets : undefined;
      },
      RING_TIMEOUT_MS + 1500 + 10_000,
      200,
    );
    expect(live).toEqual({});
    // Nobody is stuck busy: presence says so, and any two users can call each other.
    const [a, b] = [await connect(env.nodes[0]!.url, userIds[0]!), await connect(env.nodes[1]!.url, userIds[1]!)];
    sockets.push(a, b);
    const presence = await a.request('presence_query', { userIds });
    expect(presence.presence.map((p: { inCall: boolean }) => p.inCall)).toEqual(userIds.map(() => false));
    const invite = await a.request('call_invite', { to: b.userId, media: 'audio', sdp: FAKE_SDP });
    expect(invite.ok).toBe(true);
    await b.next('call_incoming', (p) => p.callId === invite.callId, EVENT_MS);
    expect(await b.request('call_accept', { callId: invite.callId })).toEqual({ ok: true });
    expect(await a.request('call_end', { callId: invite.callId })).toEqual({ ok: true });
  }, 240_000);
});
