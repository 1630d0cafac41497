import { beforeEach } from 'vitest';
import { nodesStartedHere } from './cluster.js';

/**
 * pino's level for `warn`: what a node says when something went wrong but
 * it carried on. Chasing a flake, `FAIL_LOG_LEVEL=30 FAIL_LOG_LINES=400`
 * prints the info lines too (call transitions, the listening line).
 */
const WARN = Number(process.env.FAIL_LOG_LEVEL ?? 40);
const LINES_PER_NODE = Number(process.env.FAIL_LOG_LINES ?? 30);

// A multi-node test that fails on a lost or late event says nothing of why;
// the nodes usually did (a subscription that timed out, a store error).
// Their warnings since the test began are printed with the failure.
beforeEach(({ onTestFailed }) => {
  const since = Date.now();
  onTestFailed(() => {
    for (const node of nodesStartedHere()) {
      const lines = node.logs
        .filter((entry) => Number(entry.level) >= WARN && Number(entry.time) >= since)
        .slice(-LINES_PER_NODE)
        .map((entry) => JSON.stringify(entry));
      const stderr = node.stderr().trim();
      if (lines.length === 0 && stderr === '') continue;
      console.error(
        [`--- ${node.nodeId}: warnings since the test began${node.exited ? ' (exited)' : ''}`, ...lines]
          .concat(stderr ? [`stderr: ${stderr.slice(-2000)}`] : [])
          .join('\n'),
      );
    }
  });
});
