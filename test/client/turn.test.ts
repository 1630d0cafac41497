import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { closeAll, OFFER, sdk } from './helpers.js';

const TURN_SECRET = 'turn-shared-secret';
let node: InProcessNode;

beforeAll(async () => {
  node = await startNode({
    STUN_URLS: 'stun:stun.example.org:3478',
    TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
    TURN_SECRET,
    TURN_TTL_S: '600',
  });
});
afterEach(() => closeAll());
afterAll(() => node.close());

describe('TURN credentials in session.iceServers', () => {
  it('follow the TURN REST API scheme coturn expects (use-auth-secret), and the SDK hands them on', async () => {
    const before = Math.floor(Date.now() / 1000);
    const client = await sdk(node.url, 'turn-user@example.org');
    const after = Math.floor(Date.now() / 1000);
    const { iceServers } = client.session;
    expect(iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
    const turn = iceServers[1]!;
    expect(turn.urls).toEqual(['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);

    const [expiry, userId] = turn.username!.split(/:(.*)/s);
    expect(userId).toBe('turn-user@example.org');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    const expected = createHmac('sha1', TURN_SECRET).update(turn.username!).digest('base64');
    expect(turn.credential).toBe(expected);

    expect(client.iceServers).toEqual(iceServers);
    const config = client.rtcConfiguration({ bundlePolicy: 'max-bundle' as const, iceServers: [{ urls: 'stun:x' }] });
    expect(config).toEqual({ bundlePolicy: 'max-bundle', iceServers: [...iceServers, { urls: 'stun:x' }] });

    // A peer connection the SDK builds for a call gets them too.
    let given: unknown;
    await sdk(node.url, 'turn-callee');
    const call = await client.call('turn-callee', {
      media: 'audio',
      sdp: OFFER,
      peerConnection: (cfg) => {
        given = cfg;
        return fakePc();
      },
    });
    expect(given).toEqual({ iceServers });
    await call.cancel();
  });
});

/** The least a factory must return for the SDK to make an offer. */
function fakePc() {
  return {
    signalingState: 'stable',
    connectionState: 'new',
    iceConnectionState: 'new',
    localDescription: null as null | { type: string; sdp: string },
    async createOffer() {
      return { type: 'offer', sdp: 'v=0\r\n' };
    },
    async createAnswer() {
      return { type: 'answer', sdp: 'v=0\r\n' };
    },
    async setLocalDescription(d: { type: string; sdp: string }) {
      this.localDescription = d;
    },
    async setRemoteDescription() {},
    async addIceCandidate() {},
    addEventListener() {},
    removeEventListener() {},
    close() {},
  };
}
