import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessNode, startNode } from '../support/in-process-node.js';
import { chromiumAvailable, inbound, launchChromium, pageUntil } from './chromium.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Two users on the demo page in Debian's chromium (fake camera and
 * microphone), one browser context each, on a dev-mode node: call, answer,
 * media flows both ways, hang up.
 */
describe.skipIf(!chromiumAvailable)('the demo page in a real browser', () => {
  let node: InProcessNode;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // The page is the bundle `npm run build` makes; make it from the current sources.
    execFileSync(process.execPath, ['packages/demo/build.mjs'], { cwd: root, stdio: 'inherit' });
    node = await startNode({ DEV: '1' });
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
  });

  async function signedIn(name: string, context?: BrowserContext): Promise<Page> {
    let ctx = context;
    if (!ctx) {
      ctx = await browser.newContext();
      contexts.push(ctx);
    }
    const page = await ctx.newPage();
    page.on('pageerror', (err) => console.error(`[${name}] page error:`, err));
    await page.goto(node.url);
    await page.fill('#name', name);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])', { timeout: 10_000 });
    return page;
  }

  async function callFrom(caller: Page, callee: string, media: 'video' | 'audio' = 'video'): Promise<void> {
    await caller.fill('#add-name', callee);
    await caller.click('#add-form button');
    const button = `#contacts li[data-user="${callee}"] button[data-call="${media}"]:not([disabled])`;
    await caller.waitForSelector(button, { timeout: 10_000 });
    await caller.click(button);
  }

  const connected = "window.demo?.call?.peerConnection?.connectionState === 'connected'";

  it('call, answer, both connect, remote video decodes, hang up, both show the end', async () => {
    const alice = await signedIn('alice');
    const bob = await signedIn('bob');

    await callFrom(alice, 'bob');
    await bob.waitForSelector('#incoming:not([hidden])', { timeout: 10_000 });
    expect(await bob.textContent('#incoming-from')).toBe('alice');
    expect(await bob.textContent('#incoming-media')).toBe('video');
    await bob.click('#accept');

    for (const [who, page] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      await pageUntil(page, `${who}: peer connection connected`, connected);
      await pageUntil(
        page,
        `${who}: remote video frames decoded`,
        `${inbound('video', 'framesDecoded')}.then((n) => n > 0)`,
      );
      await pageUntil(
        page,
        `${who}: remote audio packets`,
        `${inbound('audio', 'packetsReceived')}.then((n) => n > 0)`,
      );
      await pageUntil(
        page,
        `${who}: remote video has a size`,
        "document.getElementById('remote-video').videoWidth > 0",
      );
      await pageUntil(
        page,
        `${who}: shows connected`,
        "document.getElementById('pc-state').textContent === 'connected'",
      );
      expect(await page.textContent('#call-state')).toBe('active');
    }

    mkdirSync(`${root}test-results`, { recursive: true });
    await alice.screenshot({ path: `${root}test-results/demo-call.png`, fullPage: true });

    await alice.click('#hangup');
    for (const page of [alice, bob]) {
      await pageUntil(
        page,
        'call state ended',
        "document.getElementById('call-state').textContent === 'ended'",
        10_000,
      );
      expect(await page.textContent('#end-reason')).toBe('hangup');
    }
  }, 60_000);

  it('every tab of the callee rings; one answers, the other shows answered_elsewhere', async () => {
    const carol = await signedIn('carol');
    const daveTab1 = await signedIn('dave');
    const daveTab2 = await signedIn('dave', daveTab1.context());

    await callFrom(carol, 'dave', 'audio');
    await daveTab1.waitForSelector('#incoming:not([hidden])', { timeout: 10_000 });
    await daveTab2.waitForSelector('#incoming:not([hidden])', { timeout: 10_000 });
    await daveTab2.click('#accept');
    await pageUntil(
      daveTab1,
      'tab 1 stops ringing',
      "document.getElementById('end-reason').textContent === 'answered_elsewhere'",
      10_000,
    );
    await pageUntil(carol, 'carol connected', connected);
    await pageUntil(daveTab2, 'dave connected', connected);

    await daveTab2.click('#hangup');
    await pageUntil(
      carol,
      'carol sees the hang-up',
      "document.getElementById('end-reason').textContent === 'hangup'",
      10_000,
    );
  }, 60_000);
});
