import type { Histogram } from 'prom-client';
import type { Store } from './store.js';

/**
 * Wraps a store so every operation's latency lands in a histogram labelled
 * with the operation's name; the store itself stays free of metrics.
 */
export function instrumentStore(store: Store, histogram: Histogram<'operation'>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
      return (...args: unknown[]) => {
        const end = histogram.startTimer({ operation: prop });
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.finally(() => end());
        end();
        return result;
      };
    },
  });
}
