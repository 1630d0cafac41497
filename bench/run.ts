import os from 'node:os';
import { MESSAGES_PER_CALL } from './generators/calls.js';
import { machine } from './lib/machine.js';
import { killAll, ROOT } from './lib/procs.js';
import { type BenchRun, printTable, type Ratio, writeResults } from './lib/report.js';
import { cpuAtSameRate, type ScenarioResult } from './lib/results.js';
import { bareSocketIo, engineFromArgs, peerjs, runOptions, switchboard } from './lib/targets.js';
import { runCallSetup } from './scenarios/call-setup.js';
import { runCapacity } from './scenarios/capacity.js';
import { runIdle } from './scenarios/idle.js';
import { RELAY, RELAY_CROSS, RELAY_CROSS_UNACKED, RELAY_UNACKED, runRelay } from './scenarios/relay.js';
import { runRingTimeout } from './scenarios/ring-timeout.js';

/**
 * `npm run bench [-- --quick] [--only=relay,calls,idle,capacity,ring] [--target=<name part>] [--engine=uws|ws] [--dist] [--cpu-prof] [--node-flags='...'] [--rate=N]`:
 * every scenario against freshly started servers, the baselines in the same run.
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const wants = (s: string) => !only || only.includes(s);
runOptions.dist = args.includes('--dist');
engineFromArgs(args);
runOptions.targetFilter = args.find((a) => a.startsWith('--target='))?.slice(9);
const extraFlags = args.find((a) => a.startsWith('--node-flags='))?.slice(13);
if (extraFlags) runOptions.nodeFlags.push(...extraFlags.split(' ').filter(Boolean));
if (args.includes('--cpu-prof'))
  runOptions.nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${ROOT}bench/results/profiles`);

const M = quick
  ? {
      relay: { pairs: 200, stepMs: 700, ladder: { start: 2000, max: 32_000, refine: 1 }, full: false },
      calls: { pairs: 150, stepMs: 800, ladder: { start: 100, max: 3200, refine: 1 }, threeNodes: false },
      idle: { n: 1500, holdMs: 1000 },
      ring: { stepMs: 2500, probes: 20 },
    }
  : {
      relay: { pairs: 1000, stepMs: 3000, ladder: { start: 500, max: 64_000, refine: 2 }, full: true },
      calls: { pairs: 600, stepMs: 3000, ladder: { start: 25, max: 6400, refine: 2 }, threeNodes: true },
      idle: { n: 18_000, holdMs: 3000 },
      ring: { stepMs: 8000, probes: 50 },
    };

// `--rate=N`: one relay step at N msgs/s per system and no climb, to compare CPU per message at equal load.
const fixedRate = Number(args.find((a) => a.startsWith('--rate='))?.slice(7));
if (fixedRate > 0) M.relay.ladder = { start: fixedRate, max: fixedRate, refine: 0 };

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

const started = new Date();
const machineAtStart = machine();
const t0 = performance.now();
const results: ScenarioResult[] = [];
process.env.BENCH_NOFILE = String(machine()['ulimit -n']);

console.log(`Switchboard bench (${quick ? 'quick' : 'full'}), ${os.availableParallelism()} cores`);
if (wants('relay')) results.push(...(await runRelay(M.relay)));
if (wants('calls')) results.push(...(await runCallSetup(M.calls)));
if (wants('idle')) {
  for (const target of [switchboard(1, false), bareSocketIo(1), peerjs()]) {
    results.push(await runIdle(target, M.idle.n, M.idle.holdMs));
  }
}
// How many idle devices a node holds, past what one generator process can
// open: full runs only (about 45 s here, where the open-file limit ends it).
if (wants('capacity') && !quick) {
  results.push(
    await runCapacity(switchboard(1, false), { generators: 4, stepPerGenerator: 2500, max: 200_000, holdMs: 5000 }),
  );
}
if (wants('ring')) {
  const best = results.find((r) => r.scenario === 'call setup' && r.target === switchboard(1, true).name)?.value;
  const rate = Math.max(50, Math.round((best ?? 100) * 1.5));
  results.push(await runRingTimeout(rate, M.ring.stepMs, M.ring.probes));
}

const find = (scenario: string, target: string) => results.find((r) => r.scenario === scenario && r.target === target);
const ratios: Ratio[] = [];
const ratio = (what: string, a?: number, b?: number) => {
  if (a !== undefined && b) ratios.push({ what, value: a / b });
};
const sb1Name = switchboard(1, false).name;
const peer = find(RELAY, peerjs().name)?.value;
ratio('relay 1 node, acks: Switchboard (memory) / PeerJS server', find(RELAY, sb1Name)?.value, peer);
ratio(
  'relay 1 node, acks: Switchboard (memory) / bare Socket.IO',
  find(RELAY, sb1Name)?.value,
  find(RELAY, bareSocketIo(1).name)?.value,
);
ratio('relay 1 node, no acks: Switchboard (memory) / PeerJS server', find(RELAY_UNACKED, sb1Name)?.value, peer);
ratio(
  'relay 1 node, no acks: Switchboard (memory) / bare Socket.IO',
  find(RELAY_UNACKED, sb1Name)?.value,
  find(RELAY_UNACKED, bareSocketIo(1).name)?.value,
);
const sio2 = find(RELAY_CROSS, bareSocketIo(2).name)?.value;
ratio(
  'relay cross-node, acks: Switchboard 2 nodes / bare Socket.IO sharded 2 nodes',
  find(RELAY_CROSS, switchboard(2, true).name)?.value,
  sio2,
);
ratio(
  'relay cross-node, no acks: Switchboard 2 nodes / bare Socket.IO sharded 2 nodes',
  find(RELAY_CROSS_UNACKED, switchboard(2, true).name)?.value,
  find(RELAY_CROSS_UNACKED, bareSocketIo(2).name)?.value,
);
// Server CPU per message (lower is better): at each system's best step, and
// at the highest rate both passed, where the load on both is the same.
const cpuComparisons: [what: string, a: ScenarioResult | undefined, b: ScenarioResult | undefined][] = [
  ['1 node, acks: Switchboard / bare Socket.IO', find(RELAY, sb1Name), find(RELAY, bareSocketIo(1).name)],
  ['1 node, no acks: Switchboard / PeerJS server', find(RELAY_UNACKED, sb1Name), find(RELAY, peerjs().name)],
  [
    '1 node, no acks: Switchboard / bare Socket.IO',
    find(RELAY_UNACKED, sb1Name),
    find(RELAY_UNACKED, bareSocketIo(1).name),
  ],
  [
    'cross-node, acks: Switchboard / bare Socket.IO sharded',
    find(RELAY_CROSS, switchboard(2, true).name),
    find(RELAY_CROSS, bareSocketIo(2).name),
  ],
  [
    'cross-node, no acks: Switchboard / bare Socket.IO sharded',
    find(RELAY_CROSS_UNACKED, switchboard(2, true).name),
    find(RELAY_CROSS_UNACKED, bareSocketIo(2).name),
  ],
];
for (const [what, a, b] of cpuComparisons) ratio(`relay CPU per message, ${what}`, a?.cpuUsPerOp, b?.cpuUsPerOp);
for (const [what, a, b] of cpuComparisons) {
  const at = cpuAtSameRate(a, b);
  if (at) ratios.push({ what: `relay CPU per message, ${what}, both at ${at.rate}/s`, value: at.ratio });
}
for (const n of [2, 3]) {
  const calls = find('call setup', switchboard(n, true).name)?.value;
  ratio(
    `call setup ${n} nodes, messages/s (${MESSAGES_PER_CALL} per call) / bare Socket.IO sharded relay msgs/s`,
    calls === undefined ? undefined : calls * MESSAGES_PER_CALL,
    sio2,
  );
}
const calls1 = find('call setup', switchboard(1, true).name)?.value;
ratio('call setup: 2 nodes / 1 node (Redis)', find('call setup', switchboard(2, true).name)?.value, calls1);
ratio('call setup: 3 nodes / 1 node (Redis)', find('call setup', switchboard(3, true).name)?.value, calls1);
ratio('call setup: 1 node Redis / 1 node memory', calls1, find('call setup', switchboard(1, false).name)?.value);
const idleSb = find('idle', switchboard(1, false).name)?.value;
ratio('idle memory per connection: Switchboard / bare Socket.IO', idleSb, find('idle', bareSocketIo(1).name)?.value);
ratio('idle memory per connection: Switchboard / PeerJS server', idleSb, find('idle', peerjs().name)?.value);

const run: BenchRun = {
  mode: quick ? 'quick' : 'full',
  startedAt: started.toISOString(),
  durationS: (performance.now() - t0) / 1000,
  machine: { ...machineAtStart, loadavgAtEnd: os.loadavg()[0]!.toFixed(2) },
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  results,
  ratios,
  ...((only || runOptions.targetFilter || fixedRate > 0) && { partial: true }),
};
console.log('');
printTable(run);
const files = writeResults(run, `${ROOT}bench/results`);
console.log(`\nWrote ${files.join(', ')} in ${run.durationS.toFixed(0)} s`);
