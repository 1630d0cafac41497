import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * `node --import tsx bench/callgrind-top.ts <dump> [per] [count] [perf map]`:
 * the functions with the most instructions in a callgrind dump, as written
 * by `bench/cost.ts --callgrind` into bench/results/callgrind/ (the counted
 * step is `<name>.out.2`), divided by `per` (the operations counted).
 * callgrind knows V8's compiled JavaScript only by address; with the map
 * V8 writes under `--perf-basic-prof` (cost.ts `--perf-map`:
 * /tmp/perf-<pid>.map) those get their function's name.
 */

const [dump, per = '1', count = '30', perfMap] = process.argv.slice(2);
if (!dump) throw new Error('usage: callgrind-top.ts <dump> [operations] [count] [/tmp/perf-<pid>.map]');

interface CodeRange {
  start: number;
  end: number;
  name: string;
}

// Code is moved and its memory reused: the last range written for an address names it.
const ranges: CodeRange[] = [];
for (const line of perfMap ? readFileSync(perfMap, 'utf8').split('\n') : []) {
  const [start, size, ...name] = line.split(' ');
  if (!start || !size || name.length === 0) continue;
  const from = Number.parseInt(start, 16);
  ranges.push({ start: from, end: from + Number.parseInt(size, 16), name: name.join(' ') });
}
const nameAt = (address: number) => ranges.findLast((r) => r.start <= address && address < r.end)?.name;

const annotated = execFileSync('callgrind_annotate', ['--threshold=100', dump], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
const totals = new Map<string, number>();
let all = 0;
for (const line of annotated.split('\n')) {
  // "  1,234 (0.5%)  file:function [object]"
  const m = /^\s*([\d,]+) (?:\([^)]*\)\s+)?(.+)$/.exec(line);
  if (!m?.[1] || !m[2] || m[2].startsWith('PROGRAM TOTALS') || !m[2].includes(':')) continue;
  const instructions = Number(m[1].replaceAll(',', ''));
  const jit = /^\?\?\?:(0x[0-9a-f]+) \[\?\?\?\]/.exec(m[2]);
  const name = (jit?.[1] && nameAt(Number.parseInt(jit[1], 16))) ?? m[2].replace(/^\?\?\?:/, '');
  totals.set(name, (totals.get(name) ?? 0) + instructions);
  all += instructions;
}
const perOp = (n: number) => (n / Number(per)).toFixed(0).padStart(9);
console.log(`${perOp(all)} in all`);
for (const [name, n] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${perOp(n)}  ${name.slice(0, 160)}`);
}
