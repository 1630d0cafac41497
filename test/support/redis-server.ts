import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/**
 * A throwaway `redis-server` for tests: its own free port, no persistence,
 * never the machine's Redis on 6379. Suites that need it use
 * `describe.skipIf(!redisServerAvailable)`; on CI a missing binary is an
 * error rather than a silent skip.
 */

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL), as a crashed Redis. */
  kill(): Promise<void>;
  /** Starts again on the same port, empty. */
  restart(): Promise<void>;
  flushall(): Promise<void>;
}

function findBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const redisServerAvailable = findBinary();

if (!redisServerAvailable) {
  if (process.env.CI === 'true') {
    throw new Error('redis-server is not on PATH; CI must install it (the Redis suites cannot run without it)');
  }
  console.warn('\n*** redis-server is not on PATH: the Redis suites are SKIPPED. Install Redis to run them. ***\n');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

/** Sends one inline command over a raw socket, so no client library's retries hide a dead server. */
function sendCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply to ${command}`)));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on('error', reject);
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    try {
      if ((await sendCommand(port, 'PING')) === '+PONG') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function launch(port: number): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  child.on('error', () => {});
  return child;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export async function startRedisServer(): Promise<RedisServerHandle> {
  if (!redisServerAvailable) throw new Error('redis-server is not on PATH');
  const port = await freePort();
  let child = launch(port);
  await waitForPing(port, child);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => terminate(child, 'SIGTERM'),
    kill: () => terminate(child, 'SIGKILL'),
    async restart() {
      await terminate(child, 'SIGTERM');
      child = launch(port);
      await waitForPing(port, child);
    },
    async flushall() {
      const reply = await sendCommand(port, 'FLUSHALL');
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
  };
}
