import { MemoryStore } from '../../packages/server/src/store/memory/memory-store.js';

/** The memory store, counting the call reads (`getCallSummary`) that request checks make. */
export class CallReadCountingStore extends MemoryStore {
  summaryReads = 0;
  private gate: Promise<void> | undefined;

  override async getCallSummary(callId: string) {
    this.summaryReads++;
    if (this.gate) await this.gate;
    return super.getCallSummary(callId);
  }

  /** Holds call reads back until the returned function is called: shows who waits for one. */
  holdReads(): () => void {
    let release = () => {};
    this.gate = new Promise((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }
}
