import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config/config.js';
import { MemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';

export interface Backend {
  kind: 'memory' | 'redis';
  store: Store;
  redis?: Redis;
  adapter?: ServerOptions['adapter'];
  isStoreReady?: () => boolean;
  close(): Promise<void>;
}

/** Picks the backend in one place: Redis when REDIS_URL is set, else the embedded single-node store. */
export async function createStore(config: Config, logger: Logger): Promise<Backend> {
  if (!config.REDIS_URL) {
    logger.info('no REDIS_URL: single-node mode with the in-memory store');
    const store = new MemoryStore();
    return { kind: 'memory', store, close: () => store.close() };
  }
  throw new Error('REDIS_URL is set but the Redis backend is not wired in yet');
}
