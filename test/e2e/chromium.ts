import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

if (!chromiumAvailable) {
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium (.ci/run does) for the browser tests`);
  }
  console.warn(
    `\n*** ${CHROMIUM} is missing: the browser tests are SKIPPED. Install it: apt-get install -y chromium ***\n`,
  );
}

/**
 * Fake camera and microphone, no permission prompt, and loopback ICE
 * candidates allowed: the flags that made two pages connect on these
 * machines, also without any network but loopback.
 */
export function launchChromium(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      ...(asRoot ? ['--no-sandbox', '--headless'] : []),
    ],
  });
}

/** Polls `fn` in the page every 250 ms until it returns true. */
export async function pageUntil(page: Page, what: string, fn: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(fn).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A page expression: the inbound-rtp `field` of `kind` on the demo's current call, summed. */
export function inbound(kind: 'audio' | 'video', field: string): string {
  return `(async () => {
    const pc = window.demo?.call?.peerConnection;
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === '${kind}') n += s['${field}'] ?? 0; });
    return n;
  })()`;
}
