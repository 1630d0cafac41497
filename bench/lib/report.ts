import { mkdirSync, writeFileSync } from 'node:fs';
import { GEN, type ScenarioResult, serverCpuPct } from './results.js';

/** The results table, printed and written as JSON and markdown under bench/results/. */

export interface Ratio {
  what: string;
  value: number;
}

export interface BenchRun {
  mode: 'quick' | 'full';
  startedAt: string;
  durationS: number;
  machine: Record<string, string | number>;
  command: string;
  results: ScenarioResult[];
  ratios: Ratio[];
  /** Narrowed by --only, --target or --rate: written beside the mode's summary, not over it. */
  partial?: boolean;
}

const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

function figure(r: ScenarioResult): string {
  const digits = r.unit.startsWith('KB') ? 1 : 0;
  return `${fmt(r.value, digits)} ${r.unit}`;
}

function processes(r: ScenarioResult): string {
  return Object.entries(r.usage)
    .filter(([name]) => name !== GEN)
    .map(([name, u]) => `${name} ${fmt(u.cpuPct)}% ${fmt(u.rssMb)} MB`)
    .join(', ');
}

const HEAD = [
  'scenario',
  'system',
  'figure',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'max ms',
  'errors',
  'server CPU µs/op',
  'server processes (CPU %, RSS)',
  'generator CPU %',
  'limited by',
];

function rows(run: BenchRun): string[][] {
  return run.results.map((r) => [
    r.scenario,
    r.target,
    figure(r),
    fmt(r.latency.p50, 1),
    fmt(r.latency.p95, 1),
    fmt(r.latency.p99, 1),
    fmt(r.latency.max, 1),
    String(r.errors),
    fmt(r.cpuUsPerOp),
    `${processes(r)} (total ${fmt(serverCpuPct(r.usage))}%)`,
    fmt(r.usage[GEN]?.cpuPct),
    r.limit,
  ]);
}

export function printTable(run: BenchRun): void {
  const all = [HEAD, ...rows(run)].map((row) => row.slice(0, 9));
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  for (const row of all) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log('\nRatios (Switchboard / baseline, same run):');
  for (const r of run.ratios) console.log(`  ${r.what}: ${r.value.toFixed(2)}x`);
}

export function markdown(run: BenchRun): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '/')).join(' | ')} |`;
  return [
    `# Switchboard bench (${run.mode})`,
    '',
    `Run ${run.startedAt}, ${run.durationS.toFixed(0)} s: \`${run.command}\`.`,
    '',
    `Machine: ${Object.entries(run.machine)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    '',
    line(HEAD),
    line(HEAD.map(() => '---')),
    ...rows(run).map(line),
    '',
    '## Ratios (Switchboard / baseline, same run)',
    '',
    ...run.ratios.map((r) => `- ${r.what}: ${r.value.toFixed(2)}x`),
    '',
  ].join('\n');
}

export function writeResults(run: BenchRun, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replaceAll(':', '-').replace(/\..*/, '');
  const json = `${dir}/${run.mode}-${stamp}.json`;
  // A run narrowed by --only, --target or --rate is not the mode's summary: it goes beside it.
  const md = `${dir}/${run.mode}${run.partial ? '-partial' : ''}.md`;
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(`${dir}/${run.mode}-latest.json`, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(md, markdown(run));
  return [json, md];
}
