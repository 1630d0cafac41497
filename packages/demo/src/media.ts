import type { Media, PeerConnectionConfig } from '@switchboard/client';

/** Camera and microphone as the call needs them; less when a device is missing or refused, never an error. */
export async function openMedia(media: Media): Promise<MediaStream> {
  const attempts: MediaStreamConstraints[] = media === 'video' ? [{ audio: true, video: true }, { video: true }] : [];
  attempts.push({ audio: true });
  for (const constraints of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      // try with less
    }
  }
  return new MediaStream();
}

/**
 * A peer connection for one call, with the session's ICE servers (STUN,
 * and TURN with fresh credentials): our tracks go out, the other side's
 * come back to `onRemote`. The caller also asks to receive what it does
 * not send (no camera, say); the callee's transceivers come from the offer.
 */
export function peerConnectionFor(
  config: PeerConnectionConfig,
  stream: MediaStream,
  options: { media: Media; caller: boolean; onRemote: (stream: MediaStream) => void },
): RTCPeerConnection {
  const pc = new RTCPeerConnection(config);
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  if (options.caller) {
    if (stream.getAudioTracks().length === 0) pc.addTransceiver('audio', { direction: 'recvonly' });
    if (options.media === 'video' && stream.getVideoTracks().length === 0) {
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }
  const remote = new MediaStream();
  pc.addEventListener('track', (e) => {
    remote.addTrack(e.track);
    options.onRemote(remote);
  });
  return pc;
}

export function stopMedia(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
