import { createRequire } from 'node:module';
import type * as Uws from '@trufflesuite/uws-js-unofficial';

const require = createRequire(import.meta.url);
const PACKAGE = '@trufflesuite/uws-js-unofficial';

/**
 * The package's native build for this platform and Node ABI, if it ships
 * one. Without it the package would fall back to a JavaScript stand-in that
 * Switchboard is not tested on, so `WS_ENGINE=uws` is refused instead.
 */
export function uwsBinary(): string | undefined {
  try {
    return require.resolve(
      `${PACKAGE}/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
    );
  } catch {
    return undefined;
  }
}

/**
 * Loads uWebSockets.js on first use, so that a node on `ws` never loads it.
 * `loadConfig` has refused `WS_ENGINE=uws` already where `uwsBinary` finds nothing.
 */
export function loadUws(): typeof Uws {
  return require(PACKAGE) as typeof Uws;
}
