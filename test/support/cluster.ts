import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from './tokens.js';
import { TEST_WS_ENGINE } from './ws-engine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'packages/server/src/main.ts';

export interface NodeProcess {
  nodeId: string;
  url: string;
  port: number;
  proc: ChildProcess;
  /** Every log line the node printed, parsed. */
  logs: Record<string, unknown>[];
  /** Everything the node wrote to stderr so far (crashes, warnings from Node itself). */
  stderr(): string;
  /** SIGKILL: the node dies without a word, as on a crash. */
  kill(): Promise<void>;
  /** SIGTERM: the node drains and exits; resolves with its exit code. */
  stop(): Promise<number | null>;
  exited: boolean;
}

/** Defaults that make the fault timings fit in a test: short TTLs, rate limits off. */
export const FAST_TIMINGS: Record<string, string> = {
  NODE_TTL_MS: '1500',
  RECONNECT_GRACE_MS: '1500',
  PRESENCE_TTL_MS: '3000',
  RATE_LIMIT_INVITES_PER_MIN: '0',
  RATE_LIMIT_SIGNALING_PER_10S: '0',
  RATE_LIMIT_REQUESTS_PER_10S: '0',
  RATE_LIMIT_CONNECTIONS_PER_10S: '0',
};

/** Every node this test file started, exited ones included (see `node-logs-on-failure.ts`). */
const startedHere: NodeProcess[] = [];

export function nodesStartedHere(): readonly NodeProcess[] {
  return startedHere;
}

/**
 * Starts one real node process (`main.ts`, run from source so tests never
 * see a stale build) and resolves once it listens on its free port.
 */
export async function startNodeProcess(nodeId: string, env: Record<string, string>): Promise<NodeProcess> {
  const proc = spawn(process.execPath, ['--conditions=switchboard-source', '--import', 'tsx', MAIN], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      JWT_SECRET: TEST_SECRET,
      NODE_ID: nodeId,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...TEST_WS_ENGINE,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const node: NodeProcess = {
    nodeId,
    url: '',
    port: 0,
    proc,
    logs,
    stderr: () => stderr,
    exited: false,
    kill: async () => {
      if (node.exited) return;
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    },
    stop: async () => {
      if (node.exited) return proc.exitCode;
      proc.kill('SIGTERM');
      const [code] = await once(proc, 'exit');
      return code as number | null;
    },
  };
  proc.on('exit', () => {
    node.exited = true;
  });
  startedHere.push(node);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${nodeId} did not start in 20 s: ${stderr}`)), 20_000);
    let buffer = '';
    proc.stdout?.on('data', (chunk) => {
      buffer += String(chunk);
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'switchboard node listening') {
            clearTimeout(timer);
            resolve(entry.port as number);
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${nodeId} exited with ${code} before listening: ${stderr}`));
    });
  });
  node.port = port;
  node.url = `http://127.0.0.1:${port}`;
  return node;
}

export interface Cluster {
  nodes: NodeProcess[];
  /** Starts one more node (or a replacement) on the same Redis. */
  add(nodeId: string): Promise<NodeProcess>;
  close(): Promise<void>;
}

/** `count` nodes on one Redis, started in parallel. */
export async function startCluster(count: number, env: Record<string, string>): Promise<Cluster> {
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) => startNodeProcess(`node-${i + 1}`, { ...FAST_TIMINGS, ...env })),
  );
  return {
    nodes,
    add: async (nodeId) => {
      const node = await startNodeProcess(nodeId, { ...FAST_TIMINGS, ...env });
      nodes.push(node);
      return node;
    },
    close: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
    },
  };
}
