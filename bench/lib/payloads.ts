/** Wire payloads of the bench: a 1 KB ICE candidate that carries a sequence number, and a plausible SDP. */

export const CANDIDATE_BYTES = 1024;

const PAD = 'x'.repeat(CANDIDATE_BYTES);

/** A 1 KB `candidate:` line whose foundation is the sequence number, so the receiver can time it. */
export function candidateLine(seq: number): string {
  const head = `candidate:${seq} 1 udp 2122260223 192.168.1.20 ${40000 + (seq % 20000)} typ host generation 0 ufrag bench network-id 1 pad `;
  return head + PAD.slice(0, CANDIDATE_BYTES - head.length);
}

export function candidateSeq(line: string): number {
  return Number.parseInt(line.slice(10), 10);
}

export function candidateInit(seq: number) {
  return { candidate: candidateLine(seq), sdpMid: '0', sdpMLineIndex: 0 };
}

/** An audio offer/answer of about 1 KB, as a browser would send. */
export const FAKE_SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:benchUfrag',
  'a=ice-pwd:benchPasswordbenchPassword12',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=sendrecv',
  'a=msid:stream track',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1001 cname:benchCname',
  '',
].join('\r\n');
