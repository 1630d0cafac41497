import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';

/** The memory store, counting the call reads (`getCallSummary`) that request checks make. */
export class CallReadCountingStore extends MemoryStore {
  summaryReads = 0;
  override getCallSummary(callId: string) {
    this.summaryReads++;
    return super.getCallSummary(callId);
  }
}
