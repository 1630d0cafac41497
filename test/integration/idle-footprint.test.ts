import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, connect, sleep, uniqueUser } from '../support/test-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Whether the object behind `ref` is collected within a few full
 * collections. A deref keeps its target alive until the current job ends,
 * so each collection runs in a job of its own.
 */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    await sleep(0);
    gc();
    await sleep(20);
    if (ref.deref() === undefined) return true;
  }
  return false;
}

describe('what a connected device keeps on its node', () => {
  let node: InProcessNode;
  const requests: WeakRef<IncomingMessage>[] = [];
  beforeAll(async () => {
    node = await startNode();
    node.node.io.engine.on('connection', (conn: { request: IncomingMessage }) => {
      requests.push(new WeakRef(conn.request));
    });
  });
  afterAll(() => node.close());

  it.each([['websocket'], ['polling', 'websocket']])(
    'lets its handshake request go once the device is known (%s)',
    async (...transports) => {
      const alice = await connect(node.url, uniqueUser('alice'), { transports });
      const ref = requests.at(-1);
      if (!ref) throw new Error('no engine connection seen');
      const [socket] = node.node.io.of('/').sockets.values();
      expect(socket?.handshake.headers).toEqual({});
      expect(await collected(ref)).toBe(true);
      // The device still works: its requests are answered.
      expect(await alice.request('heartbeat', {})).toMatchObject({ ok: true });
      closeAll(alice);
      await sleep(50);
    },
  );
});
