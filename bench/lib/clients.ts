import WebSocket from 'ws';
import { tokenFor } from './tokens.js';
import { WireSocket } from './wire-socket.js';

/** Generator-side connections to each system under test (on loopback; Switchboard's from any 127.x address). */

/** A Switchboard device: JWT with `sub` = userId; resolves on its `session` event. */
export async function connectSwitchboard(
  url: string,
  userId: string,
  deviceId: string,
  localAddress?: string,
): Promise<{ socket: WireSocket; heartbeatIntervalMs: number }> {
  let session!: Promise<{ heartbeatIntervalMs: number }>;
  const socket = await WireSocket.connect(
    url,
    { token: await tokenFor(userId), deviceId },
    (s) => {
      session = new Promise((resolve) => s.once('session', resolve));
    },
    undefined,
    localAddress,
  );
  const s = await session;
  return { socket, heartbeatIntervalMs: s.heartbeatIntervalMs };
}

/** A client of the bare Socket.IO relay, in the room `id`. */
export function connectSio(url: string, id: string): Promise<WireSocket> {
  return WireSocket.connect(url, { id });
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
