import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';
import { tokenFor } from './tokens.js';

/** Generator-side connections to each system under test (127.0.0.1 only). */

const SIO_OPTS: Partial<ManagerOptions & SocketOptions> = {
  transports: ['websocket'],
  forceNew: true,
  reconnection: false,
  timeout: 20_000,
};

function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** A Switchboard device: JWT with `sub` = userId; resolves on its `session` event. */
export async function connectSwitchboard(
  url: string,
  userId: string,
  deviceId: string,
): Promise<{ socket: Socket; heartbeatIntervalMs: number }> {
  const socket = io(url, { ...SIO_OPTS, auth: { token: await tokenFor(userId), deviceId } });
  const session = new Promise<{ heartbeatIntervalMs: number }>((resolve) => socket.once('session', resolve));
  await connected(socket);
  const s = await session;
  return { socket, heartbeatIntervalMs: s.heartbeatIntervalMs };
}

/** A client of the bare Socket.IO relay, in the room `id`. */
export function connectSio(url: string, id: string): Promise<Socket> {
  return connected(io(url, { ...SIO_OPTS, auth: { id } }));
}

/** A PeerJS client: the server's WebSocket, resolved on its OPEN message. */
export function connectPeer(url: string, id: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/peerjs?key=peerjs&id=${id}&token=t${id}`);
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data)) as { type: string };
      if (msg.type === 'OPEN') {
        ws.off('message', onMessage);
        resolve(ws);
      } else reject(new Error(`peerjs answered ${msg.type}`));
    };
    ws.on('message', onMessage);
    ws.once('error', reject);
  });
}

/** Runs `task` for 0..count-1 with at most `concurrency` in flight; resolves with the failures. */
export async function forEachLimited(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return failures;
}
