import { MediaStreamTrack, type RTCDataChannel, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';

/**
 * werift settings that connect on these machines, also loopback-only
 * (see the shared WebRTC testing notes): no public STUN, loopback added as
 * a host address, IPv4 only, and max-bundle so that close() frees every
 * socket and the test runner can exit.
 */
export function weriftPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  });
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function waitConnected(pc: RTCPeerConnection, who: string): Promise<void> {
  return waitFor(`${who} connectionState connected`, () => pc.connectionState === 'connected');
}

/** The first data channel the other side opens. */
export function remoteChannel(pc: RTCPeerConnection): Promise<RTCDataChannel> {
  return new Promise((resolve) => pc.onDataChannel.subscribe((channel) => resolve(channel)));
}

export function nextMessage(channel: RTCDataChannel, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${channel.label}`)), timeoutMs);
    const { unSubscribe } = channel.onMessage.subscribe((data) => {
      clearTimeout(timer);
      unSubscribe();
      resolve(data.toString());
    });
  });
}

/**
 * An audio track fed with Opus silence every 20 ms (no real media source
 * is needed for RTP to flow). `stop()` ends the pump.
 */
export function silentAudio(): { track: MediaStreamTrack; stop(): void } {
  const track = new MediaStreamTrack({ kind: 'audio' });
  let sequenceNumber = 1;
  let timestamp = 0;
  const timer = setInterval(() => {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber, timestamp, marker: true });
    sequenceNumber = (sequenceNumber + 1) & 0xffff;
    timestamp = (timestamp + 960) >>> 0;
    track.writeRtp(new RtpPacket(header, Buffer.from([0xf8, 0xff, 0xfe])));
  }, 20);
  return {
    track,
    stop: () => {
      clearInterval(timer);
      track.stop();
    },
  };
}

/** Sum of inbound-rtp `packetsReceived` of `kind` in the peer's stats. */
export async function packetsReceived(pc: RTCPeerConnection, kind = 'audio'): Promise<number> {
  const report = await pc.getStats();
  let total = 0;
  for (const stat of report.values()) {
    const s = stat as { type?: string; kind?: string; packetsReceived?: number };
    if (s.type === 'inbound-rtp' && (s.kind === undefined || s.kind === kind)) total += s.packetsReceived ?? 0;
  }
  return total;
}
