import { type Call, connect, type Media, type SwitchboardClient, SwitchboardError } from '@switchboard/client';
import { openMedia, peerConnectionFor, stopMedia } from './media.js';
import { People } from './people.js';

/**
 * The demo page: sign in with a name (a dev token), watch people's
 * presence, call, answer or reject on any tab of the same user, see and
 * hear each other, hang up. Everything goes through the SDK.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let client: SwitchboardClient | undefined;
let people: People | undefined;
/** The call on screen: ringing here, or the one in progress, or the last one that ended. */
let current: Call | undefined;
let localStream: MediaStream | undefined;

// Exposed for the browser test, which reads the call's peer connection stats.
Object.assign(window, {
  demo: {
    get client() {
      return client;
    },
    get call() {
      return current;
    },
  },
});

/** One device per tab, kept across reloads of that tab, so a reload resumes its call. */
function deviceId(): string {
  let id = sessionStorage.getItem('switchboard-demo-device');
  if (!id) {
    id = `tab-${Math.random().toString(36).slice(2, 10)}`;
    sessionStorage.setItem('switchboard-demo-device', id);
  }
  return id;
}

function log(text: string): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
}

function describe(err: unknown): string {
  if (err instanceof SwitchboardError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function fetchToken(userId: string): Promise<string> {
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status} (is the node in dev mode?)`);
  return ((await res.json()) as { token: string }).token;
}

async function signIn(name: string): Promise<void> {
  $('signin-error').textContent = '';
  $<HTMLButtonElement>('signin-button').disabled = true;
  try {
    client = await connect({ url: location.origin, token: () => fetchToken(name), deviceId: deviceId() });
  } catch (err) {
    $('signin-error').textContent = describe(err);
    $<HTMLButtonElement>('signin-button').disabled = false;
    return;
  }
  sessionStorage.setItem('switchboard-demo-name', name);
  People.remember(name);
  $('me').textContent = `${name} on ${client.deviceId} (node ${client.session.nodeId})`;
  $('signin').hidden = true;
  $('app').hidden = false;
  showConnection(client.connectionState);
  client.on('connectionState', showConnection);
  client.on('presence', (p) => people?.update(p));
  client.on('incoming', onIncoming);
  client.on('resumed', (call) => {
    log(`call with ${call.peer.userId} resumed`);
    if (!current || current.state === 'ended') show(call);
  });
  client.on('closed', (reason) => {
    showConnection('closed');
    log(`disconnected for good: ${reason}`);
  });
  people = new People(name, $('contacts'), contactActions);
  await watch(People.remembered(name));
  People.onRemembered((names) => void watch(names.filter((n) => !people?.has(n))));
}

async function watch(userIds: string[]): Promise<void> {
  if (!client || userIds.length === 0) return;
  try {
    for (const p of await client.subscribe(userIds.slice(0, 100))) people?.update(p);
  } catch (err) {
    $('people-error').textContent = describe(err);
  }
}

function showConnection(state: string): void {
  const badge = $('connection');
  badge.textContent = state;
  badge.className = `badge ${state}`;
}

function contactActions(userId: string, presence: { status: string } | undefined): HTMLElement[] {
  return (['video', 'audio'] as const).map((media) => {
    const button = document.createElement('button');
    button.textContent = media === 'video' ? 'Video call' : 'Audio call';
    button.dataset.call = media;
    button.disabled = presence?.status !== 'online' || (current !== undefined && current.state !== 'ended');
    button.addEventListener('click', () => void startCall(userId, media));
    return button;
  });
}

async function startCall(userId: string, media: Media): Promise<void> {
  if (!client || (current && current.state !== 'ended')) return;
  $('people-error').textContent = '';
  const stream = await openMedia(media);
  try {
    const call = await client.call(userId, {
      media,
      peerConnection: (config) => peerConnectionFor(config, stream, { media, caller: true, onRemote: showRemote }),
    });
    localStream = stream;
    show(call);
    log(`calling ${userId} (${media})`);
  } catch (err) {
    stopMedia(stream);
    $('people-error').textContent = `Could not call ${userId}: ${describe(err)}`;
  }
}

function onIncoming(call: Call): void {
  if (current && current.state !== 'ended') {
    void call.reject('busy').catch(() => undefined);
    return;
  }
  log(`incoming call from ${call.peer.userId}`);
  show(call);
}

async function accept(): Promise<void> {
  const call = current;
  if (call?.state !== 'ringing') return;
  $<HTMLButtonElement>('accept').disabled = true;
  const stream = await openMedia(call.media ?? 'audio');
  try {
    await call.accept({
      peerConnection: (config) =>
        peerConnectionFor(config, stream, { media: call.media ?? 'audio', caller: false, onRemote: showRemote }),
    });
    localStream = stream;
    render();
  } catch (err) {
    stopMedia(stream);
    log(`could not accept: ${describe(err)}`);
  }
}

function showRemote(stream: MediaStream): void {
  const video = $<HTMLVideoElement>('remote-video');
  if (video.srcObject !== stream) video.srcObject = stream;
}

/** Puts `call` on screen and follows it until it ends. */
function show(call: Call): void {
  current = call;
  $<HTMLVideoElement>('remote-video').srcObject = null;
  call.on('state', render);
  call.on('ringing', () => log(`${call.peer.userId} is ringing`));
  call.on('ended', ({ reason }) => {
    log(`call with ${call.peer.userId} ended: ${reason}`);
    stopMedia(localStream);
    localStream = undefined;
    render();
  });
  call.on('accepted', () => {
    followMedia(call);
    render();
  });
  followMedia(call);
  render();
}

const followed = new WeakSet<object>();

/** Shows the peer connection's state as it changes. */
function followMedia(call: Call): void {
  const pc = call.peerConnection;
  if (!pc || followed.has(pc)) return;
  followed.add(pc);
  pc.addEventListener('connectionstatechange', render);
}

function render(): void {
  const call = current;
  people?.render();
  $('incoming').hidden = !(call && call.role === 'callee' && call.state === 'ringing');
  $('call').hidden = !call || $('incoming').hidden === false;
  if (!call) return;
  $('incoming-from').textContent = call.peer.userId;
  $('incoming-media').textContent = call.media ?? 'audio';
  $<HTMLButtonElement>('accept').disabled = false;
  $('call-peer').textContent = call.peer.userId;
  $('call-state').textContent = call.state === 'ringing' ? 'ringing…' : call.state;
  $('pc-state').textContent = call.peerConnection?.connectionState ?? '-';
  $('end-reason').textContent = call.endReason ?? '-';
  $('hangup').hidden = call.state === 'ended';
  $('dismiss').hidden = call.state !== 'ended';
  const local = $<HTMLVideoElement>('local-video');
  if (local.srcObject !== (localStream ?? null)) local.srcObject = localStream ?? null;
}

function wire(): void {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($<HTMLInputElement>('name').value.trim());
  });
  $('add-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('add-name');
    const name = input.value.trim();
    input.value = '';
    People.remember(name);
    void watch([name]);
  });
  $('accept').addEventListener('click', () => void accept());
  $('reject').addEventListener('click', () => void current?.reject().catch((err) => log(describe(err))));
  $('hangup').addEventListener('click', () => void current?.hangup().catch((err) => log(describe(err))));
  $('dismiss').addEventListener('click', () => {
    current = undefined;
    $('call').hidden = true;
    people?.render();
  });
  const remembered = sessionStorage.getItem('switchboard-demo-name');
  if (remembered) void signIn(remembered);
}

wire();
