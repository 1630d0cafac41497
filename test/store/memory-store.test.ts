import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async (options) => {
  const store = new MemoryStore(options);
  return { store, cleanup: () => store.close() };
});
