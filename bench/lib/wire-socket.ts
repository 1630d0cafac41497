import WebSocket from 'ws';

/**
 * A load generator's Socket.IO client, speaking the wire protocol
 * (Engine.IO 4 over a WebSocket, Socket.IO 5 text packets) directly on `ws`.
 *
 * Why not socket.io-client: at 10k+ messages/s its per-message cost (packet
 * objects, emitter chains, ack timers) filled the generator's core before
 * the server's, so the bench measured the client. This does the minimum the
 * protocol asks (answer pings, number acks) and nothing else, like the raw
 * `ws` client the PeerJS baseline is driven with. Only what the bench uses:
 * the default namespace, text payloads, acks for requests the client sends.
 */

type Listener = (payload: never) => void;
type Ack = (answer: never) => void;
/** What Switchboard acks carry, as far as the bench reads them. */
export interface Answer {
  ok: boolean;
  callId: string;
  expiresAt: number;
}

export class WireSocket {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly acks = new Map<number, Ack>();
  private nextAckId = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(String(data)));
    // A reset while the bench tears down is not the generator's failure; missing deliveries count as errors.
    ws.on('error', () => {});
  }

  /**
   * Opens the WebSocket, joins the default namespace with `auth`, and
   * resolves once the server let it in. `onOpen` runs before any later
   * frame is read: an event sent right after the connect (Switchboard's
   * `session`) can arrive in the same read and would miss a listener added
   * after the promise resolved.
   */
  static connect(
    url: string,
    auth: Record<string, unknown>,
    onOpen: (socket: WireSocket) => void = () => {},
    timeoutMs = 20_000,
    localAddress?: string,
  ): Promise<WireSocket> {
    const ws = new WebSocket(
      `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
      localAddress ? { localAddress } : {},
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('connect timeout')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      const onHandshake = (data: WebSocket.RawData) => {
        const frame = String(data);
        if (frame.startsWith('0')) ws.send(`40${JSON.stringify(auth)}`);
        else if (frame.startsWith('40')) {
          clearTimeout(timer);
          ws.off('message', onHandshake);
          ws.off('close', onClose);
          const socket = new WireSocket(ws);
          onOpen(socket);
          resolve(socket);
        } else if (frame.startsWith('44')) fail(new Error(`connect_error ${frame.slice(2)}`));
      };
      ws.on('message', onHandshake);
      ws.once('error', fail);
      const onClose = () => fail(new Error('closed during handshake'));
      ws.once('close', onClose);
    });
  }

  on(event: string, listener: (payload: never) => void): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
    return this;
  }

  once(event: string, listener: (payload: never) => void): this {
    const wrapped = (payload: never) => {
      this.off(event, wrapped);
      listener(payload);
    };
    return this.on(event, wrapped);
  }

  off(event: string, listener: Listener): this {
    const list = this.listeners.get(event);
    const i = list?.indexOf(listener) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
    return this;
  }

  /** Sends `event` with one payload; a function as the last argument asks for an ack. */
  emit(event: string, payload: unknown, ack?: (answer: never) => void): void {
    if (ack) {
      const id = this.nextAckId++;
      this.acks.set(id, ack);
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    } else this.ws.send(`42${JSON.stringify([event, payload])}`);
  }

  /** `socket.timeout(ms).emitWithAck(event, payload)`, as in socket.io-client. */
  timeout(ms: number): { emitWithAck: <T = Answer>(event: string, payload: unknown) => Promise<T> } {
    return {
      emitWithAck: <T>(event: string, payload: unknown) =>
        new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${event}: no ack within ${ms} ms`)), ms);
          this.emit(event, payload, (answer: T) => {
            clearTimeout(timer);
            resolve(answer);
          });
        }),
    };
  }

  /** Calls `listener` once the connection is gone, however it went. */
  onClose(listener: () => void): void {
    this.ws.once('close', listener);
  }

  close(): void {
    this.ws.close();
  }

  private onFrame(frame: string): void {
    const engineType = frame.charCodeAt(0);
    if (engineType === 50 /* '2' ping */) {
      this.ws.send('3');
      return;
    }
    if (engineType !== 52 /* '4' message */) return;
    const type = frame.charCodeAt(1);
    if (type !== 50 /* '2' event */ && type !== 51 /* '3' ack */) return;
    // Optional ack id: the digits up to the JSON array.
    let i = 2;
    while (i < frame.length && frame.charCodeAt(i) !== 91 /* '[' */) i++;
    const id = i > 2 ? Number(frame.slice(2, i)) : undefined;
    const args = JSON.parse(frame.slice(i)) as unknown[];
    if (type === 51) {
      if (id === undefined) return;
      const ack = this.acks.get(id);
      this.acks.delete(id);
      ack?.(args[0] as never);
      return;
    }
    const list = this.listeners.get(args[0] as string);
    if (!list) return;
    for (const listener of list.length === 1 ? list : [...list]) listener(args[1] as never);
  }
}
