import type { Redis } from 'ioredis';

/**
 * The adapter's publisher: the store's own connection, whose writes are held
 * (`cork`) from a node's first publish in an event-loop turn until the turn
 * ends, so that every command written in that turn leaves in one system call.
 *
 * Every message relayed to another node is an SPUBLISH, and without the
 * hold each was a `write` system call of its own here and a read of its
 * own in Redis. Under load many devices' messages are read in one turn,
 * and their publishes then share both; at low load a turn holds one
 * publish and nothing changes. Commands stay in the order they were issued, on the
 * one connection, so events still follow the state changes they announce;
 * a publish waits at most for the end of the turn it was made in.
 *
 * The adapter needs only `spublish`, and `send_command` for its PUBSUB
 * (ioredis's old name for `call`), which is all this exposes.
 */
export interface Publisher {
  spublish(channel: string | Buffer, message: string | Buffer): Promise<unknown>;
  send_command: Redis['call'];
}

export function coalescedPublisher(redis: Redis): Publisher {
  let held: Redis['stream'] | undefined;
  const release = () => {
    const stream = held;
    held = undefined;
    // The connection may have been replaced meanwhile; the old stream is
    // then destroyed, and uncorking it is harmless.
    stream?.uncork();
  };
  return {
    spublish: (channel, message) => {
      if (!held && redis.status === 'ready') {
        held = redis.stream;
        held.cork();
        setImmediate(release);
      }
      return redis.spublish(channel, message);
    },
    send_command: redis.call.bind(redis),
  };
}
