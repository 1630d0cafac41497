import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** Process spawning for the bench: every server and generator is its own process, pinned to one core. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Core of the servers and Redis, and core of the load generators (the method). */
export const SERVER_CPU = 0;
export const GENERATOR_CPU = 1;

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins every thread of `pid` to `cpu`; threads created later inherit it. No-op without taskset. */
export function pin(pid: number | undefined, cpu: number): boolean {
  if (!hasTaskset || pid === undefined) return false;
  try {
    execFileSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const pinningAvailable = hasTaskset;

/**
 * Raises a running process's open-file limit (`prlimit`, which needs the
 * privilege to raise a hard limit); false where it could not.
 */
export function raiseFileLimit(pid: number | undefined, limit: number): boolean {
  if (pid === undefined) return false;
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every process the bench started and that is still running, so an interrupted run leaves none behind. */
export const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills whatever the bench started (on SIGINT/SIGTERM of the orchestrator). */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

/** A running server process: name, pid and how to stop it. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** The environment it was started with (PATH and HOME aside). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function terminate(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Spawns a long-running server process on a fresh port, pinned to the server core; resolves once it listens. */
export async function startServerProcess(
  name: string,
  command: string,
  args: (port: number) => string[],
  env: Record<string, string>,
  startTimeoutMs?: number,
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(command, args(port), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  child.on('error', () => {});
  pin(child.pid, SERVER_CPU);
  try {
    await waitForPort(port, child, name, startTimeoutMs);
  } catch (err) {
    await terminate(child);
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    name,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    env,
    stop: () => terminate(child),
  };
}

/** Node flags to run TypeScript sources (the server's own sources through its export condition). */
export const TS_NODE_ARGS = ['--conditions=switchboard-source', '--import', 'tsx'];

/** Forks a generator (bench/generators/<name>.ts) with an IPC channel, pinned to the generator core. */
export function forkGenerator(name: string): ChildProcess {
  const child = fork(`bench/generators/${name}.ts`, [], {
    cwd: ROOT,
    execArgv: [...TS_NODE_ARGS, '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  pin(child.pid, GENERATOR_CPU);
  return track(child);
}
