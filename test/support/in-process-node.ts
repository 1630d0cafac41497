import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { SwitchboardNode } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config/config.js';
import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import type { Store } from '../../packages/server/src/store/store.js';
import { TEST_SECRET } from './tokens.js';
import { TEST_WS_ENGINE } from './ws-engine.js';

export interface InProcessNode {
  url: string;
  node: SwitchboardNode;
  store: Store;
  close(): Promise<void>;
}

/**
 * A real node (HTTP + Socket.IO on a free port) in the test's process, with
 * its own store. Rate limits are off unless the test sets them, so suites
 * that are not about limits are not throttled.
 */
export async function startNode(
  env: Record<string, string> = {},
  store: Store = new MemoryStore(),
): Promise<InProcessNode> {
  const config = loadConfig(
    {
      JWT_SECRET: TEST_SECRET,
      RATE_LIMIT_INVITES_PER_MIN: '0',
      RATE_LIMIT_SIGNALING_PER_10S: '0',
      RATE_LIMIT_REQUESTS_PER_10S: '0',
      RATE_LIMIT_CONNECTIONS_PER_10S: '0',
      LOG_LEVEL: 'silent',
      ...TEST_WS_ENGINE,
      ...env,
    },
    [],
  );
  const node = new SwitchboardNode({ config, store, logger: pino({ level: config.LOG_LEVEL }) });
  const { port } = await node.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    node,
    store,
    close: async () => {
      await node.close();
      await store.close();
    },
  };
}

/**
 * A node on `store` for the whole suite: started before its first test and
 * closed after its last. The getter gives the running node.
 */
export function useNode(store: Store, env: Record<string, string> = {}): () => InProcessNode {
  let node: InProcessNode | undefined;
  beforeAll(async () => {
    node = await startNode(env, store);
  });
  afterAll(() => node?.close());
  return () => {
    if (!node) throw new Error('the node is not started yet');
    return node;
  };
}
