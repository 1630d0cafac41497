import type { Server } from 'socket.io';

/**
 * The bare relay's whole logic, validating nothing: a client joins the room
 * named by its `auth.id`; `relay` forwards the payload as is to the room in
 * `payload.to` and acks.
 */
export function relayBare(io: Server): void {
  io.on('connection', (socket) => {
    const id = socket.handshake.auth?.id;
    if (typeof id === 'string') socket.join(id);
    socket.on('relay', (msg: { to: string }, ack?: (res: unknown) => void) => {
      io.to(msg.to).emit('relay', msg);
      if (typeof ack === 'function') ack({ ok: true });
    });
  });
}
