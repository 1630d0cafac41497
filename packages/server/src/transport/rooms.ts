import type { DeviceRef } from '@switchboard/protocol';

// Room names. '/' appears in no user id, so a device room is unambiguous.
// With the sharded Redis adapter in dynamic mode each room is its own
// channel, so a node hears only the rooms its sockets are in.

/** Every socket of a user. */
export const userRoom = (userId: string) => `u:${userId}`;
/** The socket of one device (two, briefly, while one replaces the other). */
export const deviceRoom = (ref: DeviceRef) => `d:${ref.userId}/${ref.deviceId}`;
/** Sockets subscribed to a user's presence. */
export const presenceRoom = (userId: string) => `p:${userId}`;
