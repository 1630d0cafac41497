import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSio, connectSwitchboard, forEachLimited } from './lib/clients.js';
import { bareSocketIo, engineFromArgs, runOptions, switchboard } from './lib/targets.js';

/**
 * What one idle connection keeps alive on the heap, Switchboard against bare
 * Socket.IO: `node --import tsx bench/idle-heap.ts [N] [--engine=ws]` takes a heap snapshot
 * of each server (which collects garbage first) before and after N idle
 * connections, and lists the growth per connection by object kind. Unlike
 * the bench's RSS figure it does not depend on when the collector last ran.
 */

engineFromArgs(process.argv);
const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'sb-heap-'));
runOptions.nodeFlags = [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${dir}`];

function summarize(file: string) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields as string[];
  const types = snap.snapshot.meta.node_types[0] as string[];
  const nf = f.length;
  const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const agg = new Map<string, { count: number; size: number }>();
  const nodes = snap.nodes as number[];
  for (let i = 0; i < nodes.length; i += nf) {
    const type = types[nodes[i + ti]!]!;
    let name = snap.strings[nodes[i + ni]!] as string;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    if (type === 'number') name = '(number)';
    const k = `${type}:${name.slice(0, 60)}`;
    const a = agg.get(k) ?? { count: 0, size: 0 };
    a.count++;
    a.size += nodes[i + si]!;
    agg.set(k, a);
  }
  return agg;
}

async function snapshot(pid: number): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const f = readdirSync(dir).find((x) => !before.has(x) && x.endsWith('.heapsnapshot'));
    if (f) {
      let size = -1;
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = statSync(`${dir}/${f}`).size;
        if (now === size && now > 0) return `${dir}/${f}`;
        size = now;
      }
    }
  }
}

for (const target of [switchboard(1, false), bareSocketIo(1)]) {
  const d = await target.start();
  const pid = d.procs[0]!.pid;
  const url = d.urls[0]!;
  const connect = (i: number) =>
    d.kind === 'switchboard'
      ? connectSwitchboard(url, `idle${i}`, 'phone').then(() => {})
      : connectSio(url, `idle${i}`).then(() => {});
  await forEachLimited(50, 10, (i) => connect(i + 1_000_000));
  await new Promise((r) => setTimeout(r, 1000));
  const a = summarize(await snapshot(pid));
  const fails = await forEachLimited(n, 100, connect);
  await new Promise((r) => setTimeout(r, 2000));
  const b = summarize(await snapshot(pid));
  const rows = [...b].map(([k, v]) => {
    const o = a.get(k) ?? { count: 0, size: 0 };
    return { k, dc: (v.count - o.count) / n, ds: (v.size - o.size) / n };
  });
  rows.sort((x, y) => y.ds - x.ds);
  const total = rows.reduce((s, r) => s + r.ds, 0);
  console.log(`\n== ${target.name}: ${n} conns (${fails} failed), retained heap ${total.toFixed(0)} B/conn`);
  for (const r of rows.slice(0, 45))
    console.log(`${r.ds.toFixed(0).padStart(6)} B ${r.dc.toFixed(2).padStart(6)}x ${r.k}`);
  await d.stop();
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
