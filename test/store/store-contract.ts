import { describe } from 'vitest';
import { createCallContract, transitionContract } from './contract/calls.js';
import { deviceContract, nodeContract } from './contract/devices.js';
import type { StoreFactory } from './contract/fixtures.js';
import { historyContract } from './contract/history.js';
import { propertyContract } from './contract/properties.js';
import { workerContract } from './contract/workers.js';

export type { StoreFactory } from './contract/fixtures.js';

/**
 * The Store interface's documented semantics, run against every store
 * (`memory-store.test.ts`, `redis-store.test.ts`). `factory` makes a fresh,
 * empty store for each test; its cleanup releases it. The scenarios live in
 * `contract/`, one file per part of the interface.
 */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    nodeContract(factory);
    deviceContract(factory);
    createCallContract(factory);
    transitionContract(factory);
    workerContract(factory);
    historyContract(factory);
    propertyContract(factory);
  });
}
